"""Fixtures for the store and trail tests: a fresh SQLite store in tmp_path."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine.clock import SHANGHAI
from engine.runtime.store import EventDraft, EventRow, PointRow, Store, open_store

AT = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)
PROGRAMME = "2025-优化营商环境"


@pytest.fixture
def at() -> datetime:
    return AT


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "docflow.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = open_store(str(db_path))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def enrolled(store: Store) -> Store:
    """A store with one programme, two units and three points."""
    with store.transaction() as tx:
        tx.put_programme(PROGRAMME, "优化营商环境工作方案", 2025, "a" * 64, AT)
        tx.ensure_units(PROGRAMME, ["发改委", "市场监管局"])
        tx.add_points(
            [
                PointRow(PROGRAMME, "1", "发改委", "压缩开办时间", "draft", None),
                PointRow(PROGRAMME, "2", "发改委", "推行证照分离", "draft", None),
                PointRow(PROGRAMME, "3", "市场监管局", "企业注销便利化", "submitted", None),
            ]
        )
    return store


def draft(n: int, **overrides: Any) -> EventDraft:
    """A plausible event; ``n`` makes it distinguishable."""
    values: dict[str, Any] = {
        "programme_id": PROGRAMME,
        "trigger": "submit",
        "actor": "发改委联络员",
        "point_id": str(n % 3 + 1),
        "unit_id": "发改委",
        "source_state": "draft",
        "dest_state": "submitted",
        "reason": f"第{n}次报送材料",
    }
    values.update(overrides)
    return EventDraft(**values)


@pytest.fixture
def append(enrolled: Store) -> Callable[..., list[EventRow]]:
    """Append ``count`` events in one transaction to the enrolled store."""

    def do(count: int, **overrides: Any) -> list[EventRow]:
        with enrolled.transaction() as tx:
            start = tx.chain_head()[0]
            return tx.append_events([draft(start + i, **overrides) for i in range(count)], AT)

    return do


@pytest.fixture
def raw_sql(db_path: Path) -> Callable[..., list[tuple[Any, ...]]]:
    """Run SQL on the database file behind docflow's back (as a tamperer would)."""

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(db_path)) as conn, conn:
            return conn.execute(sql, params).fetchall()

    return run
