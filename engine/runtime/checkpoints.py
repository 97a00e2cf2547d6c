"""Signed checkpoints of the trail's head: evidence that holds against whoever can write the
database.

The chain (:mod:`engine.runtime.chain`) is unkeyed: someone who can write the store can edit
an event and recompute every hash after it, or delete the newest events and rewind
``trail_head``, and the chain verifies again. A checkpoint closes that gap. It names the
store, its programmes, the head of the chain (``seq`` and ``hash``) and the time, and is
signed with an Ed25519 key kept outside the store (:mod:`engine.runtime.signing`). Because
each event's hash covers the one before it, the hash at ``seq`` vouches for every event up
to ``seq``; so a later audit that finds the same hash at that ``seq`` knows those events are
unchanged, and one that does not knows which checkpoints the change falls between.

A checkpoints file holds one checkpoint per line, each the canonical JSON of::

    {"checkpoint": {"format": "docflow-checkpoint/1", "store": ..., "programmes": [...],
                    "seq": 41, "hash": "...", "at": "2011-05-05T18:00:00+08:00"},
     "key": "ed25519:<sha256 of the public key>",
     "signature": "<base64 of the Ed25519 signature of the canonical JSON of checkpoint>"}

What a checkpoint cannot show: an event forged and appended after the newest checkpoint an
auditor holds looks like any other new event. Checkpoints taken often (daily) and kept
outside the system (mailed to the auditor, on write-once media) keep that window short.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from engine.clock import local_minute
from engine.errors import (
    CheckpointBroken,
    InputFileError,
    OutputFileError,
    TrailBroken,
    os_reason,
)
from engine.runtime.chain import GENESIS_HASH, canonical_json
from engine.runtime.ports import StorePort
from engine.runtime.signing import SigningKey, VerifyKey
from engine.runtime.trail import VerifyReport
from engine.runtime.trail import verify as verify_chain

__all__ = [
    "FORMAT",
    "AuditReport",
    "Checkpoint",
    "CheckpointFailure",
    "CheckpointReport",
    "SignedCheckpoint",
    "append_checkpoint",
    "audit_with_checkpoints",
    "check_checkpoints",
    "read_checkpoints",
    "take_checkpoint",
]

FORMAT = "docflow-checkpoint/1"

#: Checkpoint failures worded in a message beyond the first (all are kept in the report).
_MAX_WORDED = 20

#: A checkpoints file larger than this is not one (a year of hourly checkpoints is ~5 MB).
_MAX_FILE = 64 * 1024 * 1024

# What a line must hold before any of it is shown in a message (the file is not trusted).
_HASH = re.compile(r"[0-9a-f]{64}")
_FINGERPRINT = re.compile(r"ed25519:[0-9a-f]{64}")

Failure = Literal["unreadable", "wrong-key", "bad-signature", "rewound", "changed"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What a checkpoint states: this store's chain had this head at this time."""

    store: str
    programmes: tuple[str, ...]
    seq: int
    hash: str
    at: str  # ISO 8601 with the offset, from the clock of the command that took it

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "store": self.store,
            "programmes": list(self.programmes),
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
        }

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body()).encode("utf-8")

    @property
    def moment(self) -> str:
        """When it was taken, as its readers write a time (the text as stored if odd)."""
        try:
            return local_minute(datetime.fromisoformat(self.at))
        except ValueError:
            return self.at


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint with its signature and the fingerprint of the key that made it."""

    checkpoint: Checkpoint
    signature: bytes
    key: str

    def line(self) -> str:
        """The checkpoint as one line of a checkpoints file (without the newline)."""
        return canonical_json(
            {
                "checkpoint": self.checkpoint.body(),
                "key": self.key,
                "signature": base64.b64encode(self.signature).decode("ascii"),
            }
        )


@dataclass(frozen=True, slots=True)
class CheckpointFailure:
    """One checkpoint that no longer holds: where it is in the file, and how it failed."""

    line: int
    kind: Failure
    message: str
    seq: int | None = None
    at: str | None = None


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """What the checkpoints of a file say about the store's chain."""

    path: str
    checked: int  # checkpoints (lines) read
    failures: tuple[CheckpointFailure, ...]
    head_seq: int  # the newest event the store holds
    vouched_seq: int = 0  # the highest seq a valid, matching checkpoint vouches for
    vouched_at: str | None = None  # ... and when that checkpoint was taken

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def unvouched(self) -> int:
        """Events after the newest matching checkpoint: no checkpoint speaks for them."""
        return max(self.head_seq - self.vouched_seq, 0)

    def summary(self) -> str:
        """The outcome in Chinese, with what checkpoints cannot show."""
        if not self.ok:
            return f"检查点核对未通过：{len(self.failures)} 个检查点不符"
        if self.checked == 0:
            return f"检查点文件 {self.path} 中没有检查点：留痕未经任何检查点担保"
        text = (
            f"检查点核对通过：{self.checked} 个检查点的签名有效，留痕与之相符；"
            f"最后一个检查点（{self.vouched_at}，留痕第 {self.vouched_seq} 条）"
        )
        if self.unvouched:
            return (
                text + f"之后的 {self.unvouched} 条留痕尚无检查点担保："
                "其后伪造追加的事件，单凭检查点无法发现"
            )
        return text + "涵盖全部留痕"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """``audit verify`` with checkpoints: the chain and documents, then the checkpoints."""

    trail: VerifyReport
    checkpoints: CheckpointReport

    @property
    def ok(self) -> bool:
        return self.trail.ok and self.checkpoints.ok

    def raise_if_broken(self) -> None:
        """Raise :class:`CheckpointBroken` naming every failed checkpoint (and the chain's
        first failure, if any), or the chain's own :class:`TrailBroken`."""
        if self.checkpoints.ok:
            self.trail.raise_if_broken()
            return
        lines: list[str] = []
        if not self.trail.ok:
            try:
                self.trail.raise_if_broken()
            except TrailBroken as exc:
                lines.append(exc.message)
        failures = self.checkpoints.failures
        lines.append(f"检查点核对未通过（{self.checkpoints.path}）：{len(failures)} 个检查点不符")
        lines.extend(f.message for f in failures[:_MAX_WORDED])
        if len(failures) > _MAX_WORDED:
            lines.append(f"（另有 {len(failures) - _MAX_WORDED} 个检查点不符）")
        raise CheckpointBroken(failures, "\n".join(lines))


