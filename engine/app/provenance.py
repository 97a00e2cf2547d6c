"""Which state of the store a report or an export was made from: the chain's head, and
a signed checkpoint of it.

Every report (``render``) and export (``export summary``, ``export ical`` with a store)
carries the head of the trail's chain it was read at - ``seq``, ``hash`` and when that event
was recorded - so that a reader can later ask ``audit verify`` whether the trail still holds
that event. Given the private key that signs checkpoints, it also carries a checkpoint of
the head signed with it (``audit checkpoint``'s use case: the audit runs first, and a trail
that does not verify is not signed), one line of a checkpoints file, which ``audit verify
--checkpoints`` checks like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.runtime.checkpoints import SignedCheckpoint
    from engine.runtime.signing import SigningKey
    from engine.runtime.store import Store

__all__ = ["HeadMark", "mark_head"]


@dataclass(frozen=True, slots=True)
class HeadMark:
    """The chain's head as a report shows it, with a signed checkpoint when one was made."""

    seq: int
    hash: str
    at: str | None  # when the head event was recorded (None for an empty trail)
    checkpoint: SignedCheckpoint | None = None
    unsigned: str | None = None  # why no checkpoint was signed though a key was given

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"seq": self.seq, "hash": self.hash, "at": self.at}
        if self.checkpoint is not None:
            found["checkpoint"] = self.checkpoint.line()
            found["checkpoint_seq"] = self.checkpoint.checkpoint.seq
            found["key"] = self.checkpoint.key
        if self.unsigned is not None:
            found["unsigned"] = self.unsigned
        return found


def mark_head(
    store: Store,
    head: tuple[int, str],
    key: SigningKey | None = None,
    now: datetime | None = None,
    *,
    sign: bool = True,
    unsigned: str | None = None,
) -> HeadMark:
    """The mark of ``head`` (read with the report's snapshot); with ``key`` and ``sign``, a
    checkpoint signed at ``now`` (``TrailBroken`` when the audit fails); without ``sign``,
    ``unsigned`` says why not."""
    seq, digest = head
    at = None
    if seq:
        with store.transaction(readonly=True) as tx:
            found = tx.events(after_seq=seq - 1, limit=1)
        if found and found[0].seq == seq:
            at = found[0].recorded_at
    if key is None:
        return HeadMark(seq, digest, at)
    if not sign:
        return HeadMark(seq, digest, at, unsigned=unsigned)
    from engine.runtime.checkpoints import take_checkpoint

    assert now is not None, "a checkpoint needs its time"
    return HeadMark(seq, digest, at, take_checkpoint(store, key, now))
