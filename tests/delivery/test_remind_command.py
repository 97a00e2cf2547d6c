"""``docflow remind`` into the outbox folder: dry runs, the sent-log, Message-IDs, bad names."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from engine.app import MailSettings, open_queue
from engine.clock import FixedClock
from engine.delivery.mail import MailQueue
from tests.runtime.gd2011 import snapshot

from .year2011 import (
    PROGRAMME_DIR,
    WAITING_FOR_PLAN,
    Desk,
    moment,
    read_outbox,
    remind_args,
    run_cli,
)

NOW = {"DOCFLOW_NOW": "2011-05-03T10:00"}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path / "desk") as opened:
        yield opened.standard()


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_remind_dry_run_json_lists_what_would_go_out_and_writes_nothing(desk: Desk) -> None:
    before = (snapshot(desk.db), files(desk.folder))
    result = run_cli(remind_args(desk, "--dry-run", "--json"), NOW)
    assert result.exit_code == 0, result.stderr
    assert (snapshot(desk.db), files(desk.folder)) == before
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert {m["recipient"]: tuple(m["points"]) for m in report["messages"]} == WAITING_FOR_PLAN
    assert {m["rule"] for m in report["messages"]} == {"submit-plan/before-5"}


def test_remind_writes_one_message_per_waiting_unit_into_the_outbox(desk: Desk) -> None:
    result = run_cli(remind_args(desk), NOW)
    assert result.exit_code == 0, result.stderr
    assert sorted(m.to for m in read_outbox(desk.outbox)) == [
        ("eic",),
        ("guangzhou",),
        ("shenzhen",),
    ]


def test_remind_run_twice_sends_nothing_the_second_time(desk: Desk) -> None:
    run_cli(remind_args(desk), NOW)
    first = files(desk.outbox)
    again = run_cli(remind_args(desk), {"DOCFLOW_NOW": "2011-05-03T15:00"})
    assert again.exit_code == 0, again.stderr
    assert "没有到时应发的提醒" in again.stdout
    assert files(desk.outbox) == first


def test_message_ids_depend_only_on_programme_rule_unit_and_due_day(tmp_path: Path) -> None:
    ids = []
    for name, when in (("early", "2011-05-03T09:00"), ("late", "2011-05-05T17:30")):
        with Desk(tmp_path / name) as desk:
            desk.standard()
            run_cli(remind_args(desk), {"DOCFLOW_NOW": when})
            ids.append(sorted(m.message_id for m in read_outbox(desk.outbox)))
    assert ids[0] == ids[1]
    assert "<gd-2011.submit-plan_before-5.guangzhou.2011-05-10@gd2011.example>" in ids[0]


# --- a header injection through a copied programme ------------------------------------------


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    """A copy of the programme whose 广州市 has a newline and a Bcc header in its name."""
    folder = tmp_path / "gd-2011-copy"
    shutil.copytree(PROGRAMME_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    clean = "name: 广州市人民政府,"
    assert text.count(clean) == 1
    path.write_text(
        text.replace(clean, 'name: "广州市人民政府\\nBcc: victim@evil.example",'),
        encoding="utf-8",
    )
    return folder


def test_a_unit_name_with_a_newline_is_refused_before_any_message_is_made(
    tmp_path: Path, tampered: Path
) -> None:
    # Validation names the place; the mail builder's own header check stays as a second line
    # of defence (tests/delivery/test_mail.py).
    checked = run_cli(["validate", str(tampered)], {})
    assert checked.exit_code == 1
    assert "programme.yaml:" in checked.stderr
    assert "name 只能写成一行：第 8 个字符是换行或控制字符（U+000A）" in checked.stderr
    with Desk(tmp_path / "desk") as desk:
        desk.standard()
        before = snapshot(desk.db)
        result = run_cli(
            ["remind", str(tampered), "--db", str(desk.db), "--outbox", str(desk.outbox)], NOW
        )
        assert result.exit_code == 1
        assert "只能写成一行" in result.stderr
        assert snapshot(desk.db) == before
    assert not desk.outbox.exists() or list(desk.outbox.rglob("*.eml")) == []


# --- a run that dies between writing a message and committing the sent-log -----------------


class Recording:
    """A transport that keeps what it is handed."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []

    def send(self, msg: EmailMessage) -> None:
        self.accepted.append(msg)

    def close(self) -> None:
        pass


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, the open transaction is not committed."""


def die_after_first_write(queue: MailQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    original = queue.enqueue

    def enqueue(msg: EmailMessage, **options: Any) -> Path:
        original(msg, **options)
        raise Killed

    monkeypatch.setattr(queue, "enqueue", enqueue)


def run_killed_after_first_write(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 10:00 run into the outbox, killed once it has written its first message."""
    queue = open_queue(MailSettings(str(desk.outbox)), desk.clock)
    die_after_first_write(queue, monkeypatch)
    with pytest.raises(Killed):
        desk.at("2011-05-03T10:00").runner(queue).run()
    monkeypatch.undo()


