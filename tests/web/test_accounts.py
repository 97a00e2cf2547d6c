"""Accounts of the desk: made by ``docflow account add`` with a one-time link, passwords
hashed with argon2, sign-ins recorded and throttled, kept out of the programme's trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.app import Programme
from engine.app.accounts import MAX_FAILURES, Accounts
from engine.clock import FixedClock
from engine.refusals import (
    AccountExists,
    LinkNotUsable,
    SignInRefused,
    SignInThrottled,
    UnknownAccount,
    WeakPassword,
)
from tests.runtime.gd2011 import BACKENDS, PROGRAMME_DIR, database, run_cli
from tests.web.conftest import NOW, PASSWORD, rehearsal_store


@pytest.fixture(params=BACKENDS)
def accounts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Accounts]:
    """The accounts of a rehearsal store, on SQLite and on PostgreSQL."""
    with database(request.param, tmp_path) as url:
        rehearsal_store(tmp_path, url)
        gd = Programme.open(
            PROGRAMME_DIR, db=url, documents=tmp_path / "documents", clock=FixedClock(NOW)
        )
        assert gd.store is not None
        try:
            yield Accounts(gd.store, gd.clock)
        finally:
            gd.close()


def test_a_new_account_sets_its_password_once_through_its_link(accounts: Accounts) -> None:
    account, token = accounts.add("广州填报员", "guangzhou", "unit", "gz@example.cn")
    assert account.password_hash is None
    assert accounts.link_usable(token)
    done = accounts.set_password(token, PASSWORD, PASSWORD)
    assert done.password_hash is not None
    assert done.password_hash.startswith("$argon2")
    assert PASSWORD not in done.password_hash
    assert not accounts.link_usable(token)
    with pytest.raises(LinkNotUsable):
        accounts.set_password(token, PASSWORD, PASSWORD)
    assert accounts.sign_in("广州填报员", PASSWORD, "10.0.0.1").id == account.id


def test_the_link_keeps_only_the_tokens_hash(accounts: Accounts) -> None:
    _, token = accounts.add("佛山填报员", "foshan", "unit")
    with accounts.store.transaction(readonly=True) as tx:
        rows = list(tx.connection.exec_driver_sql("SELECT token_sha256 FROM account_tokens"))
    assert rows
    assert all(token not in row[0] for row in rows)


def test_an_expired_link_is_refused(accounts: Accounts) -> None:
    _, token = accounts.add("佛山填报员", "foshan", "unit")
    later = Accounts(accounts.store, FixedClock(NOW + timedelta(hours=73)))
    assert not later.link_usable(token)
    with pytest.raises(LinkNotUsable):
        later.set_password(token, PASSWORD, PASSWORD)


def test_a_short_or_mistyped_password_is_refused(accounts: Accounts) -> None:
    _, token = accounts.add("佛山填报员", "foshan", "unit")
    with pytest.raises(WeakPassword):
        accounts.set_password(token, "short", "short")
    with pytest.raises(WeakPassword):
        accounts.set_password(token, PASSWORD, PASSWORD + "x")
    assert accounts.link_usable(token)  # a refused attempt does not spend the link


def test_a_name_is_taken_once(accounts: Accounts) -> None:
    accounts.add("广州填报员", "guangzhou", "unit")
    with pytest.raises(AccountExists):
        accounts.add("广州填报员", "foshan", "unit")


def test_sign_ins_are_recorded_and_throttled_after_repeated_failures(accounts: Accounts) -> None:
    _, token = accounts.add("广州填报员", "guangzhou", "unit")
    accounts.set_password(token, PASSWORD, PASSWORD)
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            accounts.sign_in("广州填报员", "wrong password", "10.0.0.9")
    with pytest.raises(SignInThrottled):  # even the right password, for the window
        accounts.sign_in("广州填报员", PASSWORD, "10.0.0.9")
    later = Accounts(accounts.store, FixedClock(NOW + timedelta(minutes=16)))
    assert later.sign_in("广州填报员", PASSWORD, "10.0.0.9").name == "广州填报员"
    record = accounts.logins()
    assert [r.success for r in reversed(record)] == [False] * (MAX_FAILURES + 1) + [True]
    assert {r.remote for r in record} == {"10.0.0.9"}


def test_an_unknown_name_is_refused_like_a_wrong_password(accounts: Accounts) -> None:
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in("无此人", PASSWORD, "10.0.0.2")
    assert refused.value.message == "账户名或密码不正确"
    assert accounts.logins()[0].account_id is None


def test_a_link_or_disabling_for_an_account_that_does_not_exist_says_so(
    accounts: Accounts,
) -> None:
    with pytest.raises(UnknownAccount) as link:
        accounts.new_link("无此人")
    assert link.value.message == "没有名为 无此人 的账户"
    with pytest.raises(UnknownAccount) as gone:
        accounts.disable("管理员（省经济和信息化委）", 9999)
    assert gone.value.message == "没有编号为 9999 的账户"
    assert accounts.record() == []  # nothing recorded for what was not done


def test_an_account_added_or_disabled_on_the_desk_is_recorded_with_it(
    accounts: Accounts,
) -> None:
    token = accounts.add_by("管理员（省经济和信息化委）", "新填报员", "guangzhou", "unit")
    assert accounts.link_usable(token)
    (added,) = accounts.record()
    assert added[1:] == ("add", "新填报员", "管理员（省经济和信息化委）")


def test_accounts_and_sign_ins_stay_out_of_the_trail(accounts: Accounts) -> None:
    with accounts.store.transaction(readonly=True) as tx:
        before = tx.chain_head()
    _, token = accounts.add("广州填报员", "guangzhou", "unit")
    accounts.set_password(token, PASSWORD, PASSWORD)
    accounts.sign_in("广州填报员", PASSWORD, "10.0.0.1")
    with accounts.store.transaction(readonly=True) as tx:
        assert tx.chain_head() == before


def test_the_session_secret_is_made_once_and_kept(accounts: Accounts) -> None:
    first = accounts.session_secret()
    assert len(first) >= 48
    assert accounts.session_secret() == first


def test_account_add_prints_a_one_time_link(tmp_path: Path) -> None:
    db = rehearsal_store(tmp_path)
    env = {"DOCFLOW_DB": str(db)}
    args = ["account", "add", str(PROGRAMME_DIR), "--body", "广州市", "--name", "张三"]
    result = run_cli([*args, "--role", "unit", "--url", "https://desk.example.cn/"], env)
    assert result.exit_code == 0, result.stderr
    assert "已新建账户 张三（guangzhou，unit）" in result.stdout
    assert "https://desk.example.cn/set-password?token=" in result.stdout
    again = run_cli([*args, "--role", "unit"], env)
    assert again.exit_code == 1
    assert "账户名 张三 已被使用" in again.stderr


def test_account_add_refuses_a_body_the_programme_does_not_have(tmp_path: Path) -> None:
    db = rehearsal_store(tmp_path)
    args = ["account", "add", str(PROGRAMME_DIR), "--body", "广州", "--name", "张三"]
    result = run_cli([*args, "--role", "unit"], {"DOCFLOW_DB": str(db)})
    assert result.exit_code == 1
    assert "广州" in result.stderr
    assert "traceback" not in result.stderr.lower()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "无法读取密钥文件"),
        (b"\xff\xfe not text", "不是 UTF-8 文本"),
        (b"short", "密钥太短"),
    ],
)
def test_a_bad_secret_file_is_refused_before_the_desk_starts(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    key = tmp_path / "secret.key"
    if content is not None:
        key.write_bytes(content)
    db = str(tmp_path / "d.db")
    points = str(PROGRAMME_DIR / "points-example.yaml")
    enrolled = run_cli(
        ["enrol", str(PROGRAMME_DIR), "--db", db, "--from", points],
        {"DOCFLOW_NOW": NOW.isoformat()},
    )
    assert enrolled.exit_code == 0
    result = run_cli(["web", str(PROGRAMME_DIR), "--db", db, "--secret-file", str(key)], {})
    assert result.exit_code == 1
    assert result.exception is None
    assert words in result.stderr
