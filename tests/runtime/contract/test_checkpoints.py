"""Checkpoints through the store's ports: taken and checked the same on every store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.runtime.checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    append_checkpoint,
    check_checkpoints,
    take_checkpoint,
)
from engine.runtime.ports import StorePort
from engine.runtime.records import EventRow
from engine.runtime.signing import SigningKey, generate_key_pair, load_signing_key
from tests.runtime.conftest import AT, PROGRAMME


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return load_signing_key(generate_key_pair(tmp_path / "audit.key").private)


def signed(key: SigningKey, seq: int, hash_: str) -> SignedCheckpoint:
    """A checkpoint properly signed by ``key`` for whatever head it is told."""
    mark = Checkpoint("elsewhere", (PROGRAMME,), seq, hash_, AT.isoformat())
    return SignedCheckpoint(mark, key.sign(mark.signed_bytes()), key.fingerprint)


def test_a_checkpoint_names_the_head_and_still_holds_after_more_events(
    enrolled: StorePort,
    append: Callable[..., list[EventRow]],
    key: SigningKey,
    tmp_path: Path,
) -> None:
    events = append(3)
    marks = tmp_path / "checkpoints.jsonl"
    taken = take_checkpoint(enrolled, key, AT, tables=False)
    append_checkpoint(marks, taken)
    append(2)

    report = check_checkpoints(enrolled, marks, key.public)

    assert (taken.checkpoint.seq, taken.checkpoint.hash) == (3, events[-1].hash)
    assert taken.checkpoint.programmes == (PROGRAMME,)
    assert report.ok
    assert (report.vouched_seq, report.head_seq, report.unvouched) == (3, 5, 2)


def test_a_checkpoint_beyond_the_stores_head_reads_as_a_rewound_head(
    enrolled: StorePort,
    append: Callable[..., list[EventRow]],
    key: SigningKey,
    tmp_path: Path,
) -> None:
    events = append(2)
    marks = tmp_path / "checkpoints.jsonl"
    append_checkpoint(marks, signed(key, 1, events[0].hash))
    append_checkpoint(marks, signed(key, 4, "f" * 64))
    append_checkpoint(marks, signed(key, 2, "e" * 64))

    report = check_checkpoints(enrolled, marks, key.public)

    assert [(f.line, f.kind, f.seq) for f in report.failures] == [
        (2, "rewound", 4),
        (3, "changed", 2),
    ]
    assert report.failures[1].message.endswith(
        "改动的是事件 #2（2025-03-03 09:30 的检查点所记的留痕第 1 条及之前未变）"
    )
