"""Sending the reminders that are due: the one code path of serve, remind and simulate.

``ReminderRunner.run(now)`` finds every occurrence whose send time has come and that has not
been processed yet, and processes it:

- per step and due day only the latest such occurrence is sent - after downtime a unit
  gets the newest reminder once, not a backlog - and the older ones are logged as skipped;
- an occurrence whose step is closed (nobody waits any more) is logged as skipped, and so
  is one whose step no point has reached yet (``unreached``);
- an occurrence is one store transaction: each recipient's message is logged in the
  sent-log and written to the mail queue, the messages are made durable together (one
  flush to disk for the batch), and a marker row (recipient ``*``) says the occurrence is
  processed; the sent-log's unique key (programme, rule, recipient, occurrence) makes a
  second run - a job that fires twice, a restart - send nothing again; the sent-log rows
  the transaction inserted are carried by one ``notify`` event appended in it
  (:mod:`engine.runtime.carried`), so that ``audit verify`` checks the sent-log;
- a message already in the outbox or the queue under the same Message-ID (written by a run
  that died before its transaction committed) is written again over that file, never
  beside it, and one the queue has already delivered is not queued again;
- every run then flushes the mail queue on the queue's own clock, so messages queued while
  the SMTP server was unreachable go out on the next run even if it has nothing new; what is
  still queued afterwards is reported in ``problems``; the SMTP connection is then closed.
With ``dry_run`` nothing is written: the result lists what would go out.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from engine.clock import Clock
from engine.definition.loader import Definition
from engine.definition.schema import OWNER
from engine.delivery.mail import Address, MailQueue, build_message, stored_key
from engine.delivery.noticecontext import NoticeContext, build_notice_context, working_days_between
from engine.delivery.notices import NoticeRenderer
from engine.delivery.reminders import (
    BY_HAND,
    ByHand,
    Occurrence,
    PointInfo,
    Reminder,
    occurrences,
    reminders_for,
    report_reminders_for,
    rules,
)
from engine.errors import MailError, Refused
from engine.refusals import OutOfSeason
from engine.runtime.carried import Notice, notify_draft
from engine.runtime.owing import by_items, duties, histories_of
from engine.runtime.progress import ProgressView
from engine.runtime.rectifying import rectified, return_triggers
from engine.runtime.store import Store, Transaction

__all__ = ["Outgoing", "ReminderRunner", "RunResult", "working_days_between"]

log = logging.getLogger(__name__)

ALL = "*"  # the sent-log recipient that marks an occurrence as processed
OUT_OF_SEASON = timedelta(days=30)  # after the last reminder, see refuse_out_of_season
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message that was (or, in a dry run, would be) sent."""

    rule: str
    occurrence: str
    recipient: str
    recipient_name: str
    kind: str  # notice template: reminder, urge, progress_summary ...
    subject: str
    points: tuple[str, ...]
    cc: tuple[str, ...]
    message_id: str
    send_at: datetime


@dataclass
class RunResult:
    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # rule, occurrence, why
    problems: list[str] = field(default_factory=list)
    delivered: int = 0  # queued messages the transport accepted in this run's flush
    pending: int = 0  # messages still queued after it

    def counts(self) -> Counter[str]:
        return Counter(o.kind for o in self.sent)