def test_a_run_killed_before_committing_does_not_write_the_message_twice(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_killed_after_first_write(desk, monkeypatch)
    desk.at("2011-05-03T10:05").runner(open_queue(MailSettings(str(desk.outbox)), desk.clock)).run()
    ids = Counter(m.message_id for m in read_outbox(desk.outbox))
    assert sorted(ids.values()) == [1, 1, 1]


def test_a_run_killed_before_committing_does_not_queue_the_message_twice(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = Recording()
    clock = FixedClock(moment("2011-05-03T10:00"))
    queue = MailQueue(desk.outbox, transport, clock)
    die_after_first_write(queue, monkeypatch)
    with pytest.raises(Killed):
        desk.runner(queue, clock).run()
    monkeypatch.undo()
    later = FixedClock(moment("2011-05-03T10:05"))
    desk.runner(MailQueue(desk.outbox, transport, later), later).run()
    ids = Counter(str(m["Message-ID"]).strip() for m in transport.accepted)
    assert sorted(ids.values()) == [1, 1, 1]


def test_a_message_file_left_incomplete_by_a_crash_is_written_again_whole(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files are flushed to disk together before the commit; a crash before it may leave the
    # first message's file empty (its data never reached the disk).
    run_killed_after_first_write(desk, monkeypatch)
    (left,) = desk.outbox.glob("*.eml")
    left.write_bytes(b"")
    desk.at("2011-05-03T10:05").runner(open_queue(MailSettings(str(desk.outbox)), desk.clock)).run()
    assert left.stat().st_size > 0
    ids = Counter(m.message_id for m in read_outbox(desk.outbox))
    assert sorted(ids.values()) == [1, 1, 1]


def test_messages_are_on_disk_before_the_sent_log_says_so(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def logged_as_sent() -> list[str]:  # as another connection sees the sent-log
        with closing(sqlite3.connect(desk.db)) as conn:
            rows = conn.execute("SELECT unit_id FROM sent_log WHERE status = 'sent'")
            return sorted(unit for (unit,) in rows)

    queue = open_queue(MailSettings(str(desk.outbox)), desk.clock)
    seen: list[tuple[int, list[str]]] = []
    original = queue.make_durable

    def make_durable(paths: list[Path]) -> None:
        seen.append((len(paths), logged_as_sent()))
        original(paths)

    monkeypatch.setattr(queue, "make_durable", make_durable)
    desk.at("2011-05-03T10:00").runner(queue).run()
    assert seen == [(3, [])]  # the three messages are flushed before anything is logged sent
    assert logged_as_sent() == sorted([*WAITING_FOR_PLAN, "*"])


def test_a_past_years_programme_sends_nothing_long_after_its_last_reminder(desk: Desk) -> None:
    before = (snapshot(desk.db), files(desk.folder))
    late = {"DOCFLOW_NOW": "2026-11-28T09:00"}  # an old folder, the real clock

    refused = run_cli(remind_args(desk), late)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("工作方案 gd-2011（2011 年）的最后一次提醒应于 2011-12-08")
    assert "现在是 2026-11-28：该方案已不再发送提醒" in refused.stderr
    assert (snapshot(desk.db), files(desk.folder)) == before

    # Looking costs nothing: a dry run still lists what would go out.
    assert run_cli(remind_args(desk, "--dry-run"), late).exit_code == 0
    # Within a month of the last reminder the service still runs (a late 催报 may be due).
    assert run_cli(remind_args(desk, "--now", "2012-01-05T09:00"), {}).exit_code == 0
