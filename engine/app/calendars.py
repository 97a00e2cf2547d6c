"""Calendar subscriptions: a unit's deadlines as iCalendar, at an address carrying a token
of its own that a calendar application can poll without signing in.

The coordinating office or an administrator makes a unit's token (shown once; only its
SHA-256 is kept, in the desk's settings beside the accounts) and may revoke it; making a new
one revokes the old. The feed is the ``export ical`` view of that unit.
"""

from __future__ import annotations

import hmac
import secrets

from engine.app.accounts import token_digest
from engine.runtime.store import Store

__all__ = ["CalendarTokens"]


def _key(pid: str, unit: str) -> str:
    return f"ical-token:{pid}:{unit}"


class CalendarTokens:
    """The calendar tokens of the units of the programmes on one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def make(self, pid: str, unit: str) -> str:
        """A new token for ``unit``'s calendar (any older one no longer works)."""
        token = secrets.token_urlsafe(24)
        with self.store.transaction() as tx:
            tx.remove_desk_setting(_key(pid, unit))
            tx.put_desk_setting(_key(pid, unit), token_digest(token))
        return token

    def revoke(self, pid: str, unit: str) -> bool:
        """Stop ``unit``'s calendar address from working; False when it had none."""
        with self.store.transaction() as tx:
            return tx.remove_desk_setting(_key(pid, unit))

    def units_with_token(self, pid: str) -> set[str]:
        """The units of programme ``pid`` whose calendar address works (one read)."""
        prefix = _key(pid, "")
        with self.store.transaction(readonly=True) as tx:
            return {key.removeprefix(prefix) for key, _ in tx.desk_settings(prefix)}

    def valid(self, pid: str, unit: str, token: str) -> bool:
        """Whether ``token`` opens ``unit``'s calendar (compared in constant time)."""
        with self.store.transaction(readonly=True) as tx:
            kept = tx.desk_setting(_key(pid, unit))
        return kept is not None and hmac.compare_digest(kept, token_digest(token))
