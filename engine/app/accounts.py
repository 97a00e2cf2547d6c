"""The desk's accounts: who may sign in, as which body and in which role.

An account belongs to a body (a unit, the coordinating office, an inspection lead) and has
one role. It is made without a password: ``add`` returns a one-time token for a link on
which the person sets it (kept only as its SHA-256, expiring after ``LINK_HOURS``).
Passwords are kept as argon2 hashes. Every sign-in, good or bad, is recorded with the
address it came from; after ``MAX_FAILURES`` failures for one name or from one address
within ``THROTTLE_MINUTES``, sign-ins are refused until the window has passed. None of this
is a programme event: accounts and sign-ins live beside the trail, and an auditor lists them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from engine.clock import Clock
from engine.refusals.accounts import (
    ROLE_LABELS,
    AccountExists,
    LinkNotUsable,
    SignInRefused,
    SignInThrottled,
    UnknownAccount,
    UnknownRole,
    WeakPassword,
)
from engine.runtime.store.accounts import AccountRow, LoginRow
from engine.runtime.userinput import check_text

if TYPE_CHECKING:
    from engine.runtime.store import Store, Transaction

__all__ = [
    "LINK_HOURS",
    "MAX_FAILURES",
    "MIN_PASSWORD",
    "ROLE_LABELS",
    "THROTTLE_MINUTES",
    "AccountRow",
    "Accounts",
    "LoginRow",
    "open_accounts",
    "token_digest",
]

LINK_HOURS = 72
MAX_FAILURES = 5
THROTTLE_MINUTES = 15
MIN_PASSWORD = 10
_SECRET_KEY = "session-secret"
_LOG = "account-log:"  # the desk's record of accounts added and disabled


def token_digest(token: str) -> str:
    """What the store keeps of a one-time or calendar token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """The account use cases on one store, each one transaction, on the caller's clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        from argon2 import PasswordHasher

        self._hasher = PasswordHasher()

    @cached_property
    def _dummy(self) -> str:
        """Checked against when the name is unknown, so that the answer takes as long
        (made on the first sign-in: ``account add`` and ``link`` never check one)."""
        return self._hasher.hash(secrets.token_hex(16))

    def add(
        self, name: str, body: str, role: str, email: str | None = None, by: str | None = None
    ) -> tuple[AccountRow, str]:
        """A new account without a password, and the one-time token to set it; added on
        the desk by the administrator ``by``, recorded in the same transaction."""
        name = check_text(name, "--name").strip()
        check_text(body, "--body")
        if email is not None:
            check_text(email, "--email")
        if role not in ROLE_LABELS:
            raise UnknownRole(role)
        now = self.clock.now()
        with self.store.transaction() as tx:
            if tx.get_account(name=name) is not None:
                raise AccountExists(name)
            account = tx.add_account(name, body, role, email, now)
            token = secrets.token_urlsafe(32)
            tx.add_token(token_digest(token), account.id, now, now + timedelta(hours=LINK_HOURS))
            if by is not None:
                self._record(tx, by, "add", name)
        return account, token

    def new_link(self, name: str) -> str:
        """Another one-time token for an existing account (a lost password)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            account = tx.get_account(name=name)
            if account is None:
                raise UnknownAccount(name)
            token = secrets.token_urlsafe(32)
            tx.add_token(token_digest(token), account.id, now, now + timedelta(hours=LINK_HOURS))
        return token

    def link_usable(self, token: str) -> bool:
        with self.store.transaction(readonly=True) as tx:
            return tx.token_usable(token_digest(token), self.clock.now())

    def set_password(self, token: str, password: str, again: str) -> AccountRow:
        """Spend the token and set its account's password."""
        if len(password) < MIN_PASSWORD or password != again:
            raise WeakPassword(MIN_PASSWORD)
        hashed = self._hasher.hash(password)
        with self.store.transaction() as tx:
            account_id = tx.use_token(token_digest(token), self.clock.now())
            if account_id is None:
                raise LinkNotUsable()
            tx.set_password_hash(account_id, hashed)
            found = tx.get_account(id=account_id)
        assert found is not None
        return found

    def sign_in(self, name: str, password: str, remote: str) -> AccountRow:
        """The account ``name`` if ``password`` is its own; recorded either way."""
        from argon2.exceptions import InvalidHashError, VerificationError

        now = self.clock.now()
        since = now - timedelta(minutes=THROTTLE_MINUTES)
        with self.store.transaction(readonly=True) as tx:
            by_name, by_address = tx.failed_logins(name, remote, since)
            account = tx.get_account(name=name)
        if max(by_name, by_address) >= MAX_FAILURES:
            with self.store.transaction() as tx:
                tx.record_login(name, account.id if account else None, False, remote, now)
            raise SignInThrottled(THROTTLE_MINUTES)
        stored = account.password_hash if account is not None else None
        try:
            good = self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            good = False
        with self.store.transaction() as tx:
            tx.record_login(name, account.id if account else None, good, remote, now)
        if not good or account is None:
            raise SignInRefused()
        return account

    def add_by(self, by: str, name: str, body: str, role: str, email: str | None = None) -> str:
        """``add`` on the desk by the administrator ``by``, recorded; the one-time token."""
        _account, token = self.add(name, body, role, email, by)
        return token

    def disable(self, by: str, account_id: int) -> AccountRow:
        """Stop the account from signing in (its sessions end at their next request),
        recorded with the administrator ``by``."""
        with self.store.transaction() as tx:
            account = tx.get_account(id=account_id)
            if account is None:
                raise UnknownAccount(account_id)
            tx.disable_account(account_id, self.clock.now())
            self._record(tx, by, "disable", account.name)
        return account

    def _record(self, tx: Transaction, by: str, action: str, name: str) -> None:
        """The desk's record of an account change, in the change's own transaction."""
        now = self.clock.now()
        key = f"{_LOG}{now.isoformat()}:{secrets.token_hex(4)}"
        tx.put_desk_setting(key, json.dumps([action, name, by], ensure_ascii=False))

    def record(self) -> list[tuple[str, str, str, str]]:
        """(when, action, account, by) of every account added or disabled on the desk,
        newest first."""
        with self.store.transaction(readonly=True) as tx:
            rows = tx.desk_settings(_LOG)
        found = []
        for key, value in reversed(rows):
            action, name, by = json.loads(value)
            found.append((key[len(_LOG) :].rpartition(":")[0], action, name, by))
        return found

    def get(self, account_id: int) -> AccountRow | None:
        with self.store.transaction(readonly=True) as tx:
            return tx.get_account(id=account_id)

    def all(self) -> list[AccountRow]:
        with self.store.transaction(readonly=True) as tx:
            return tx.accounts()

    def logins(self, limit: int = 500) -> list[LoginRow]:
        with self.store.transaction(readonly=True) as tx:
            return tx.logins(limit)

    def session_secret(self) -> str:
        """The desk's session-signing secret, made once and kept in the store."""
        with self.store.transaction(readonly=True) as tx:
            found = tx.desk_setting(_SECRET_KEY)
        if found is not None:
            return found
        with self.store.transaction() as tx:
            tx.put_desk_setting(_SECRET_KEY, secrets.token_urlsafe(48))
            kept = tx.desk_setting(_SECRET_KEY)
        assert kept is not None
        return kept


def open_accounts(db: str | None, clock: Clock | None = None) -> Accounts:
    """The accounts of the store at ``db`` (which must exist); close ``.store`` after."""
    from engine.clock import SystemClock
    from engine.runtime.store import open_store, resolve_location

    store = open_store(resolve_location(db), create=False)
    return Accounts(store, clock or SystemClock())
