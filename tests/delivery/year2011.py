"""The 2011 programme (workflows/gd-2011) at some point of its year, for the reminder tests.

``Desk`` is one store in a test folder, driven through ``Runtime`` with a clock set by hand:
enrol the 52 example points, screen and approve some, submit documents, grant extensions.
``runner`` and ``dry_run`` run the reminder code (``ReminderRunner``) on it; ``remind``
calls ``docflow remind`` in-process on the same files. ``read_outbox`` and ``Sent`` parse the
messages back. The definition is loaded once per test session (it is immutable).
"""

from __future__ import annotations

import email
import email.policy
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from click.testing import CliRunner

from engine.app import MailSettings, open_queue
from engine.clock import Clock, FixedClock
from engine.definition.loader import Definition, load_definition
from engine.delivery.dispatch import ReminderRunner, RunResult
from engine.delivery.mail import MailQueue
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint, Runtime
from engine.runtime.store import EventRow, Store, open_store

# Shared with the engine's tests (re-exported for the reminder tests).
from tests.runtime.gd2011 import EXAMPLE_POINTS as EXAMPLE_POINTS
from tests.runtime.gd2011 import PROGRAMME_DIR as PROGRAMME_DIR
from tests.runtime.gd2011 import example_ids as example_ids
from tests.runtime.gd2011 import moment as moment

PID = "gd-2011"
PLAN_DUE = date(2011, 5, 10)  # 报送突破点工作方案: 5月10日前 (the cover notice's amendment)

#: Points approved in the standard scenario; foshan-1's unit submits its plan at once.
APPROVED = ("eic-1", "guangzhou-1", "guangzhou-2", "shenzhen-1", "foshan-1")
#: Who waits for the work plan in the standard scenario, and for which points.
WAITING_FOR_PLAN = {
    "eic": ("eic-1",),
    "guangzhou": ("guangzhou-1", "guangzhou-2"),
    "shenzhen": ("shenzhen-1",),
}


@functools.cache
def _load(folder: Path) -> Definition:
    return load_definition(folder)


def definition(folder: Path = PROGRAMME_DIR) -> Definition:
    return _load(folder)


def title_of(point_id: str) -> str:
    return dict(
        zip(example_ids(), (p.title for p in read_points_file(EXAMPLE_POINTS)), strict=True)
    )[point_id]


class Desk:
    """One store running the 2011 programme in ``folder``, with a clock set by hand."""

    def __init__(self, folder: Path, programme: Path = PROGRAMME_DIR) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.programme = programme
        self.db = folder / "docflow.db"
        self.outbox = folder / "outbox"
        self.inbox = folder / "inbox"
        self.inbox.mkdir(exist_ok=True)
        self.definition = definition(programme)
        self.clock = FixedClock(moment("2011-04-28T10:00"))
        self.store: Store = open_store(str(self.db))
        self.runtime = Runtime(self.definition, self.store, self.clock)
        self._files = 0

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def at(self, text: str) -> Desk:
        self.clock.moment = moment(text)
        return self

    def file(self) -> Path:
        self._files += 1
        path = self.inbox / f"doc-{self._files}.txt"
        path.write_text(f"报送文件第 {self._files} 号", encoding="utf-8")
        return path

    # -- commands ------------------------------------------------------------------------

    def enrol_example(self) -> Desk:
        self.runtime.enrol(read_points_file(EXAMPLE_POINTS))
        return self

    def enrol(self, points: Iterable[NewPoint]) -> Desk:
        self.runtime.enrol(list(points))
        return self

    def approve(self, *points: str) -> Desk:
        self.decide("screen", points)
        self.decide("approve", points)
        return self

    def drop(self, *points: str) -> Desk:
        """Screen points out: they leave the programme (not selected)."""
        return self.decide("screen", points, "reject", reason="未入选")

    def decide(
        self,
        task: str,
        points: Sequence[str],
        outcome: str = "accept",
        reason: str = "经研究同意",
        until: date | None = None,
    ) -> Desk:
        self.runtime.decide(task, points, outcome, reason, None, until)
        return self

    def submit(self, unit: str, task: str, points: Sequence[str] = ()) -> list[EventRow]:
        return self.runtime.submit(unit, task, self.file(), points)

    def extend(self, point: str, until: date) -> Desk:
        """The point's unit asks for an extension and 省经济和信息化委 grants it."""
        unit = point.rpartition("-")[0]
        self.runtime.submit(unit, "extension", self.file(), [point])
        return self.decide("extension", [point], until=until)

    def standard(self) -> Desk:
        """52 example points enrolled, five approved, foshan's work plan submitted on 5-02."""
        self.at("2011-04-28T10:00").enrol_example().approve(*APPROVED)
        self.at("2011-05-02T10:00").submit("foshan", "work-plan")
        return self

    def through_progress(self, *points: str) -> Desk:
        """Work plan, measures and progress submitted for ``points`` (already approved)."""
        units = list(dict.fromkeys(p.rpartition("-")[0] for p in points))
        for task, when in (
            ("work-plan", "2011-05-05T10:00"),
            ("measures", "2011-06-10T10:00"),
            ("progress", "2011-09-15T10:00"),
        ):
            self.at(when)
            for unit in units:
                self.submit(unit, task, [p for p in points if p.startswith(f"{unit}-")])
        return self

    # -- reminders -----------------------------------------------------------------------

    def runner(self, queue: MailQueue | None = None, clock: Clock | None = None) -> ReminderRunner:
        return ReminderRunner(self.definition, self.store, clock or self.clock, queue)

    def dry_run(self, when: str) -> RunResult:
        self.at(when)
        return self.runner().run(self.clock.now(), dry_run=True)

    def send(self, when: str) -> RunResult:
        """Run the reminders at ``when`` into the outbox folder (the embedded default)."""
        self.at(when)
        clock = FixedClock(self.clock.now())
        return self.runner(open_queue(MailSettings(str(self.outbox)), clock), clock).run(
            clock.now()
        )


