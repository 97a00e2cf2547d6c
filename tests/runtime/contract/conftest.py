"""The store contract: every test here runs unchanged against each store implementation.

The ``store`` fixture (which the shared ``enrolled`` and ``append`` fixtures of
``tests/runtime/conftest.py`` build on) is a fresh SQLite file, and a fresh PostgreSQL
database when ``DOCFLOW_TEST_POSTGRES`` is set (``scripts/test.sh`` sets it); skipped
otherwise (one database for the session, emptied before each test). ``open_again`` opens another handle on the same store, with its own connections,
as another process would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.runtime.store import Store, open_store
from tests.runtime.gd2011 import BACKENDS, postgres_database


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


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store under test lives: a new SQLite file or an emptied PostgreSQL database."""
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
def open_again(location: str, documents_dir: Path) -> Iterator[Callable[[], Store]]:
    """Open more handles on the store under test; all closed at the end."""
    opened: list[Store] = []

    def open_one() -> Store:
        store = open_store(location, documents_dir)
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            store.close()


@pytest.fixture
def store(open_again: Callable[[], Store]) -> Store:
    return open_again()
