"""``docflow remind`` through a real SMTP server (aiosmtpd on 127.0.0.1), and an outage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.smtp import Envelope

from .conftest import SmtpServer
from .year2011 import Desk, Sent, remind_args, run_cli, sent, title_of

FROM = "jsgz@gd2011.example"


def smtp_args(desk: Desk, server: SmtpServer, *extra: str) -> list[str]:
    return remind_args(desk, "--smtp-host", server.host, "--smtp-port", str(server.port), *extra)


def remind(desk: Desk, server: SmtpServer, when: str) -> tuple[int, str, str]:
    result = run_cli(smtp_args(desk, server), {"DOCFLOW_NOW": when})
    return result.exit_code, result.stdout, result.stderr


def by_unit(server: SmtpServer) -> dict[str, Sent]:
    found = {}
    for message in server.messages():
        parsed = sent(message)
        found[parsed.to[0]] = parsed
    return found


def rcpt(envelope: Envelope) -> list[str]:
    return [str(a) for a in envelope.rcpt_tos]


@dataclass
class Delivered:
    desk: Desk
    envelopes: list[Envelope]
    messages: dict[str, Sent]
    exit_code: int
    stderr: str


@pytest.fixture(scope="module")
def urged(tmp_path_factory: pytest.TempPathFactory) -> Delivered:
    """The second 催报 of the work plan (2011-05-16), sent once through a real server."""
    server = SmtpServer()
    server.start()
    try:
        with Desk(tmp_path_factory.mktemp("urged")) as desk:
            desk.standard()
            code, _out, err = remind(desk, server, "2011-05-16T10:00")
    finally:
        server.stop()
    return Delivered(desk, list(server.envelopes), by_unit(server), code, err)


def test_remind_over_smtp_exits_cleanly(urged: Delivered) -> None:
    assert urged.exit_code == 0
    assert urged.stderr == ""


def test_each_envelope_goes_to_its_unit_and_the_copies(urged: Delivered) -> None:
    assert sorted(rcpt(e) for e in urged.envelopes) == [
        ["eic@gd2011.example", "dost@gd2011.example"],
        ["guangzhou@gd2011.example", "eic@gd2011.example", "dost@gd2011.example"],
        ["shenzhen@gd2011.example", "eic@gd2011.example", "dost@gd2011.example"],
    ]
    assert {e.mail_from for e in urged.envelopes} == {FROM}


def test_no_message_goes_to_a_unit_that_already_submitted(urged: Delivered) -> None:
    everyone = {address for e in urged.envelopes for address in rcpt(e)}
    assert "foshan@gd2011.example" not in everyone
    assert set(urged.messages) == {"eic", "guangzhou", "shenzhen"}


def test_the_chinese_subject_arrives_decoded(urged: Delivered) -> None:
    subject = urged.messages["guangzhou"].message["Subject"]
    assert subject == "关于催报突破点工作方案的通知（第二次催报）"


def test_each_message_lists_exactly_the_units_waiting_points(urged: Delivered) -> None:
    guangzhou = urged.messages["guangzhou"].text
    shenzhen = urged.messages["shenzhen"].text
    assert title_of("guangzhou-1") in guangzhou
    assert title_of("guangzhou-2") in guangzhou
    assert title_of("shenzhen-1") in shenzhen
    assert title_of("shenzhen-2") not in shenzhen  # never approved: no work plan owed
    assert title_of("guangzhou-1") not in shenzhen


def test_the_message_id_names_programme_rule_unit_and_due_day(urged: Delivered) -> None:
    assert {unit: m.message_id for unit, m in urged.messages.items()} == {
        unit: f"<gd-2011.submit-plan_overdue-2.{unit}.2011-05-10@gd2011.example>"
        for unit in ("eic", "guangzhou", "shenzhen")
    }


def test_delivered_messages_move_from_the_queue_to_sent(urged: Delivered) -> None:
    outbox = urged.desk.outbox
    assert list((outbox / "queue").glob("*.eml")) == []
    assert len(list((outbox / "sent").glob("*.eml"))) == 3


# --- more runs ----------------------------------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path / "desk") as opened:
        yield opened.standard()


def test_remind_run_twice_delivers_nothing_the_second_time(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    remind(desk, smtp_server, "2011-05-16T10:00")
    code, out, _err = remind(desk, smtp_server, "2011-05-16T16:00")
    assert code == 0
    assert "没有到时应发的提醒" in out
    assert len(smtp_server.envelopes) == 3


def test_the_last_urge_reaches_the_units_leadership(desk: Desk, smtp_server: SmtpServer) -> None:
    remind(desk, smtp_server, "2011-05-18T10:00")
    (guangzhou,) = [rcpt(e) for e in smtp_server.envelopes if "guangzhou@gd2011.example" in rcpt(e)]
    assert guangzhou == [
        "guangzhou@gd2011.example",
        "eic@gd2011.example",
        "dost@gd2011.example",
        "guangzhou-leader@gd2011.example",
    ]


def test_remind_at_a_given_time_on_the_real_clock_still_delivers(
    desk: Desk, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The queue stamps messages on the real clock; --now only says which reminders are due.
    monkeypatch.delenv("DOCFLOW_NOW", raising=False)
    result = run_cli(smtp_args(desk, smtp_server, "--now", "2011-05-03T10:00"))
    assert result.exit_code == 0, result.stderr
    assert len(smtp_server.envelopes) == 3
    assert list((desk.outbox / "queue").glob("*.eml")) == []


# --- an outage ----------------------------------------------------------------------------


def test_remind_during_an_smtp_outage_keeps_every_message_queued_and_says_so(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    code, out, err = remind(desk, smtp_server, "2011-05-03T10:00")
    assert code == 0
    assert "SMTP 服务器已接收 0 封，3 封仍在发件队列中等待重试。" in out
    assert len(list((desk.outbox / "queue").glob("*.eml"))) == 3
    assert "3 封邮件尚未投递" in err
    assert str(desk.outbox / "queue") in err
    assert "Connection refused" in err


def test_queued_messages_are_delivered_exactly_once_when_the_server_is_back(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    remind(desk, smtp_server, "2011-05-03T10:00")
    smtp_server.start()  # the same port
    code, out, err = remind(desk, smtp_server, "2011-05-03T10:05")
    remind(desk, smtp_server, "2011-05-03T10:10")
    assert code == 0
    assert "尚未投递" not in err
    # Nothing new is due at 10:05, but the queued three go out and the run says so.
    assert out.splitlines() == [
        "2011-05-03 10:05：没有到时应发的提醒。",
        "SMTP 服务器已接收 3 封。",
    ]
    assert sorted(sent(m).message_id for m in smtp_server.messages()) == sorted(
        f"<gd-2011.submit-plan_before-5.{unit}.2011-05-10@gd2011.example>"
        for unit in ("eic", "guangzhou", "shenzhen")
    )
    assert list((desk.outbox / "queue").glob("*.eml")) == []
    assert len(list((desk.outbox / "sent").glob("*.eml"))) == 3
