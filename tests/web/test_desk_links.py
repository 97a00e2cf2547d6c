"""Every reminder and 催报 links to its unit's page on the desk when the desk's address is
given (``--desk-url`` / ``DOCFLOW_DESK_URL`` / the serve configuration), and says nothing of
it otherwise; a bad address is refused before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.app import check_desk_url
from engine.errors import MailError
from engine.serve.jobs import mail_of
from tests.delivery.year2011 import WAITING_FOR_PLAN, Desk, read_outbox, remind_args, run_cli

NOW = {"DOCFLOW_NOW": "2011-05-03T10:00"}
DESK = "https://dubang.example.gov.cn/desk"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path / "desk") as opened:
        yield opened.standard()


def _text(m: object) -> str:
    """The plain body with its lines ended as the template wrote them (the mail has CRLF)."""
    return m.text.replace("\r\n", "\n")  # type: ignore[attr-defined]


def _html(message: object) -> str:
    body = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def test_each_reminder_links_to_its_own_units_page(desk: Desk) -> None:
    result = run_cli(remind_args(desk, "--desk-url", DESK + "/"), NOW)
    assert result.exit_code == 0, result.stderr
    sent = read_outbox(desk.outbox)
    assert sorted(m.to[0] for m in sent) == sorted(WAITING_FOR_PLAN)
    for m in sent:
        url = f"{DESK}/p/gd-2011/units/{m.to[0]}"
        assert f"\n\n\u3000\u3000网上报送：{url}\n\n" in _text(m)
        assert f'网上报送：<a href="{url}">{url}</a>' in _html(m.message)
        assert _text(m).count("网上报送") == 1


def test_without_the_address_a_reminder_says_nothing_of_the_desk(desk: Desk) -> None:
    result = run_cli(remind_args(desk), NOW)
    assert result.exit_code == 0, result.stderr
    sent = read_outbox(desk.outbox)
    assert sent
    for m in sent:
        assert "网上报送" not in _text(m)
        assert "网上报送" not in _html(m.message)
        assert "如已报送，请忽略本提醒。\n\n" in _text(m)


def test_the_address_may_come_from_the_environment(desk: Desk) -> None:
    result = run_cli(remind_args(desk), {**NOW, "DOCFLOW_DESK_URL": DESK})
    assert result.exit_code == 0, result.stderr
    assert all(
        f"网上报送：{DESK}/p/gd-2011/units/{m.to[0]}" in _text(m) for m in read_outbox(desk.outbox)
    )


def test_a_bad_address_is_refused_before_anything_is_sent(desk: Desk) -> None:
    result = run_cli(remind_args(desk, "--desk-url", "dubang.example.gov.cn"), NOW)
    assert result.exit_code == 2
    assert "网上报送地址「dubang.example.gov.cn」无效" in result.stderr
    assert not desk.outbox.exists() or not list(desk.outbox.glob("*.eml"))


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://x.example",
        "https://",
        "https://x.example/a b",
        'https://x.example/"><b>',
        "https://x.example/?a=1",
    ],
)
def test_check_desk_url_refuses_what_is_no_plain_web_address(bad: str) -> None:
    with pytest.raises(MailError, match="网上报送地址"):
        check_desk_url(bad)


def test_check_desk_url_keeps_a_plain_address_without_its_trailing_slash() -> None:
    assert check_desk_url(" https://x.example/desk/ ") == "https://x.example/desk"
    assert check_desk_url("") is None
    assert check_desk_url(None) is None


def test_serve_passes_the_address_from_its_configuration_to_the_mail_settings() -> None:
    assert mail_of({"outbox": "o", "desk_url": DESK}).desk_url == DESK
    assert mail_of({"outbox": "o"}).desk_url is None


def test_the_simulated_year_links_every_reminder_and_urge(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    args = ["simulate", "workflows/gd-2011", "--outbox", str(outbox), "-q"]
    result = run_cli([*args, "--desk-url", DESK])
    assert result.exit_code == 0, result.stderr
    sent = read_outbox(outbox)
    kinds = Counter(m.rule.rpartition("/")[2].split("-")[0] for m in sent)
    assert kinds["before"] > 100, kinds
    assert kinds["overdue"] >= 4, kinds
    for m in sent:
        if "进度汇总" in str(m.message["Subject"]):  # the office's summary: no unit's page
            assert "网上报送" not in _text(m)
        elif m.rule.startswith("inspect/"):  # to an inspection lead: its page of the programme
            assert f"网上报送：{DESK}/p/gd-2011/\n" in _text(m)
        else:
            assert f"网上报送：{DESK}/p/gd-2011/units/{m.to[0]}\n" in _text(m)