# --- taking a checkpoint -------------------------------------------------------------------


def take_checkpoint(
    store: StorePort, key: SigningKey, now: datetime, *, tables: bool = True
) -> SignedCheckpoint:
    """Sign the head of the store's chain at ``now``, after checking the chain holds.

    A broken chain is not signed (:class:`TrailBroken`): a checkpoint vouches for what it
    names. Documents are re-hashed and the tables replayed too, as by ``audit verify``
    (``tables=False``: the chain and documents only, for a store written without commands).
    """
    with store.transaction(readonly=True) as tx:
        seq, head = tx.chain_head()
        programmes = tuple(sorted(p.id for p in tx.programmes()))
    verify_chain(store, tables=tables).raise_if_broken()
    if seq:
        with store.transaction(readonly=True) as tx:
            found = tx.events(after_seq=seq - 1, limit=1)
        if not found or found[0].seq != seq or found[0].hash != head:
            raise TrailBroken(f"留痕校验未通过：链头记录的事件 #{seq} 在库中与链头不符")
    checkpoint = Checkpoint(store.location, programmes, seq, head, now.isoformat())
    return SignedCheckpoint(checkpoint, key.sign(checkpoint.signed_bytes()), key.fingerprint)


def append_checkpoint(path: str | os.PathLike[str], signed: SignedCheckpoint) -> None:
    """Add a checkpoint as the last line of a checkpoints file (created if missing), on disk
    before this returns."""
    where = Path(path)
    data = (signed.line() + "\n").encode("utf-8")
    try:
        with where.open("ab") as handle:
            if handle.tell() > 0:
                with where.open("rb") as existing:
                    existing.seek(-1, os.SEEK_END)
                    if existing.read(1) != b"\n":
                        data = b"\n" + data
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputFileError(str(where), os_reason(exc)) from None