class ReminderRunner:
    def __init__(
        self,
        definition: Definition,
        store: Store,
        clock: Clock,
        queue: MailQueue | None = None,
        renderer: NoticeRenderer | None = None,
        *,
        desk_url: str | None = None,
    ) -> None:
        self.definition = definition
        self.desk_url = desk_url  # the desk's base address: notices link to a unit's page
        self.index = definition.index
        self.store = store
        self.clock = clock
        self.queue = queue
        self.renderer = renderer or NoticeRenderer.for_programme(definition.folder)
        self.view = ProgressView.of(definition)
        self.rules = rules(definition)
        self.pid = definition.id
        header = definition.programme.programme
        self.sender = Address(self.index.body_label(header.issuer), header.sender_email)
        self.domain = header.sender_email.rpartition("@")[2] or "docflow.invalid"
        self._stored: dict[str, str | None] | None = None  # MailQueue.stored(), once a run
        self._schedules: dict[frozenset[tuple[str, frozenset[date]]], list[Occurrence]] = {}
        self._processed: set[tuple[str, str]] = set()  # (rule, occurrence) markers seen

    # --- what is due -------------------------------------------------------------------

    def schedule(self, tx: Transaction) -> list[Occurrence]:
        """Every occurrence of every rule, extended due days included, by send time."""
        extra: dict[str, set[date]] = {}
        for o in tx.deadline_overrides(self.pid):
            extra.setdefault(o.step, set()).add(o.due)
        key = frozenset((step, frozenset(dues)) for step, dues in extra.items())
        found = self._schedules.get(key)
        if found is None:  # the same due days give the same occurrences: worked out once
            found = sorted(
                (
                    occ
                    for rule in self.rules
                    for occ in occurrences(rule, self.view, extra.get(rule.step, ()))
                ),
                key=lambda o: (o.send_at, o.rule.id),
            )
            self._schedules = {key: found}
        return list(found)

    def refuse_out_of_season(self, now: datetime) -> None:
        """Refuse to send when ``now`` is long past the programme's last reminder.

        After downtime the newest missed reminder of each open step is sent (see above);
        started on a past year's programme by mistake - an old folder, a clock left at
        the real time - that would mail every unit a stale 催报. A month after the last
        reminder the programme is over for the reminder service.
        """
        with self.store.transaction(readonly=True) as tx:
            found = self.schedule(tx)
        if not found:
            return
        last = found[-1].send_at
        if now > last + OUT_OF_SEASON:
            year = self.definition.programme.programme.year
            raise OutOfSeason(self.pid, year, last.date(), now.astimezone(last.tzinfo).date())

    def run(self, now: datetime | None = None, *, dry_run: bool = False) -> RunResult:
        """Process every occurrence due by ``now`` that has not been processed."""
        now = now or self.clock.now()
        result = RunResult()
        self._stored = None
        with self.store.transaction(readonly=True) as tx:
            # A run late in the year has hundreds of past occurrences: one query each would
            # dominate it. The processed markers are read at once, and only when an
            # occurrence not yet seen processed is due (a marker is never removed).
            seen = self._processed
            due = [
                o for o in self.schedule(tx) if o.send_at <= now and (o.rule.id, o.key) not in seen
            ]
            if due:
                seen.update((s.rule, s.occurrence) for s in tx.sent(self.pid) if s.unit_id == ALL)
            pending = [o for o in due if (o.rule.id, o.key) not in seen]
        latest: dict[tuple[str, date], Occurrence] = {}
        for occ in pending:  # sorted by send time: the last one per step and due day wins
            latest[(occ.rule.step, occ.due)] = occ
        for occ in pending:
            if latest[(occ.rule.step, occ.due)] is not occ:
                result.skipped.append((occ.rule.id, occ.key, "superseded"))
                if not dry_run:
                    self._mark(occ, "skipped", now, "superseded")
                continue
            self._process(occ, now, result, dry_run)
        if not dry_run and self.queue is not None:
            self._flush(result)
        return result

    def urge_by_hand(
        self, step: str, now: datetime | None = None, operator: str | None = None
    ) -> RunResult:
        """A 催报 sent now to every unit owing ``step`` past its due day (the step's, and
        any extended one passed too): the recipients, notice, message and sent-log of the
        step's first scheduled 催报, under the rule ``<step>/by-hand`` and a key of its own
        moment, recorded with ``operator`` as 经办人."""
        now = now or self.clock.now()
        rule = next((r for r in self.rules if r.step == step and r.kind == "overdue"), None)
        if rule is None:
            index = self.index
            known = index.transitions.get(step) or index.tasks.get(step) or index.reports.get(step)
            what = f"「{known.label}」" if known is not None else f"环节 {step}"
            raise Refused(f"{what}没有催报规则，不能催报")
        today = self.view.local_date(now)
        with self.store.transaction(readonly=True) as tx:
            dues = sorted(
                {(o.due, o.period) for o in self.schedule(tx) if o.rule is rule and o.due < today},
                key=lambda d: (d[0], d[1] or ""),
            )
        by_hand = replace(rule, id=f"{step}/{BY_HAND}")
        at = now.astimezone(self.view.zone).strftime("%Y-%m-%dT%H:%M:%S")
        result = RunResult()
        self._stored = None
        for due, period in dues:
            occ = ByHand(by_hand, due, now, period, at=at, operator=operator)
            self._process(occ, now, result, False)
        if self.queue is not None:
            self._flush(result)
        return result

    def _flush(self, result: RunResult) -> None:
        """Hand queued mail to the transport, on the queue's clock (enqueue stamps it so).

        A run is one batch: the SMTP connection is closed afterwards (the transport opens a
        new one on its next send), so no caller leaves a socket open.
        """
        assert self.queue is not None
        try:
            flushed = self.queue.flush()
        finally:
            self.queue.transport.close()
        result.delivered, result.pending = flushed.sent, flushed.pending
        if not flushed.pending:
            return
        queued = self.queue.queued()
        error = self.queue.status(queued[0]).get("last_error") if queued else None
        result.problems.append(
            f"{flushed.pending} 封邮件尚未投递，仍保存在发件队列 {self.queue.queue_dir} 中，"
            "下次运行 docflow remind 或 serve 巡检时自动重试"
            + (f"（最近一次错误：{error}）" if error else "")
        )

    def _mark(self, occ: Occurrence, status: str, now: datetime, why: str) -> None:
        with self.store.transaction() as tx:
            if tx.record_sent(self.pid, occ.rule.id, ALL, occ.key, status, None, now):
                self._carry(tx, occ, [Notice(ALL, status)], now, why)

    def _carry(
        self,
        tx: Transaction,
        occ: Occurrence,
        notices: list[Notice],
        now: datetime,
        why: str | None = None,
    ) -> None:
        """The ``notify`` event of the sent-log rows this transaction inserted."""
        rule = occ.rule
        actor = self.definition.programme.programme.issuer
        draft = notify_draft(
            self.pid,
            actor,
            rule=rule.id,
            occurrence=occ.key,
            step=rule.step,
            kind=rule.notice,
            notices=notices,
            why=why,
            operator=occ.operator if isinstance(occ, ByHand) else None,
        )
        tx.append_events([draft], now)

    # --- one occurrence ----------------------------------------------------------------

    def _gather(self, occ: Occurrence) -> list[Reminder]:
        rule = occ.rule
        if rule.step_kind == "report":
            return self._gather_report(occ)
        with self.store.transaction(readonly=True) as tx:
            extended = tx.deadline_overrides(self.pid)
            overrides = {(o.point_id, o.step): o.due for o in extended}
            if rule.step_kind == "transition":
                again = rectified(tx, self.pid, return_triggers(self.definition), extended)
                transition = self.index.transitions[rule.step]
                sources = self.index.sources_of(transition)
                others: list[tuple[str, str]] = []
                if transition.actor == OWNER:
                    rows = [p for state in sources for p in tx.points(self.pid, state=state)]
                else:  # it reports on other units' points: all of them give its rate
                    everything = tx.points(self.pid)
                    others = [(p.unit_id, p.state) for p in everything]
                    rows = [p for state in sources for p in everything if p.state == state]
                waiting = [PointInfo(p.point_id, p.unit_id, p.title, p.state, p.co) for p in rows]
                return reminders_for(
                    occ, self.view, waiting, overrides, all_points=others, rectified=again
                )
            if rule.step_kind == "unit-task":
                return reminders_for(
                    occ, self.view, (), overrides, enrolled=tx.count_points_by_unit(self.pid)
                )
            pairs = [(p.unit_id, p.state) for p in tx.points(self.pid)]
            done = tx.task_done(self.pid, rule.step)
            return reminders_for(occ, self.view, (), overrides, all_points=pairs, task_done=done)

    def _gather_report(self, occ: Occurrence) -> list[Reminder]:
        """The parties owing a recurring report's occurrence and not filed."""
        with self.store.transaction(readonly=True) as tx:
            report = self.index.reports[occ.rule.step]
            points = tx.points(self.pid) if by_items(report) else []
            histories = histories_of(tx.state_moves(self.pid)) if points else {}
            filings = tx.filed(self.pid, report.id, occ.period)
        found = duties(
            (report,),
            self.definition.report_occurrences,
            self.index,
            self.definition.zone,
            points,
            histories,
            filings,
            occ.send_at,
            period=occ.period,
        )
        if not found:
            return []
        by_id = {p.point_id: p for p in points}
        return report_reminders_for(occ, self.view, found[0], by_id)

    def _why_nobody(self, occ: Occurrence) -> str:
        """Why an occurrence has no recipient: ``unreached`` when no point has reached its
        step yet (none waits for it, none has done it), else ``closed`` (all who reached it
        have reported, or the task is done)."""
        if occ.rule.step_kind != "transition":
            return "closed"
        with self.store.transaction(readonly=True) as tx:
            states = {p.state for p in tx.points(self.pid)}
        return "closed" if self.view.reached(occ.rule.step, states) else "unreached"

    def _process(self, occ: Occurrence, now: datetime, result: RunResult, dry_run: bool) -> None:
        """Send one occurrence: every recipient's message, then its marker, in one transaction.

        The messages are built first, outside the transaction. Then, holding the store's
        write lock: each recipient's sent-log row is inserted (a key already taken means an
        earlier run sent it: nothing more), its message written without a flush of its own,
        all of them made durable at once, and the transaction committed with the marker. A
        crash before the commit leaves no row, so the next run sends the occurrence again,
        writing each message over the file this run left for the same Message-ID.
        """
        reminders = self._gather(occ)
        if not reminders:
            result.skipped.append((occ.rule.id, occ.key, self._why_nobody(occ)))
            if not dry_run:
                self._mark(occ, "skipped", now, "closed")
            return
        ready: list[tuple[Outgoing, EmailMessage | None]] = []
        for reminder in reminders:
            try:
                ready.append(self._prepare(reminder, now))
            except MailError as exc:
                result.problems.append(f"{reminder.rule.id} → {reminder.recipient}：{exc.message}")
        if dry_run:
            result.sent.extend(outgoing for outgoing, _msg in ready)
            return
        rule = occ.rule.id
        with self.store.transaction() as tx:
            sent: list[Outgoing] = []
            written: list[Path] = []
            carried: list[Notice] = []
            for outgoing, msg in ready:
                if msg is None:  # the body has no address: logged, reported, not sent
                    if tx.record_sent(
                        self.pid, rule, outgoing.recipient, occ.key, "skipped", None, now
                    ):
                        carried.append(Notice(outgoing.recipient, "skipped"))
                    result.problems.append(
                        f"单位 {outgoing.recipient}（{outgoing.recipient_name}）没有收文邮箱，"
                        f"未能发送 {rule}"
                    )
                    continue
                if not tx.record_sent(
                    self.pid, rule, outgoing.recipient, occ.key, "sent", outgoing.message_id, now
                ):
                    continue  # already sent by an earlier run: the sent-log key is taken
                carried.append(Notice(outgoing.recipient, "sent", outgoing.message_id, outgoing.cc))
                if self.queue is not None:
                    if self._stored is None:
                        self._stored = self.queue.stored()
                    # A file an earlier, unfinished run left is written again, whole, under
                    # its own name; a message the queue already delivered is not queued again.
                    key = stored_key(msg)
                    if key not in self._stored or self._stored[key] is not None:
                        name = self._stored.get(key)
                        written.append(self.queue.enqueue(msg, name=name, sync=False))
                sent.append(outgoing)
            if self.queue is not None:
                self.queue.make_durable(written)
            if tx.record_sent(self.pid, rule, ALL, occ.key, "sent", None, now):
                carried.append(Notice(ALL, "sent"))
            if carried:
                self._carry(tx, occ, carried, now)
        result.sent.extend(sent)

    def _prepare(self, reminder: Reminder, now: datetime) -> tuple[Outgoing, EmailMessage | None]:
        """The notice for one recipient and its message (``None`` when it has no address)."""
        occ = reminder.occurrence
        body = self.index.bodies[reminder.recipient]
        context = self.context(reminder, now)
        notice = self.renderer.render(occ.rule.notice, context)
        message_id = _UNSAFE.sub("_", f"{self.pid}.{occ.rule.id}.{body.id}.{occ.key}")
        outgoing = Outgoing(
            rule=occ.rule.id,
            occurrence=occ.key,
            recipient=body.id,
            recipient_name=body.short,
            kind=occ.rule.notice,
            subject=notice.subject,
            points=tuple(p.id for p in reminder.points),
            cc=tuple(reminder.cc),
            message_id=f"<{message_id}@{self.domain}>",
            send_at=now,
        )
        if body.email is None:
            return outgoing, None
        cc = [
            Address(self.index.bodies[b].short, self.index.bodies[b].email or "")
            for b in reminder.cc
            if self.index.bodies[b].email
        ]
        if reminder.leadership:
            leader = self.index.leadership_of(occ.rule.policy.leadership, body.id)
            if leader.email:
                cc.append(Address(leader.short, leader.email))
        msg = build_message(
            sender=self.sender,
            to=[Address(body.name, body.email)],
            cc=cc,
            subject=notice.subject,
            text=notice.text,
            html=notice.html,
            date=now,
            message_id_domain=self.domain,
            message_id=outgoing.message_id,
            headers={
                "X-Docflow-Programme": self.pid,
                "X-Docflow-Rule": occ.rule.id,
                "X-Docflow-Occurrence": occ.key,
            },
        )
        return outgoing, msg

    # --- the notice's context ----------------------------------------------------------

    def context(self, reminder: Reminder, now: datetime) -> NoticeContext:
        """What the notice for ``reminder`` is rendered from."""
        return build_notice_context(
            self.definition, self.view, reminder, now, desk_url=self.desk_url
        )

    def job_occurrences(self) -> Sequence[Occurrence]:
        """The occurrences of the step deadlines and of the recurring reports' periods
        (what the scheduler registers jobs for: their number depends on the definition,
        never on the items)."""
        return sorted(
            (occ for rule in self.rules for occ in occurrences(rule, self.view)),
            key=lambda o: (o.send_at, o.rule.id),
        )
