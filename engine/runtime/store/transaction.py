"""The store's transaction: one class composed of one part per table group.

Each part is a class of its own module holding that group's SQL; :class:`Transaction`
inherits them all, so a call such as ``tx.append_events`` is a plain method call with no
delegation in between. The module-level assignments at the end let mypy check that the
composed class satisfies every port of :mod:`engine.runtime.ports`.
"""

from __future__ import annotations

from typing import cast

from engine.runtime import ports
from engine.runtime.store.accounts import AccountTables
from engine.runtime.store.documents import DocumentTable
from engine.runtime.store.events import EventTables
from engine.runtime.store.filings import FilingTable
from engine.runtime.store.overrides import OverrideTable
from engine.runtime.store.points import PointTable
from engine.runtime.store.programmes import ProgrammeTables
from engine.runtime.store.sentlog import SentLogTable

__all__ = ["Transaction"]


class Transaction(
    ProgrammeTables,
    PointTable,
    EventTables,
    DocumentTable,
    OverrideTable,
    SentLogTable,
    FilingTable,
    AccountTables,
):
    """The operations available inside :meth:`Store.transaction`."""

    def lock_for_writing(self, busy_timeout: float) -> None:
        """Take the store's write lock: the ``trail_head`` row, waiting ``busy_timeout`` s.

        SQLite needs none of this: its write transactions begin with ``BEGIN IMMEDIATE``.
        """
        if self._conn.dialect.name == "postgresql":
            ms = int(busy_timeout * 1000)
            self._conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{ms}ms'")
        self.chain_head(for_update=True)


# Structural checks (mypy): the SQL transaction is every port the use cases rely on.
_programmes: ports.ProgrammeRecords = cast(Transaction, None)
_points: ports.PointRecords = cast(Transaction, None)
_events: ports.EventRecords = cast(Transaction, None)
_documents: ports.DocumentRecords = cast(Transaction, None)
_overrides: ports.OverrideRecords = cast(Transaction, None)
_sent: ports.SentLog = cast(Transaction, None)
_filings: ports.FilingRecords = cast(Transaction, None)
_all: ports.StoreTransaction = cast(Transaction, None)
