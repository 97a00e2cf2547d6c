"""The store contract: every test here runs unchanged against each store implementation.

The ``store`` fixture (which the shared ``enrolled`` and ``append`` fixtures of
``tests/runtime/conftest.py`` build on) is a fresh SQLite file, the in-memory store, and a
fresh PostgreSQL store when ``DOCFLOW_TEST_POSTGRES`` is set (``scripts/test.sh`` sets it;
skipped otherwise; one database for the session, emptied before each test). ``open_again``
opens another handle on the same store, with its own connections, as another process would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.runtime.memory_store import MemoryDatabase, MemoryStore
from engine.runtime.ports import StorePort
from engine.runtime.store import open_store
from tests.runtime.gd2011 import BACKENDS, postgres_database

MEMORY = "memory"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One PostgreSQL database for the contract tests, emptied before each of them."""
    with postgres_database() as url:
        yield url


def _empty_database(url: str) -> None:
    """Drop every table, so that the next ``open_store`` builds a fresh store."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=[*BACKENDS, MEMORY])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store under test lives: a new SQLite file, an emptied PostgreSQL database,
    or (``memory``) a new in-memory database."""
    if request.param == MEMORY:
        return MEMORY
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        _empty_database(url)
        return url
    folder = tmp_path / "db"
    folder.mkdir()
    return str(folder / "docflow.db")


@pytest.fixture
def documents_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def open_again(location: str, documents_dir: Path) -> Iterator[Callable[[], StorePort]]:
    """Open more handles on the store under test; all closed at the end."""
    opened: list[StorePort] = []
    shared = MemoryDatabase()

    def open_one() -> StorePort:
        store: StorePort
        if location == MEMORY:
            store = MemoryStore(documents_dir, shared)
        else:
            store = open_store(location, documents_dir)
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            store.close()


@pytest.fixture
def store(open_again: Callable[[], StorePort]) -> StorePort:
    return open_again()