def recipients(result: RunResult, rule: str) -> dict[str, tuple[str, ...]]:
    """Recipient -> points of the messages of one rule in a run."""
    return {o.recipient: o.points for o in result.sent if o.rule == rule}


# -- the command line ----------------------------------------------------------------------


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], env: Mapping[str, str] | None = None) -> CliResult:
    """``docflow ARGS`` in this process; exceptions other than exits propagate."""
    from engine.cli import cli

    result = CliRunner().invoke(cli, list(args), env=dict(env or {}), catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def remind_args(desk: Desk, *extra: str) -> list[str]:
    return [
        "remind",
        str(desk.programme),
        "--db",
        str(desk.db),
        "--outbox",
        str(desk.outbox),
        *extra,
    ]


# -- messages ------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@dataclass(frozen=True)
class Sent:
    """One message parsed back, with the addresses mapped to body ids."""

    message: EmailMessage
    rule: str
    due: str
    to: tuple[str, ...]
    cc: tuple[str, ...]

    @property
    def message_id(self) -> str:
        # A long Message-ID is folded onto a continuation line: the parsed value keeps the
        # leading space, which is not part of the identifier.
        return str(self.message["Message-ID"]).strip()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.to[0], self.due)

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())


def bodies_by_email(folder: Path = PROGRAMME_DIR) -> dict[str, str]:
    """E-mail address -> body id (leadership addresses map to ``<id>:leadership``)."""
    found: dict[str, str] = {}
    for body in definition(folder).index.bodies.values():
        if body.email:
            found[body.email] = body.id
        if body.leadership_email:
            found[body.leadership_email] = f"{body.id}:leadership"
    return found


def sent(msg: EmailMessage, folder: Path = PROGRAMME_DIR) -> Sent:
    ids = bodies_by_email(folder)

    def addresses(header: str) -> tuple[str, ...]:
        value = msg.get(header)
        if value is None:
            return ()
        return tuple(ids[a.addr_spec] for a in value.addresses)

    return Sent(
        msg,
        str(msg["X-Docflow-Rule"]),
        str(msg["X-Docflow-Occurrence"]),
        addresses("To"),
        addresses("Cc"),
    )


def read_outbox(folder: Path) -> list[Sent]:
    """Every ``.eml`` directly in ``folder`` (not the queue), parsed, in file-name order."""
    return [sent(parse(p.read_bytes())) for p in sorted(folder.glob("*.eml"))]