# --- reading and checking checkpoints ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    signed: SignedCheckpoint | None = None
    problem: str | None = None


def _parse(number: int, text: str) -> _Line:
    try:
        record = json.loads(text)
        body = record["checkpoint"]
        if body["format"] != FORMAT:
            return _Line(number, problem=f"格式 {body['format']!r} 不是 {FORMAT}")
        checkpoint = Checkpoint(
            store=body["store"],
            programmes=tuple(programmes := body["programmes"]),
            seq=body["seq"],
            hash=body["hash"],
            at=body["at"],
        )
        fields_ok = (
            isinstance(checkpoint.store, str)
            and isinstance(programmes, list)
            and all(isinstance(p, str) for p in programmes)
            and type(checkpoint.seq) is int
            and checkpoint.seq >= 0
            and isinstance(checkpoint.hash, str)
            and _HASH.fullmatch(checkpoint.hash) is not None
            and isinstance(checkpoint.at, str)
            and isinstance(record["key"], str)
            and _FINGERPRINT.fullmatch(record["key"]) is not None
            and isinstance(record["signature"], str)
        )
        if not fields_ok:
            return _Line(number, problem="字段的类型或写法不对")
        datetime.fromisoformat(checkpoint.at)
        signature = base64.b64decode(record["signature"], validate=True)
    except (json.JSONDecodeError, RecursionError):
        return _Line(number, problem="不是有效的 JSON")
    except KeyError as exc:
        return _Line(number, problem=f"缺少字段 {exc.args[0]}")
    except (TypeError, AttributeError):
        return _Line(number, problem="不是检查点记录")
    except binascii.Error:
        return _Line(number, problem="签名不是有效的 base64")
    except ValueError:
        return _Line(number, problem="时间不是 ISO 8601 格式")
    return _Line(number, SignedCheckpoint(checkpoint, signature, record["key"]))


def read_checkpoints(path: str | os.PathLike[str]) -> Iterator[_Line]:
    """The checkpoints of a file, line by line (blank lines skipped), each parsed or with
    what is wrong with it."""
    where = Path(path)
    try:
        if where.stat().st_size > _MAX_FILE:
            raise InputFileError(str(where), "文件过大，不是检查点文件")
        raw = where.read_bytes()
    except FileNotFoundError:
        raise InputFileError(str(where), "检查点文件不存在") from None
    except OSError as exc:
        raise InputFileError(str(where), os_reason(exc)) from None
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield _Line(number, problem="不是 UTF-8 文本")
            continue
        yield _parse(number, text)


def _named(line: int, checkpoint: Checkpoint | None = None) -> str:
    if checkpoint is None:
        return f"检查点文件第 {line} 行"
    return f"检查点文件第 {line} 行（{checkpoint.moment}，留痕第 {checkpoint.seq} 条）"


@dataclass(slots=True)
class _Vouched:
    """Checkpoints that held, by seq: a failure is placed between the nearest of them."""

    seqs: list[tuple[int, str]] = field(default_factory=list)

    def before(self, seq: int) -> tuple[int, str] | None:
        below = [item for item in self.seqs if item[0] < seq]
        return max(below) if below else None


def _against_store(
    line: int, checkpoint: Checkpoint, events: dict[int, str], last_seq: int
) -> CheckpointFailure | None:
    """Whether the store's chain still holds the checkpointed event (None: it does)."""
    name = _named(line, checkpoint)
    seq = checkpoint.seq
    if seq == 0:
        if checkpoint.hash != GENESIS_HASH:
            return CheckpointFailure(
                line, "changed", f"{name}：空留痕的链头哈希应为全零", seq, checkpoint.at
            )
        return None
    if seq > last_seq:
        return CheckpointFailure(
            line,
            "rewound",
            f"{name}：库中留痕只到第 {last_seq} 条，少于检查点记录的 {seq} 条："
            "末尾的事件被删除，链头被回退",
            seq,
            checkpoint.at,
        )
    stored = events.get(seq)
    if stored is None:
        return CheckpointFailure(
            line,
            "changed",
            f"{name}：库中已没有事件 #{seq}：事件被删除",
            seq,
            checkpoint.at,
        )
    if stored != checkpoint.hash:
        return CheckpointFailure(
            line,
            "changed",
            f"{name}：库中事件 #{seq} 的哈希为 {stored[:12]}…，检查点记录为 "
            f"{checkpoint.hash[:12]}…：第 {seq} 条及之前的留痕被改动、插入或删除后重算了链条",
            seq,
            checkpoint.at,
        )
    return None


