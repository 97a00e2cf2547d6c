"""Benchmark: rendering and writing reminder messages, and sending them over SMTP.

    python bench/bench_mail.py            # 10,000 messages
    python bench/bench_mail.py --quick    # 2,000 messages, limits scaled

1. Outbox (target: 10,000 messages rendered and written in under 10 s). Realistic reminders
   of the 2011 programme with its 52 example points - every reminder rule, each unit's
   points, ``reminder``/``urge``/``progress_summary`` notices, 抄送 and 分管领导 copies -
   spread over enough due days to give distinct Message-IDs. Per message: the context
   (``ReminderRunner.context``), ``NoticeRenderer.render``, ``build_message`` with the
   headers ``ReminderRunner`` sets, and ``MailQueue.enqueue`` in direct mode (one ``.eml``
   written atomically), and per occurrence ``MailQueue.make_durable`` (the batch flushed to
   disk at once, as the runner does before it commits the sent-log). Baselines measured in
   the same run: the same bytes written with an fsync per message right after each batch
   (what the disk costs without batching, paired so that both see the same disk load), and
   the same messages built with the standard
   library's ``email`` and ``email.policy.SMTP`` and no caches (what ``build_message`` cost
   before its header caches), on a sample.
2. SMTP (figures only): those messages sent to an aiosmtpd server on 127.0.0.1, run by this
   script in a child process (so that it does not share the interpreter lock with the
   client) and counting connections and messages. Three ways: ``SmtpTransport`` alone over
   the outbox files (read back as ``MailQueue.flush`` reads them); the queued path of
   ``docflow remind --smtp-host`` (render, build, ``MailQueue.enqueue`` into queue/, then
   one ``flush`` through ``SmtpTransport``); and, as the baseline, bare ``smtplib.sendmail``
   of the same bytes over one connection. Each must use exactly one connection and deliver
   every message.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from _programme import GD_2011, fixed_clock, flush, machine_line, verdict

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# --- the SMTP server (child process) ----------------------------------------------------------


def smtp_server() -> int:
    """``--smtp-server``: serve on 127.0.0.1, print ``READY <port>``, answer ``stats`` lines."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    stats = {"connections": 0, "messages": 0, "recipients": 0, "bytes": 0}

    class Counting(SMTP):  # type: ignore[misc]
        def connection_made(self, transport: Any) -> None:
            stats["connections"] += 1
            super().connection_made(transport)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            stats["messages"] += 1
            stats["recipients"] += len(envelope.rcpt_tos)
            stats["bytes"] += len(envelope.content or b"")
            return "250 OK"

    class CountingController(Controller):  # type: ignore[misc]
        def factory(self) -> Any:
            return Counting(self.handler, **self.SMTP_kwargs)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = CountingController(
        Handler(), hostname="127.0.0.1", port=port, server_hostname="bench.localhost"
    )
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps(stats), flush=True)
            elif line.strip() == "quit":
                break
    finally:
        controller.stop()
    return 0


