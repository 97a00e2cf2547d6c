"""One open programme: its definition, its store, its clock and where its mail goes.

Every front end - the ``docflow`` command, the reminder service, the simulated year, a
Python user embedding the engine - opens a ``Programme`` and calls its use cases. Each use
case that writes is one store transaction (see ``engine.runtime.service``); each that reads
takes one read-only snapshot of the store and hands it, with the definition and the moment,
to a view. Views never open stores or read the environment; the clock is chosen by the
caller (``engine.clock.choose_clock``) and used for everything.

    with Programme.open("workflows/gd-2011", db="docflow.db", create=True) as gd:
        gd.enrol([NewPoint("guangzhou", "广州市汽车产业转型升级")])
        print(gd.status()["points"])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from engine.app.mail import MailSettings
from engine.clock import Clock, SystemClock
from engine.definition.loader import Definition, load_definition
from engine.errors import ITEM, DefinitionChanged, DocflowError, Refused, StoreError
from engine.refusals import UnknownPoint
from engine.runtime.service import NewPoint, Runtime
from engine.runtime.snapshot import Snapshot, read_inputs, read_snapshot
from engine.runtime.store import EventRow, PointRow, Store, open_store, resolve_location

if TYPE_CHECKING:  # the reminder, mail and audit code is imported by the use cases needing it
    from engine.app.provenance import HeadMark
    from engine.delivery.dispatch import ReminderRunner, RunResult
    from engine.delivery.mail import MailQueue
    from engine.runtime.asof import AsOf
    from engine.runtime.checkpoints import AuditReport, SignedCheckpoint
    from engine.runtime.signing import KeyPairFiles, SigningKey, VerifyKey
    from engine.runtime.trail import VerifyReport

__all__ = [
    "NewPoint",
    "Programme",
    "check_signing_key",
    "checkpoint_store",
    "generate_audit_keys",
    "verify_store",
]

PathLike = str | os.PathLike[str]


class Programme:
    """A programme opened on a store (or on none: the definition alone, for its report and
    calendar), with the clock every use case reads."""

    def __init__(
        self,
        definition: Definition,
        store: Store | None,
        clock: Clock | None = None,
        mail: MailSettings | None = None,
        operator: str | None = None,
    ) -> None:
        self.definition = definition
        self.operator = operator  # the person keying commands in (经办人), on every event
        self.store = store
        zone = definition.zone
        self.clock: Clock = clock or SystemClock(zone)
        self.mail = mail or MailSettings()
        self._runtime: Runtime | None = None

    @classmethod
    def open(
        cls,
        programme: PathLike | Definition,
        *,
        db: str | None = None,
        documents: PathLike | None = None,
        clock: Clock | None = None,
        mail: MailSettings | None = None,
        create: bool = False,
        with_store: bool = True,
        operator: str | None = None,
        readonly: bool = False,
    ) -> Programme:
        """Load ``programme`` (a folder or YAML file) and open its store: ``db`` is a SQLite
        path or a database URL (default ``$DOCFLOW_DB`` or ``docflow.db``). Without
        ``create`` the store must exist and hold the programme already. With ``readonly``
        the store is only read (a read-only folder or a full disk will do): the reading use
        cases and ``remind(dry_run=True)`` work, the ones that write are refused."""
        definition = (
            programme
            if isinstance(programme, Definition)
            else load_definition(os.fspath(programme))
        )
        store = None
        if with_store:
            store = open_store(
                resolve_location(db),
                os.fspath(documents) if documents else None,
                create=create and not readonly,
                readonly=readonly,
            )
        opened = cls(definition, store, clock, mail, operator)
        if store is not None and not create:
            try:
                opened.runtime.require_registered()
            except BaseException:
                store.close()
                raise
        return opened

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Programme:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the parts ---------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.definition, self._store(), self.clock, self.operator)
        return self._runtime

    def now(self) -> datetime:
        return self.clock.now()

    def _store(self) -> Store:
        if self.store is None:
            raise StoreError("未打开存储库：此操作需要存储库")
        return self.store

    # --- commands that write -----------------------------------------------------------

    def enrol(self, points: Sequence[NewPoint], at: datetime | None = None) -> list[PointRow]:
        """Enrol points (a unit's proposals) in the initial state, all or none."""
        return self.runtime.enrol(points, at)

    def submit(
        self,
        unit: str,
        task: str,
        file: PathLike,
        points: Sequence[str] = (),
        at: datetime | None = None,
        period: str | None = None,
    ) -> list[EventRow]:
        """Record a document from ``unit`` for ``task`` (a recurring report's: for ``period``)."""
        return self.runtime.submit(unit, task, Path(file), points, at, period)

    def decide(
        self,
        task: str,
        points: Sequence[str],
        outcome: str,
        reason: str,
        actor: str | None = None,
        until: date | None = None,
        at: datetime | None = None,
    ) -> list[EventRow]:
        """Record a decision (accept, reject, return) on points for a task."""
        return self.runtime.decide(task, points, outcome, reason, actor, until, at)

    def correct(
        self,
        event: int,
        reason: str,
        *,
        withdraw: bool = False,
        file: PathLike | None = None,
        decision_reason: str | None = None,
        actor: str | None = None,
    ) -> EventRow:
        """Correct trail event ``event`` by a correcting event (never an edit): 撤回 it
        (``withdraw``: its point back to the state before it) or 更正 it (its document
        replaced by ``file``, or its decision's reason by ``decision_reason``), exactly one."""
        from engine.refusals import MissingInput
        from engine.runtime.correcting import Corrections

        if withdraw + (file is not None) + (decision_reason is not None) != 1:
            raise MissingInput("kind", "correction")
        corrections = Corrections(self.runtime)
        if withdraw:
            return corrections.withdraw(event, reason, actor)
        return corrections.amend(
            event,
            reason,
            file=Path(file) if file is not None else None,
            decision_reason=decision_reason,
            actor=actor,
        )

    def migrate(self, reason: str, actor: str | None = None) -> EventRow | None:
        """Adopt the current definition for running points (an event); None if unchanged."""
        return self.runtime.migrate(reason, actor)

    # --- reading -----------------------------------------------------------------------

    def snapshot(self, *, with_events: bool = False) -> Snapshot:
        """The programme's state in the store, read in one read-only transaction."""
        store = self._store()
        inputs = read_inputs(self.definition)
        with store.transaction(readonly=True) as tx:
            return read_snapshot(tx, self.id, store.location, *inputs, with_events=with_events)

    def snapshot_at(self, at: datetime) -> tuple[Snapshot, AsOf]:
        """The programme as its trail stood at ``at``: the events recorded by then replayed
        (``engine.runtime.asof``). ``OutsideTheTrail`` if ``at`` is before the programme's
        first event or after the clock's now."""
        from engine.runtime.asof import as_of_range, read_snapshot_at

        store = self._store()
        tasks = tuple(t.id for t in self.definition.programme.tasks if t.level == "programme")
        with store.transaction(readonly=True) as tx:
            found = read_snapshot_at(tx, self.id, store.location, at, tasks)
        as_of_range(found[1], self.now())
        return found

    def _pinned_at(self, as_of: AsOf) -> str | None:
        """Check the definition for a view as of a moment: the one pinned then, or else the
        one pinned now (``DefinitionChanged`` otherwise); what to say when it is not the
        definition of that moment."""
        from engine.runtime.asof import definition_note
        from engine.runtime.pinning import Pin

        if as_of.pinned in (Pin.of(self.definition).sha256, self.definition.sha256):
            return None
        self.runtime.check_pinned()
        return definition_note(as_of)

    def resolve_unit(self, unit: str) -> str:
        """The id of the body a user named by its id, short name or full name."""
        return self.runtime.resolve_unit(unit)

    def status(
        self,
        unit: str | None = None,
        now: datetime | None = None,
        at: datetime | None = None,
        point: str | None = None,
    ) -> dict[str, Any]:
        """States, next steps, due days, colours and 上报率 at ``now`` (default: the clock),
        of the points as stored (all, ``unit``'s, or ``point``); with ``at`` instead, as the
        trail had them at ``at``, judged at ``at``."""
        from engine.views.status import build_status

        if unit is not None:
            unit = self.resolve_unit(unit)
        if at is not None:
            _one_moment(now, at)
            snapshot, as_of = self.snapshot_at(at)
            note = self._pinned_at(as_of)
            _refuse_not_yet(self, snapshot, as_of, unit, point)
            report = build_status(self.definition, snapshot, at, unit, point)
            report["definition_note"] = note
            return report
        # Deadlines, labels and steps come from the definition: a changed one must be
        # migrated (and so recorded) before it may colour the points.
        self.runtime.check_pinned()
        snapshot = self.snapshot()
        if point is not None and not any(p.point_id == point for p in snapshot.points):
            raise UnknownPoint(point)
        return build_status(self.definition, snapshot, now or self.now(), unit, point)

    def trail(self, point: str | None = None) -> list[EventRow]:
        """The trail in order, of the whole programme or one point."""
        with self._store().transaction(readonly=True) as tx:
            if point is not None and tx.get_point(self.id, point) is None:
                raise Refused(f"未登记的{ITEM} {point}")
            return tx.events(self.id, point)

    @overload
    def verify(self, checkpoints: None = None, public_key: None = None) -> VerifyReport: ...

    @overload
    def verify(self, checkpoints: PathLike, public_key: PathLike) -> AuditReport: ...

    def verify(
        self, checkpoints: PathLike | None = None, public_key: PathLike | None = None
    ) -> VerifyReport | AuditReport:
        """Recompute the trail's chain and every stored document's hash; with a checkpoints
        file (and the public key that signed it), check every checkpoint of it as well."""
        return _verify(self._store(), checkpoints, _verify_key(checkpoints, public_key))

    def checkpoint(self, key: PathLike, out: PathLike | None = None) -> SignedCheckpoint:
        """Sign the head of the store's chain with the private key in ``key``, at the
        clock's time; with ``out``, append it to that checkpoints file."""
        from engine.runtime.signing import load_signing_key

        return _checkpoint(self._store(), load_signing_key(key), out, self.now())

    # --- reminders ---------------------------------------------------------------------

    def open_queue(self) -> MailQueue:
        from engine.app.mail import open_queue

        return open_queue(self.mail, self.clock)

    def reminder_runner(self, queue: MailQueue | None = None) -> ReminderRunner:
        """The one reminder code path of remind, serve and simulate, on this programme."""
        from engine.delivery.dispatch import ReminderRunner

        return ReminderRunner(
            self.definition, self._store(), self.clock, queue, desk_url=self.mail.desk_url
        )

    def remind(self, now: datetime | None = None, *, dry_run: bool = False) -> RunResult:
        """Send (or with ``dry_run`` list) the reminders due at ``now``."""
        self.runtime.check_pinned()
        moment = now or self.now()
        queue = None if dry_run else self.open_queue()
        runner = self.reminder_runner(queue)
        if not dry_run:
            runner.refuse_out_of_season(moment)
        return runner.run(moment, dry_run=dry_run)

    # --- views -------------------------------------------------------------------------

    def summary(self, now: datetime | None = None, at: datetime | None = None) -> dict[str, Any]:
        """The 汇总表's data at ``now`` (default: the clock): each step 按时, 逾期N天 or 未到期;
        with ``at`` instead, of the trail as it stood at ``at``, judged at ``at``."""
        from engine.views.exports import build_summary

        if at is not None:
            _one_moment(now, at)
            snapshot, as_of = self.snapshot_at(at)
            note = self._pinned_at(as_of)
            summary = build_summary(self.definition, snapshot, at)
            summary["definition_note"] = note
            return summary
        self.runtime.check_pinned()
        return build_summary(self.definition, self.snapshot(with_events=True), now or self.now())

    def export_summary(
        self,
        fmt: str = "csv",
        out: PathLike | None = None,
        now: datetime | None = None,
        at: datetime | None = None,
        checkpoint_key: PathLike | None = None,
    ) -> str | None:
        """Write the 汇总表 as csv or xlsx; csv without ``out`` is returned as text. It
        carries the chain's head it was read at, and with ``checkpoint_key`` a checkpoint of
        it signed with that private key."""
        from engine.views.summary_files import check_summary_target, write_summary

        check_summary_target(fmt, out)  # before the store is read
        key = _signing_key(checkpoint_key)
        summary = self.summary(now, at)
        head = summary["trail_head"]
        summary["trail_head"] = {
            **head,
            **self._head_mark((head["seq"], head["hash"]), key).as_dict(),
        }
        return write_summary(summary, fmt, out)

    def export_ical(
        self,
        unit: str | None = None,
        out: PathLike | None = None,
        at: datetime | None = None,
        checkpoint_key: PathLike | None = None,
    ) -> str:
        """Every deadline of the year as iCalendar text (also written to ``out``). The
        calendar holds the definition's deadlines only; ``at`` stamps it (DTSTAMP) at that
        moment instead of the clock's; opened on a store, it carries the chain's head (signed
        with ``checkpoint_key`` if given)."""
        from engine.views.exports import build_ical, write_text

        key = _signing_key(checkpoint_key)
        head = None
        if self.store is not None:
            with self.store.transaction(readonly=True) as tx:
                seq_hash = tx.chain_head()
            head = self._head_mark(seq_hash, key).as_dict()
        text = build_ical(self.definition, at or self.now(), unit, head=head)
        if out is not None:
            write_text(out, text.encode("utf-8"))
        return text

    def _head_mark(self, head: tuple[int, str], key: SigningKey | None) -> HeadMark:
        from engine.app.provenance import mark_head

        return mark_head(self._store(), head, key, self.now())

    def render(
        self,
        out: PathLike,
        *,
        warn: Callable[[str], None] | None = None,
        at: datetime | None = None,
        checkpoint_key: PathLike | None = None,
    ) -> Path:
        """The programme as a static HTML report in ``out``; with a store, its run too, as
        the trail stood at ``at`` if given, the chain's head it was read at and, with
        ``checkpoint_key``, a checkpoint of it signed with that private key (when the audit
        shown beside it passed)."""
        from engine.app.provenance import mark_head
        from engine.views.report import RunInput, report_moment, write_report
        from engine.views.status import build_status

        key = _signing_key(checkpoint_key)

        run = None
        if at is not None or self.store is not None:
            store = self._store()
            moment, note = report_moment(self.definition, self.clock)
            status: dict[str, Any] | None = None
            problem = None
            if at is not None:
                snapshot, as_of = self.snapshot_at(at)
                moment, note = at, AS_OF_NOTE
                try:
                    changed = self._pinned_at(as_of)
                except DefinitionChanged as exc:
                    problem = exc.message
                else:
                    note = f"{note}；{changed}" if changed else note
            else:
                try:
                    self.runtime.check_pinned()
                except DefinitionChanged as exc:
                    problem = exc.message
                snapshot = self.snapshot(with_events=True)
            if problem is None:
                status = build_status(self.definition, snapshot, moment)
            verified = self.verify()
            why = None if verified.ok else "留痕校验未通过，未签发检查点"
            head = mark_head(store, snapshot.head, key, self.now(), sign=verified.ok, unsigned=why)
            run = RunInput(
                snapshot,
                status,
                problem,
                verified,
                moment,
                note,
                store.documents.root,
                head=head.as_dict(),
            )
        return write_report(self.definition, out, run, warn=warn)


#: How the report's moment was chosen when the trail is replayed to it.
AS_OF_NOTE = "按留痕重放至该时刻的状态，期限和灯色按该时刻判断"


def _one_moment(now: datetime | None, at: datetime | None) -> None:
    if now is not None and at is not None:
        raise DocflowError("判断时刻（now）与查看时刻（at）只能给出一个")


def _refuse_not_yet(
    programme: Programme, snapshot: Snapshot, as_of: AsOf, unit: str | None, point: str | None
) -> None:
    """Refuse an as-of view of a point, or of a unit's points, enrolled after the moment
    (a unit with no point at all is shown, empty, as without a moment)."""
    from engine.refusals import NotYetEnrolled

    if point is not None and not any(p.point_id == point for p in snapshot.points):
        since = as_of.enrolled_after.get(point)
        if since is None:
            raise UnknownPoint(point)
        raise NotYetEnrolled(as_of.moment, since, point=point)
    if unit is not None and not any(p.unit_id == unit for p in snapshot.points):
        since = as_of.enrolled_after.get(unit)
        if since is not None:
            named = programme.definition.index.named_body(unit)
            raise NotYetEnrolled(as_of.moment, since, unit=named)


def _signing_key(path: PathLike | None) -> SigningKey | None:
    """The private key a report's checkpoint is signed with, read before the store is."""
    if path is None:
        return None
    from engine.runtime.signing import load_signing_key

    return load_signing_key(path)


def _open_existing(db: str | None, documents: PathLike | None) -> Store:
    """A store that must exist, opened read-only: the audit only reads it."""
    return open_store(
        resolve_location(db), os.fspath(documents) if documents else None, readonly=True
    )


def _verify_key(checkpoints: PathLike | None, public_key: PathLike | None) -> VerifyKey | None:
    """The public key checkpoints are checked with (read before the store is opened)."""
    if checkpoints is None:
        return None
    if public_key is None:
        raise DocflowError("核对检查点需要签发检查点的公钥")
    from engine.runtime.signing import load_verify_key

    return load_verify_key(public_key)


def _verify(
    store: Store, checkpoints: PathLike | None, key: VerifyKey | None
) -> VerifyReport | AuditReport:
    if checkpoints is None or key is None:
        from engine.runtime.trail import verify as verify_trail

        return verify_trail(store)
    from engine.runtime.checkpoints import audit_with_checkpoints

    return audit_with_checkpoints(store, checkpoints, key)


def _checkpoint(
    store: Store, key: SigningKey, out: PathLike | None, now: datetime
) -> SignedCheckpoint:
    from engine.runtime.checkpoints import append_checkpoint, take_checkpoint

    signed = take_checkpoint(store, key, now)
    if out is not None:
        append_checkpoint(out, signed)
    return signed


@overload
def verify_store(
    db: str | None = None,
    documents: PathLike | None = None,
    checkpoints: None = None,
    public_key: None = None,
) -> VerifyReport: ...


@overload
def verify_store(
    db: str | None,
    documents: PathLike | None,
    checkpoints: PathLike,
    public_key: PathLike,
) -> AuditReport: ...


def verify_store(
    db: str | None = None,
    documents: PathLike | None = None,
    checkpoints: PathLike | None = None,
    public_key: PathLike | None = None,
) -> VerifyReport | AuditReport:
    """``audit verify`` of a whole store: every programme's trail and every document, and,
    given a checkpoints file and its public key, every checkpoint of that file."""
    key = _verify_key(checkpoints, public_key)
    with _open_existing(db, documents) as store:
        return _verify(store, checkpoints, key)


def checkpoint_store(
    key: PathLike,
    out: PathLike | None = None,
    *,
    db: str | None = None,
    documents: PathLike | None = None,
    clock: Clock | None = None,
) -> SignedCheckpoint:
    """``audit checkpoint`` of a whole store: its chain's head signed with the private key
    in ``key`` at the clock's time (default: the real one), appended to ``out`` if given."""
    from engine.runtime.signing import load_signing_key

    signing = load_signing_key(key)  # a bad key is reported before the store is opened
    moment = (clock or SystemClock()).now()
    with _open_existing(db, documents) as store:
        return _checkpoint(store, signing, out, moment)


def check_signing_key(key: PathLike) -> str:
    """The fingerprint of the private key in ``key``; ``KeyFileError`` when it cannot sign
    (for a front end that signs later, e.g. ``serve``, to refuse it at once)."""
    from engine.runtime.signing import load_signing_key

    return load_signing_key(key).fingerprint


def generate_audit_keys(out: PathLike) -> KeyPairFiles:
    """A new audit key pair: the private key in ``out``, its public key in ``out.pub``
    (both 0600; neither may exist)."""
    from engine.runtime.signing import generate_key_pair

    return generate_key_pair(out)