def _hashes_at(store: StorePort, seqs: Sequence[int]) -> tuple[dict[int, str], int]:
    """The stored hash of the event at each of ``seqs`` and the newest seq, in one read."""
    found: dict[int, str] = {}
    with store.transaction(readonly=True) as tx:
        last = tx.last_event()
        for seq in sorted(set(seqs)):
            if seq <= 0:
                continue
            rows = tx.events(after_seq=seq - 1, limit=1)
            if rows and rows[0].seq == seq:
                found[seq] = str(rows[0].hash)
    return found, (last.seq if last is not None else 0)


def check_checkpoints(
    store: StorePort, path: str | os.PathLike[str], key: VerifyKey
) -> CheckpointReport:
    """Check every checkpoint of a file: made by ``key``, its signature valid, and the
    store's chain still holding its event at its seq with its hash."""
    lines = list(read_checkpoints(path))
    signed = [item for item in lines if item.signed is not None]
    hashes, last_seq = _hashes_at(
        store, [item.signed.checkpoint.seq for item in signed if item.signed]
    )
    failures: list[CheckpointFailure] = []
    vouched = _Vouched()
    for item in lines:
        if item.signed is None:
            failures.append(
                CheckpointFailure(
                    item.number, "unreadable", f"{_named(item.number)}：{item.problem}"
                )
            )
            continue
        checkpoint = item.signed.checkpoint
        name = _named(item.number, checkpoint)
        if item.signed.key != key.fingerprint:
            failures.append(
                CheckpointFailure(
                    item.number,
                    "wrong-key",
                    f"{name}：由指纹为 {item.signed.key} 的密钥签名，与所给公钥的指纹 "
                    f"{key.fingerprint} 不符：公钥给错了，或检查点是伪造的",
                    checkpoint.seq,
                    checkpoint.at,
                )
            )
            continue
        if not key.verifies(item.signed.signature, checkpoint.signed_bytes()):
            failures.append(
                CheckpointFailure(
                    item.number,
                    "bad-signature",
                    f"{name}：签名无效：检查点在签名后被改动，或是伪造的",
                    checkpoint.seq,
                    checkpoint.at,
                )
            )
            continue
        failure = _against_store(item.number, checkpoint, hashes, last_seq)
        if failure is None:
            vouched.seqs.append((checkpoint.seq, checkpoint.moment))
        else:
            failures.append(failure)
    failures = [_placed(f, vouched) for f in failures]
    best = max(vouched.seqs) if vouched.seqs else (0, None)
    return CheckpointReport(
        path=str(path),
        checked=len(lines),
        failures=tuple(failures),
        head_seq=last_seq,
        vouched_seq=best[0],
        vouched_at=best[1],
    )


def _placed(failure: CheckpointFailure, vouched: _Vouched) -> CheckpointFailure:
    """A changed chain's failure with where the change lies: after the nearest checkpoint
    below it that still holds, up to its own seq."""
    if failure.kind != "changed" or failure.seq is None or failure.seq == 0:
        return failure
    below = vouched.before(failure.seq)
    start = 1 if below is None else below[0] + 1
    where = (
        f"改动在事件 #{start}～#{failure.seq} 之间"
        if start < failure.seq
        else f"改动的是事件 #{failure.seq}"
    )
    if below is not None:
        where += f"（{below[1]} 的检查点所记的留痕第 {below[0]} 条及之前未变）"
    return CheckpointFailure(
        failure.line, failure.kind, f"{failure.message}；{where}", failure.seq, failure.at
    )


def audit_with_checkpoints(
    store: StorePort, path: str | os.PathLike[str], key: VerifyKey
) -> AuditReport:
    """The whole audit: the chain and every document, then every checkpoint of the file."""
    return AuditReport(verify_chain(store), check_checkpoints(store, path, key))