class SmtpServer:
    """The child process running :func:`smtp_server`."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--smtp-server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parent,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.close()
            raise SystemExit(f"bench: the SMTP server did not start ({line!r})")
        self.port = int(line.split()[1])

    def stats(self) -> dict[str, int]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


# --- realistic reminders -----------------------------------------------------------------------


def setup(tmp: Path) -> Any:
    """The 2011 programme with its 52 example points, and a ReminderRunner over it."""
    from engine.definition.loader import load_definition
    from engine.delivery.dispatch import ReminderRunner
    from engine.runtime.pointsfile import read_points_file
    from engine.runtime.service import Runtime
    from engine.runtime.store import open_store

    definition = load_definition(GD_2011)
    store = open_store(tmp / "mail.db", documents_dir=tmp / "documents")
    clock = fixed_clock()
    rows = Runtime(definition, store, clock).enrol(
        read_points_file(GD_2011 / "points-example.yaml")
    )
    return definition, store, ReminderRunner(definition, store, clock), rows


def reminders(runner: Any, rows: Any, count: int) -> list[Any]:
    """``count`` reminders as the runner would work them out, over successive due days."""
    from engine.delivery.reminders import Occurrence, PointInfo, reminders_for

    index = runner.index
    everyone = [(r.unit_id, r.state) for r in rows]
    found: list[Any] = []
    shift = 0
    while len(found) < count:
        for base in runner.job_occurrences():
            occ = Occurrence(
                base.rule, base.due + timedelta(days=shift), base.send_at + timedelta(days=shift)
            )
            rule = occ.rule
            if rule.step_kind == "transition":
                source = index.sources_of(index.transitions[rule.step])[0]
                waiting = [PointInfo(r.point_id, r.unit_id, r.title, source) for r in rows]
                # Later due days: as if every point had been granted that extension.
                moved = {(p.id, rule.step): occ.due for p in waiting} if shift else {}
                found.extend(reminders_for(occ, runner.view, waiting, moved, all_points=everyone))
            elif rule.step_kind == "unit-task":
                found.extend(reminders_for(occ, runner.view, (), {}, enrolled={}))
            else:
                found.extend(reminders_for(occ, runner.view, (), {}, all_points=everyone))
        shift += 1
    return found[:count]


def message_args(runner: Any, reminder: Any, notice: Any, now: Any) -> dict[str, Any]:
    """``build_message`` arguments exactly as ``ReminderRunner._prepare`` makes them."""
    from engine.delivery.mail import Address

    index = runner.index
    occ = reminder.occurrence
    body = index.bodies[reminder.recipient]
    message_id = _UNSAFE.sub("_", f"{runner.pid}.{occ.rule.id}.{body.id}.{occ.key}")
    cc = [
        Address(index.bodies[b].short, index.bodies[b].email or "")
        for b in reminder.cc
        if index.bodies[b].email
    ]
    if reminder.leadership and body.leadership_email:
        cc.append(Address(f"{body.short}分管领导", body.leadership_email))
    return {
        "sender": runner.sender,
        "to": [Address(body.name, body.email or f"{body.id}@bench.invalid")],
        "cc": cc,
        "subject": notice.subject,
        "text": notice.text,
        "html": notice.html,
        "date": now,
        "message_id_domain": runner.domain,
        "message_id": f"<{message_id}@{runner.domain}>",
        "headers": {
            "X-Docflow-Programme": runner.pid,
            "X-Docflow-Rule": occ.rule.id,
            "X-Docflow-Occurrence": occ.key,
        },
    }


# --- 1. the outbox -----------------------------------------------------------------------------


def bench_outbox(runner: Any, items: list[Any], outbox: Path, disk: Path) -> dict[str, float]:
    """Time each stage per message, as ``ReminderRunner`` works one occurrence at a time.

    Each occurrence's messages are written without a flush of their own and made durable
    together (``MailQueue.make_durable``). After each occurrence, not counted: the paired
    baseline writes the same bytes with an fsync per message (so that both see the same
    disk load: other processes' fsyncs make it vary from minute to minute).
    """
    from itertools import groupby

    from engine.delivery.mail import MailQueue, OutboxTransport, build_message, message_filename
    from engine.delivery.mail.durability import atomic_write as _atomic_write
    from engine.delivery.mail.message import message_bytes as _message_bytes

    queue = MailQueue(outbox, OutboxTransport(outbox), runner.clock)
    assert queue.direct
    disk.mkdir()
    spent = Counter[str]()
    clock = time.perf_counter
    for _key, batch in groupby(items, key=lambda r: (r.rule.id, r.occurrence.key)):
        written: list[Path] = []
        messages = []
        for reminder in batch:
            now = reminder.occurrence.send_at
            t0 = clock()
            context = runner.context(reminder, now)
            t1 = clock()
            notice = runner.renderer.render(reminder.rule.notice, context)
            t2 = clock()
            msg = build_message(**message_args(runner, reminder, notice, now))
            t3 = clock()
            written.append(queue.enqueue(msg, sync=False))
            t4 = clock()
            spent["context"] += t1 - t0
            spent["render"] += t2 - t1
            spent["build"] += t3 - t2
            spent["write"] += t4 - t3
            messages.append(msg)
        t5 = clock()
        queue.make_durable(written)
        spent["durable"] += clock() - t5
        spent["batches"] += 1
        for msg in messages:
            data = _message_bytes(msg)
            t6 = clock()
            _atomic_write(disk / message_filename(msg), data)
            spent["disk"] += clock() - t6
            spent["bytes"] += len(data)
    spent["total"] = sum(spent[k] for k in ("context", "render", "build", "write", "durable"))
    return dict(spent)


def bench_stdlib(runner: Any, items: list[Any]) -> tuple[float, float, int]:
    """Build and serialise with plain ``email`` (no caches), and with ``build_message``."""
    import email.policy
    from email.headerregistry import Address as HeaderAddress
    from email.message import EmailMessage
    from email.utils import format_datetime

    from engine.delivery.mail import build_message
    from engine.delivery.mail.message import message_bytes as _message_bytes

    prepared = []
    for reminder in items:
        now = reminder.occurrence.send_at
        notice = runner.renderer.render(reminder.rule.notice, runner.context(reminder, now))
        prepared.append(message_args(runner, reminder, notice, now))

    def plain(a: dict[str, Any]) -> bytes:
        def header(x: Any) -> HeaderAddress:
            return HeaderAddress(display_name=x.name, addr_spec=x.email)

        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = header(a["sender"])
        msg["To"] = [header(x) for x in a["to"]]
        if a["cc"]:
            msg["Cc"] = [header(x) for x in a["cc"]]
        msg["Subject"] = a["subject"]
        msg["Date"] = format_datetime(a["date"])
        msg["Message-ID"] = a["message_id"]
        for name, value in a["headers"].items():
            msg[name] = value
        msg.set_content(a["text"], subtype="plain", charset="utf-8", cte="base64")
        msg.add_alternative(a["html"], subtype="html", charset="utf-8", cte="base64")
        return msg.as_bytes(policy=email.policy.SMTP)

    # Same bytes (boundaries aside, which are random): checked on every message.
    mismatches = 0
    for i, a in enumerate(prepared):
        random.seed(i)
        ours = _message_bytes(build_message(**a))
        random.seed(i)
        mismatches += ours != plain(a)
    t0 = time.perf_counter()
    for a in prepared:
        plain(a)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a in prepared:
        _message_bytes(build_message(**a))
    t_ours = time.perf_counter() - t0
    return t_plain, t_ours, mismatches


# --- 2. SMTP -----------------------------------------------------------------------------------


def bench_smtp(
    server: SmtpServer, outbox: Path, work: Path, runner: Any, items: list[Any]
) -> list[dict[str, Any]]:
    import smtplib

    from engine.delivery.mail import MailQueue, SmtpTransport, build_message, read_message
    from engine.delivery.mail.message import envelope as _envelope

    clock = runner.clock

    files = sorted(outbox.glob("*.eml"))
    results = []

    # Baseline: bare smtplib, one connection, the same bytes.
    raw = []
    for path in files:
        data = path.read_bytes()
        sender, recipients = _envelope(read_message(data))
        raw.append((sender, recipients, data))
    before = server.stats()
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as conn:
        for sender, recipients, data in raw:
            conn.sendmail(sender, recipients, data)
    elapsed = time.perf_counter() - t0
    del raw
    results.append(
        {"what": "bare smtplib.sendmail (baseline)", "s": elapsed, **delta(server.stats(), before)}
    )

    # SmtpTransport alone, messages read back from the outbox as MailQueue.flush does.
    before = server.stats()
    transport = SmtpTransport("127.0.0.1", server.port, timeout=30)
    t0 = time.perf_counter()
    try:
        for path in files:
            transport.send(read_message(path.read_bytes()))
    finally:
        transport.close()
    elapsed = time.perf_counter() - t0
    results.append(
        {"what": "SmtpTransport.send (read + send)", "s": elapsed, **delta(server.stats(), before)}
    )

    # The queued path of ``docflow remind --smtp-host``: each message rendered, built and
    # enqueued (file + sidecar in queue/), each occurrence's batch made durable at once (as
    # ``ReminderRunner`` does), then one flush through SmtpTransport.
    from itertools import groupby

    transport = SmtpTransport("127.0.0.1", server.port, timeout=30)
    queue = MailQueue(work / "queued-outbox", transport, clock)
    assert not queue.direct
    t0 = time.perf_counter()
    for _key, batch in groupby(items, key=lambda r: (r.rule.id, r.occurrence.key)):
        written = []
        for reminder in batch:
            now = reminder.occurrence.send_at
            notice = runner.renderer.render(reminder.rule.notice, runner.context(reminder, now))
            msg = build_message(**message_args(runner, reminder, notice, now))
            written.append(queue.enqueue(msg, sync=False))
        queue.make_durable(written)
    t_enqueue = time.perf_counter() - t0
    before = server.stats()
    t0 = time.perf_counter()
    try:
        flushed = queue.flush(clock.now() + timedelta(days=1))
    finally:
        transport.close()
    t_flush = time.perf_counter() - t0
    results.append(
        {
            "what": "MailQueue.flush via SmtpTransport",
            "s": t_flush,
            "enqueue_s": t_enqueue,
            "flushed": flushed.sent,
            "pending": flushed.pending,
            **delta(server.stats(), before),
        }
    )
    return results


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 messages, limits scaled")
    parser.add_argument("--messages", type=int, help="how many messages (default 10,000)")
    parser.add_argument("--sample", type=int, default=1000, help="messages for the email baseline")
    parser.add_argument("--no-smtp", action="store_true", help="skip the SMTP part")
    parser.add_argument("--smtp-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smtp_server:
        return smtp_server()

    count = args.messages or (2_000 if args.quick else 10_000)
    limit = 10.0 * count / 10_000
    failed = False
    print(f"bench_mail: {count:,} messages  ({machine_line()})")
    with tempfile.TemporaryDirectory(prefix="docflow-bench-mail-") as tmp_name:
        tmp = Path(tmp_name)
        _definition, store, runner, rows = setup(tmp)
        try:
            items = reminders(runner, rows, count)
            kinds = Counter(r.rule.notice for r in items)
            listed = sum(len(r.points) for r in items)
            print(
                f"reminders            {len(items):>10,}  "
                + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
                + f"; {listed:,} point lines; {sum(1 for r in items if r.cc):,} with 抄送"
            )

            # 1. the outbox
            outbox = tmp / "outbox"
            gc.collect()
            t0 = time.perf_counter()
            spent = bench_outbox(runner, items, outbox, tmp / "disk-baseline")
            wall = time.perf_counter() - t0
            written = len(list(outbox.glob("*.eml")))
            disk_s, size = spent["disk"], spent["bytes"]
            sample = items[: min(args.sample, count)]
            t_plain, t_ours, mismatches = bench_stdlib(runner, sample)
            total = spent["total"]
            print(f"\n1. Rendering and writing {count:,} messages to the outbox (direct mode)")
            print(f"   total                {total:>8.2f} s   {count / total:>8,.0f} messages/s")
            for key, label in (
                ("context", "context (ReminderRunner.context)"),
                ("render", "render (NoticeRenderer, text + HTML)"),
                ("build", "build_message"),
                ("write", "MailQueue.enqueue (serialise + atomic write)"),
                ("durable", f"MailQueue.make_durable ({spent['batches']:,.0f} batches)"),
            ):
                print(
                    f"     {label:<52}{spent[key]:>7.2f} s  "
                    f"{spent[key] / count * 1e3:>6.3f} ms/message"
                )
            print(f"   files written        {written:>8,}   ({size / count / 1024:.1f} KiB each)")
            print(
                f"   baseline: the same bytes, atomic write + fsync per message, paired with "
                f"each batch: {disk_s:.2f} s ({disk_s / count * 1e3:.3f} ms/message) - what "
                f"the disk costs without batching (wall clock with the baseline: {wall:.2f} s)"
            )
            print(
                f"   baseline: build + serialise {len(sample):,} messages - plain email "
                f"(policy.SMTP, no caches) {t_plain:.2f} s, build_message {t_ours:.2f} s "
                f"(x{t_plain / t_ours:.1f}); bytes differ on {mismatches} of {len(sample):,}"
            )
            ok = total < limit and written == count and mismatches == 0
            failed |= not ok
            print(
                verdict(
                    ok,
                    f"{count:,} reminder messages rendered and written in {total:.2f} s "
                    f"(limit {limit:g} s; {written:,} files; with an fsync per message "
                    f"instead it would take about {total - spent['durable'] + disk_s:.2f} s)",
                )
            )
            flush()

            # 2. SMTP
            if not args.no_smtp:
                server = SmtpServer()
                try:
                    results = bench_smtp(server, outbox, tmp, runner, items)
                finally:
                    server.close()
                print(f"\n2. Sending {count:,} messages to aiosmtpd on 127.0.0.1 (child process)")
                for r in results:
                    rate = r["messages"] / r["s"] if r["s"] else 0.0
                    extra = ""
                    if "enqueue_s" in r:
                        extra = (
                            f"; render + build + enqueue before it {r['enqueue_s']:.2f} s, "
                            f"delivered {r['flushed']:,}, still queued {r['pending']:,}"
                        )
                    print(
                        f"   {r['what']:<36}{r['s']:>7.2f} s  {rate:>7,.0f} messages/s  "
                        f"connections {r['connections']}, messages {r['messages']:,}, "
                        f"recipients {r['recipients']:,}{extra}"
                    )
                for r in results[1:]:
                    ok = r["connections"] == 1 and r["messages"] == count
                    if "pending" in r:
                        ok = ok and r["pending"] == 0 and r["flushed"] == count
                    failed |= not ok
                    print(
                        verdict(
                            ok,
                            f"{r['what']}: {r['messages']:,} of {count:,} messages over "
                            f"{r['connections']} connection(s), {r['s']:.2f} s, "
                            f"{r['messages'] / r['s']:,.0f} messages/s "
                            f"(bare smtplib {results[0]['s']:.2f} s)",
                        )
                    )
        finally:
            store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
