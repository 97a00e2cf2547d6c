"""The store: programmes, points, the event trail and the send log, in one SQL database.

SQLAlchemy Core only (no ORM), so that ``import engine.runtime.store`` stays light. The same
code runs on SQLite (a file, the default) and PostgreSQL (a ``postgresql+psycopg://`` URL).

The package, from the bottom up:

========================  ==================================================================
``schema``                the tables, their numbered migrations and ``schema_version``
``database``              locations and URLs, the engine (SQLite pragmas, busy timeout,
                          ``BEGIN IMMEDIATE``), database errors translated into Chinese
``sql``                   the transaction's connection; Core statements compiled once for the
                          driver on the hot path (:class:`~.sql.DriverStatement`)
``programmes``            ``programmes`` and ``units``
``points``                ``points``
``events``                ``events`` and ``trail_head`` (the chain is sealed by
                          :mod:`engine.runtime.chain`)
``documents``             ``documents`` (the files are in :mod:`engine.runtime.documents`)
``overrides``             ``deadline_overrides``
``sentlog``               ``sent_log``
``accounts``              the desk's ``accounts``, ``account_tokens``, ``logins`` and
                          ``desk_settings`` (beside the trail, not in it)
``transaction``           :class:`Transaction`, composed of the table groups above
``opening``               :func:`open_store` (also read-only) and :class:`Store`
========================  ==================================================================

The row types are in :mod:`engine.runtime.records`. Use cases reach the store through the
ports of :mod:`engine.runtime.ports` (:class:`~engine.runtime.ports.StorePort` for the open
store, :class:`~engine.runtime.ports.StoreTransaction` for everything inside a transaction),
and each needs only some of them:

=====================================  =============================================================
use case                               ports used inside its transaction
=====================================  =============================================================
enrol (``Runtime.enrol``)              ProgrammeRecords, PointRecords, EventRecords, DocumentRecords
submit, programme tasks                ProgrammeRecords, PointRecords, EventRecords, DocumentRecords,
                                       OverrideRecords
decide (incl. extensions)              PointRecords, EventRecords, OverrideRecords
migrate (a changed definition)         ProgrammeRecords, PointRecords, EventRecords
correct (撤回, 更正: corrections)          PointRecords, EventRecords, DocumentRecords, OverrideRecords
remind / serve / simulate (dispatch)   PointRecords, EventRecords (tasks done; the ``notify``
                                       event carrying the sent-log rows), OverrideRecords, SentLog
status, calendar, report, exports      ProgrammeRecords, PointRecords, EventRecords, OverrideRecords
log, audit verify (trail)              EventRecords, DocumentRecords, and the StorePort's documents
                                       (the replay reads every table the trail answers for)
=====================================  =============================================================
"""

from __future__ import annotations

from engine.runtime.records import (
    DeadlineOverride,
    DocumentRow,
    EventDraft,
    EventRow,
    PointRow,
    ProgrammeRow,
    SentRow,
)
from engine.runtime.store.database import (
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_LOCATION,
    resolve_location,
)
from engine.runtime.store.opening import Store, open_store
from engine.runtime.store.schema import MIGRATIONS, SCHEMA_VERSION
from engine.runtime.store.transaction import Transaction

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_LOCATION",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "DeadlineOverride",
    "DocumentRow",
    "EventDraft",
    "EventRow",
    "PointRow",
    "ProgrammeRow",
    "SentRow",
    "Store",
    "Transaction",
    "open_store",
    "resolve_location",
]
