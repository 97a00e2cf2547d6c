"""The desk's tables: ``accounts``, ``account_tokens``, ``logins`` and ``desk_settings``.

Accounts and sign-ins are not programme events: they live beside the trail, never in it
(the audit's replay does not read them). A set-password link is kept only as the SHA-256 of
its token, so that reading the database does not give a way in; passwords only as the
argon2 hashes the application layer makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.runtime.records import iso_timestamp
from engine.runtime.store.schema import ACCOUNT_TOKENS, ACCOUNTS, DESK_SETTINGS, LOGINS
from engine.runtime.store.sql import TableAccess

__all__ = ["AccountRow", "AccountTables", "LoginRow"]


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    name: str
    body: str
    role: str
    email: str | None
    password_hash: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class LoginRow:
    id: int
    name: str
    account_id: int | None
    success: bool
    remote: str
    at: str


class AccountTables(TableAccess):
    """Accounts, set-password tokens, the login record and the desk's settings."""

    def add_account(
        self, name: str, body: str, role: str, email: str | None, at: datetime
    ) -> AccountRow:
        conn = self._usable(write=True)
        created = iso_timestamp(at)
        values = {"name": name, "body": body, "role": role, "email": email}
        result = conn.execute(ACCOUNTS.insert().values(**values, created_at=created))
        key = result.inserted_primary_key
        assert key is not None
        return AccountRow(int(key[0]), name, body, role, email, None, created)

    def get_account(self, *, name: str | None = None, id: int | None = None) -> AccountRow | None:
        t = ACCOUNTS
        where = t.c.name == name if name is not None else t.c.id == id
        found = self._usable().execute(t.select().where(where)).first()
        return AccountRow(*found) if found else None

    def accounts(self) -> list[AccountRow]:
        rows = self._usable().execute(ACCOUNTS.select().order_by(ACCOUNTS.c.id))
        return [AccountRow(*r) for r in rows]

    def set_password_hash(self, account_id: int, password_hash: str) -> None:
        stmt = ACCOUNTS.update().where(ACCOUNTS.c.id == account_id)
        self._usable(write=True).execute(stmt.values(password_hash=password_hash))

    def disable_account(self, account_id: int, at: datetime) -> None:
        """No more sign-ins: the password forgotten, every unused link spent now (a new
        link, made later, lets the person set a password again)."""
        conn = self._usable(write=True)
        conn.execute(
            ACCOUNTS.update().where(ACCOUNTS.c.id == account_id).values(password_hash=None)
        )
        t = ACCOUNT_TOKENS
        unused = sa.and_(t.c.account_id == account_id, t.c.used_at.is_(None))
        conn.execute(t.update().where(unused).values(used_at=iso_timestamp(at)))

    def desk_settings(self, prefix: str) -> list[tuple[str, str]]:
        """(key, value) of the settings whose key starts with ``prefix``, by key."""
        t = DESK_SETTINGS
        stmt = t.select().where(t.c.key.startswith(prefix, autoescape=True)).order_by(t.c.key)
        return [(str(k), str(v)) for k, v in self._usable().execute(stmt)]

    def add_token(
        self, token_sha256: str, account_id: int, at: datetime, expires: datetime
    ) -> None:
        self._usable(write=True).execute(
            ACCOUNT_TOKENS.insert().values(
                token_sha256=token_sha256,
                account_id=account_id,
                created_at=iso_timestamp(at),
                expires_at=iso_timestamp(expires),
            )
        )

    def use_token(self, token_sha256: str, at: datetime) -> int | None:
        """Spend an unused, unexpired token: the account it was made for, or None."""
        t = ACCOUNT_TOKENS
        conn = self._usable(write=True)
        found = conn.execute(
            sa.select(t.c.account_id, t.c.expires_at).where(
                t.c.token_sha256 == token_sha256, t.c.used_at.is_(None)
            )
        ).first()
        if found is None or datetime.fromisoformat(found.expires_at) <= at:
            return None
        conn.execute(
            t.update().where(t.c.token_sha256 == token_sha256).values(used_at=iso_timestamp(at))
        )
        return int(found.account_id)

    def token_usable(self, token_sha256: str, at: datetime) -> bool:
        t = ACCOUNT_TOKENS
        found = (
            self._usable()
            .execute(
                sa.select(t.c.expires_at).where(
                    t.c.token_sha256 == token_sha256, t.c.used_at.is_(None)
                )
            )
            .first()
        )
        return found is not None and datetime.fromisoformat(found.expires_at) > at

    def record_login(
        self, name: str, account_id: int | None, success: bool, remote: str, at: datetime
    ) -> None:
        self._usable(write=True).execute(
            LOGINS.insert().values(
                name=name,
                account_id=account_id,
                success=success,
                remote=remote,
                at=iso_timestamp(at),
            )
        )

    def failed_logins(self, name: str, remote: str, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since ``since``: (for this name, from this address)."""
        t = LOGINS
        conn = self._usable()
        after = iso_timestamp(since)

        def count(where: sa.ColumnElement[bool]) -> int:
            stmt = sa.select(sa.func.count()).where(where, t.c.at > after, t.c.success.is_(False))
            return int(conn.scalar(stmt) or 0)

        return count(t.c.name == name), count(t.c.remote == remote)

    def logins(self, limit: int = 500) -> list[LoginRow]:
        t = LOGINS
        rows = self._usable().execute(t.select().order_by(t.c.id.desc()).limit(limit))
        return [LoginRow(r.id, r.name, r.account_id, bool(r.success), r.remote, r.at) for r in rows]

    def desk_setting(self, key: str) -> str | None:
        t = DESK_SETTINGS
        return self._usable().scalar(sa.select(t.c.value).where(t.c.key == key))

    def put_desk_setting(self, key: str, value: str) -> bool:
        """Keep ``value`` under ``key`` unless one is kept already; True when this call did."""
        return self._insert_if_absent(DESK_SETTINGS, {"key": key, "value": value})

    def remove_desk_setting(self, key: str) -> bool:
        """Forget what is kept under ``key``; True when something was."""
        t = DESK_SETTINGS
        conn = self._usable(write=True)
        return bool(conn.execute(t.delete().where(t.c.key == key)).rowcount)
