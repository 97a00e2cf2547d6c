"""Tables the trail answers for, changed behind the engine's back: ``audit verify`` names each.

The chain itself still verifies in every case below; what gives the change away is the replay
of the trail into points, extensions, units and the documents' places
(``engine.runtime.replay``), and the sent-log and the pin the trail carries
(``engine.runtime.carried``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.app import MailSettings, Programme
from engine.errors import TrailBroken
from engine.runtime.trail import verify
from tests.runtime.gd2011 import EIC, Year, raw_sql, run_cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """The example points screened and approved, an extension granted, a work plan, and the
    reminders of 5月16日 sent (foshan's extended plan, the others' 催报)."""
    year = Year(tmp_path_factory.mktemp("template"))
    year.approved_spring()
    year.at("2011-05-05T10:00").submit("foshan", "extension", ["foshan-1"])
    year.decide("extension", ["foshan-1"], reason="同意延期", until=date(2011, 5, 20))
    year.at("2011-05-09T10:00").submit("guangzhou", "work-plan")
    mail = MailSettings(str(year.folder / "outbox"))
    sent = Programme(year.definition, year.store, year.at("2011-05-16T10:00").clock, mail).remind()
    assert ("submit-plan/before-5", "foshan") in {(o.rule, o.recipient) for o in sent.sent}
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


def failures(year: Year) -> list[str]:
    report = verify(year.store)
    assert not report.ok
    return list(report.failures)


def test_the_untouched_store_verifies_tables_and_all(year: Year) -> None:
    report = verify(year.store)
    assert report.ok, report.failures


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "UPDATE points SET state = 'concluded' WHERE point_id = 'ndrc-1'",
            "突破点 gd-2011/ndrc-1 的状态：表中为 concluded，留痕为 approved（表被改动）",
        ),
        (
            "UPDATE points SET title = '改过的名称' WHERE point_id = 'ndrc-1'",
            "突破点 gd-2011/ndrc-1 的名称：表中为 改过的名称",
        ),
        (
            "UPDATE points SET unit_id = 'shenzhen' WHERE point_id = 'guangzhou-1'",
            "突破点 gd-2011/guangzhou-1 的所属单位：表中为 shenzhen，留痕为 guangzhou",
        ),
        (
            "UPDATE points SET created_seq = 1 WHERE point_id = 'eic-2'",
            "突破点 gd-2011/eic-2 的登记事件：表中为 1",
        ),
        (
            "INSERT INTO points (programme_id, point_id, unit_id, title, state, created_seq) "
            "VALUES ('gd-2011', 'ghost-1', 'guangzhou', '不存在的突破点', 'approved', 1)",
            "突破点表中的 gd-2011/ghost-1 在留痕中没有登记事件",
        ),
        (
            "DELETE FROM points WHERE point_id = 'shantou-1'",
            "留痕中登记过的突破点 gd-2011/shantou-1 在突破点表中不存在：该行被删除",
        ),
        (
            "INSERT INTO deadline_overrides (programme_id, point_id, step, due, event_seq) "
            "VALUES ('gd-2011', 'zhuhai-1', 'submit-plan', '2011-12-30', 60)",
            "期限延长记录（突破点 gd-2011/zhuhai-1 的「submit-plan」延期至 2011-12-30，"
            "记为第 60 条留痕）在留痕中没有批准延期的事件",
        ),
        (
            "UPDATE deadline_overrides SET due = '2011-12-30' WHERE point_id = 'foshan-1'",
            "期限延长记录与留痕第",
        ),
        (
            "DELETE FROM deadline_overrides WHERE point_id = 'foshan-1'",
            "在期限延长表中不存在：该行被删除",
        ),
        (
            "INSERT INTO units (programme_id, unit_id) VALUES ('gd-2011', 'nowhere')",
            "单位表中的 gd-2011/nowhere 在留痕中没有登记过突破点",
        ),
        (
            "UPDATE documents SET original_name = '假名.pdf' "
            "WHERE sha256 = (SELECT document_sha256 FROM events WHERE trigger = 'submit-plan')",
            "的原文件名：表中为 假名.pdf",
        ),
        (
            "UPDATE documents SET stored_at = '../../../../../etc/hostname' "
            "WHERE sha256 = (SELECT min(sha256) FROM documents)",
            "的存放位置记为 '../../../../../etc/hostname'",
        ),
        (
            "INSERT INTO sent_log VALUES ('gd-2011', 'submit-plan/overdue-3', 'zhuhai', "
            "'2011-05-10', 'sent', NULL, '2011-05-16T10:00:00+08:00')",
            "发送记录表中的 gd-2011/submit-plan/overdue-3/2011-05-10 → zhuhai（状态 sent）"
            "在留痕中没有发送事件：该行不是由提醒程序写入的，它使该次提醒不再发送",
        ),
        (
            "INSERT INTO sent_log VALUES ('gd-2011', 'submit-plan/overdue-3', '*', "
            "'2011-05-10', 'sent', NULL, '2011-05-16T10:00:00+08:00')",
            "发送记录表中的 gd-2011/submit-plan/overdue-3/2011-05-10（该次提醒已处理的标记）"
            "（状态 sent）在留痕中没有发送事件",
        ),
        (
            "DELETE FROM sent_log WHERE unit_id = 'foshan'",
            "记录的发送 gd-2011/submit-plan/before-5/2011-05-20 → foshan 在发送记录表中不存在："
            "该行被删除（下次提醒时会再次发送）",
        ),
        (
            "UPDATE sent_log SET status = 'skipped' WHERE unit_id = 'foshan'",
            "发送记录 gd-2011/submit-plan/before-5/2011-05-20 → foshan 的状态（status）："
            "表中为 skipped，留痕第",
        ),
        (
            "UPDATE sent_log SET message_id = '<other@example>' WHERE unit_id = 'foshan'",
            "foshan 的Message-ID（message_id）：表中为 <other@example>，留痕第",
        ),
        (
            f"UPDATE programmes SET definition_hash = '{'a' * 64}'",
            f"工作方案 gd-2011 的定义哈希（definition_hash）：表中为 {'a' * 64}，留痕第 1 条为 ",
        ),
    ],
    ids=[
        "state",
        "title",
        "unit",
        "created-seq",
        "inserted-point",
        "deleted-point",
        "fake-extension",
        "moved-extension",
        "deleted-extension",
        "inserted-unit",
        "document-name",
        "document-place",
        "inserted-notice",
        "inserted-marker",
        "deleted-notice",
        "notice-status",
        "notice-message-id",
        "programme-pin",
    ],
)
def test_a_changed_table_is_named_though_the_chain_holds(
    year: Year, sql: str, expected: str
) -> None:
    raw_sql(year.db, sql)

    found = failures(year)

    assert any(expected in text for text in found), found
    assert verify(year.store, tables=False).ok  # the chain alone would not have told


def test_a_changed_sent_log_key_is_named_as_the_row_it_took_and_the_row_it_left(
    year: Year,
) -> None:
    raw_sql(year.db, "UPDATE sent_log SET occurrence = '2011-05-27' WHERE unit_id = 'foshan'")

    found = failures(year)

    assert any(
        "发送记录表中的 gd-2011/submit-plan/before-5/2011-05-27 → foshan（状态 sent）"
        "在留痕中没有发送事件" in text
        for text in found
    ), found
    assert any(
        "gd-2011/submit-plan/before-5/2011-05-20 → foshan 在发送记录表中不存在" in text
        for text in found
    ), found


def test_registering_the_programme_is_the_first_event_and_carries_its_pin(year: Year) -> None:
    (registered,) = year.events_of("register-programme")
    (pinned,) = raw_sql(year.db, "SELECT definition_hash FROM programmes")

    assert registered.seq == 1
    assert (registered.point_id, registered.actor) == (None, EIC)
    assert registered.extras == {"definition_hash": pinned[0]}


def test_the_audit_never_reads_a_document_outside_its_folder(year: Year, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("不属于存储库的文件", encoding="utf-8")
    raw_sql(year.db, "UPDATE documents SET stored_at = ?", str(outside))

    report = verify(year.store)

    assert report.documents_checked > 0
    assert not any("secret" in t and "哈希为" in t for t in report.failures)  # not hashed
    assert all("存放位置" in t for t in report.failures), report.failures


def test_docflow_audit_verify_reports_a_changed_state_and_exits_6(year: Year) -> None:
    raw_sql(year.db, "UPDATE points SET state = 'concluded' WHERE point_id = 'ndrc-1'")

    result = run_cli(["audit", "verify"], {"DOCFLOW_DB": str(year.db)})

    assert result.exit_code == TrailBroken.exit_code == 6
    assert "突破点 gd-2011/ndrc-1 的状态：表中为 concluded，留痕为 approved" in result.stderr
