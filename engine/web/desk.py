"""What the desk serves: the programmes it was started with, on one store and one clock.

``Desk.programme`` opens a programme for one request with the signed-in account as 经办人
(the operator every event records); ``Desk.may_see_unit`` is the one rule for which unit's
items an account may read: its own for a unit, the units it inspects for an inspection lead,
every unit for the coordinating office and auditors. ``Desk.may_read_item`` adds an item's
co-responsible units (责任单位) to its lead unit's readers: what the item's page, its
receipts and its documents are read by. Submitting stays the lead unit's (and the office's).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping
from pathlib import Path
from typing import Any

from engine.app import MailSettings, Programme
from engine.app.accounts import AccountRow, Accounts
from engine.app.desk import store_mark
from engine.app.live import LiveReads
from engine.clock import Clock
from engine.definition.loader import Definition
from engine.errors import DocflowError
from engine.runtime.store import Store

__all__ = ["DEFAULT_MAX_UPLOAD", "Desk", "ViewCache", "operator_of"]

#: The largest document the desk takes (bytes): 20 MB.
DEFAULT_MAX_UPLOAD = 20 * (1 << 20)
#: Roles that read every unit's items.
READ_ALL = frozenset({"coordinator", "auditor"})


def operator_of(account: AccountRow, definition: Definition | None = None) -> str:
    """How the trail names the person (经办人): ``张三（广州市）``."""
    body = definition.index.body_label(account.body) if definition is not None else account.body
    return f"{account.name}（{body}）"


class Desk:
    """The desk's programmes (by id), store, clock, upload limit, report folder and where
    the 催报 the office sends by hand go (the mail settings of ``remind``)."""

    def __init__(
        self,
        definitions: Mapping[str, Definition],
        store: Store,
        clock: Clock,
        *,
        max_upload: int = DEFAULT_MAX_UPLOAD,
        work_dir: Path,
        mail: MailSettings | None = None,
    ) -> None:
        self.definitions = dict(definitions)
        self.mail = mail or MailSettings(str(work_dir / "outbox"))  # where 催报 by hand go
        self.store = store
        self.clock = clock
        self.max_upload = max_upload
        self.work_dir = work_dir
        self.accounts = Accounts(store, clock)
        store.documents.max_size = max_upload
        self.views = ViewCache()
        self._live = {pid: LiveReads() for pid in self.definitions}

    def live(self, pid: str) -> LiveReads:
        """Programme ``pid``'s state as this process keeps it (``engine.app.live``)."""
        return self._live[pid]

    def warm(self) -> list[tuple[str, DocflowError]]:
        """Read and judge every programme once, before the first request would (at 100,000
        items some seconds); what could not be read, with why (the pages say it again)."""
        failed = []
        for pid in self.definitions:
            try:
                self._live[pid].office(self.programme(pid))
            except DocflowError as exc:
                failed.append((pid, exc))
        return failed

    def definition(self, pid: str) -> Definition | None:
        return self.definitions.get(pid)

    def programme(self, pid: str, account: AccountRow | None = None) -> Programme:
        """Programme ``pid`` for one request (``pid`` must be one the desk serves)."""
        definition = self.definitions[pid]
        operator = operator_of(account, definition) if account is not None else None
        return Programme(definition, self.store, self.clock, self.mail, operator=operator)

    def may_see_unit(self, account: AccountRow, pid: str, unit: str) -> bool:
        if account.role in READ_ALL:
            return True
        if account.role == "unit":
            return account.body == unit
        if account.role == "inspector":
            return self.definitions[pid].index.inspector_of.get(unit) == account.body
        return False

    def may_read_item(
        self, account: AccountRow, pid: str, unit: str, co: Collection[str] = ()
    ) -> bool:
        """Whether ``account`` reads an item led by ``unit`` with co-responsible units
        ``co``: whoever reads the lead unit's items, and a unit account of a 责任单位."""
        if self.may_see_unit(account, pid, unit):
            return True
        return account.role == "unit" and account.body in co


class ViewCache:
    """What a page read from the store, kept while the store's mark stays the same.

    A view of a programme (the office's dashboard, a unit's items) is a function of the
    store's state - the chain's head and the sent-log (``engine.app.desk.store_mark``) - and
    of the day it is judged on; a page asks for it with both, and only a new event, a new
    notice or a new day reads the store again. Each process keeps its own (several desks on
    one PostgreSQL store each see every other's writes by the mark)."""

    SIZE = 1024

    def __init__(self) -> None:
        self._found: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, gd: Programme, key: Hashable, build: Callable[[], Any]) -> Any:
        today = gd.now().astimezone(gd.definition.zone).date()
        full = (gd.id, key, today, store_mark(gd))
        with self._lock:
            if full in self._found:
                self._found.move_to_end(full)
                return self._found[full]
        value = build()
        with self._lock:
            self._found[full] = value
            while len(self._found) > self.SIZE:
                self._found.popitem(last=False)
        return value
