"""The desk on a rehearsal store: the 2011 programme's example points enrolled, 广州市's and
佛山市's screened and approved, at 2011-05-06 10:00 (before the work plans' 5月10日前), with
one account per role; a TestClient signs in as any of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from engine.app import Programme
from engine.app.accounts import Accounts
from engine.clock import FixedClock
from engine.runtime.pointsfile import read_points_file
from engine.web import Desk, create_app
from tests.runtime.gd2011 import PROGRAMME_DIR, database

NOW = datetime.fromisoformat("2011-05-06T10:00:00+08:00")
PASSWORD = "correct horse battery"
#: name -> (body, role) of the accounts every desk test has.
PEOPLE = {
    "广州填报员": ("guangzhou", "unit"),
    "佛山填报员": ("foshan", "unit"),
    "经信委统筹": ("eic", "coordinator"),
    "审计员": ("audit", "auditor"),
    "管理员": ("eic", "administrator"),
}


def rehearsal_store(folder: Path, db: str | None = None) -> str:
    """A store (a SQLite file in ``folder`` unless ``db`` names another) with the example
    points, 广州市's and 佛山市's approved."""
    db = db or str(folder / "docflow.db")
    with Programme.open(
        PROGRAMME_DIR,
        db=db,
        documents=folder / "documents",
        clock=FixedClock(NOW),
        create=True,
        operator="演练",
    ) as gd:
        gd.enrol(read_points_file(PROGRAMME_DIR / "points-example.yaml"))
        chosen = [p.point_id for p in gd.snapshot().points if p.unit_id in ("guangzhou", "foshan")]
        gd.decide("screen", chosen, "accept", "符合筛选条件")
        gd.decide("approve", chosen, "accept", "省政府审定同意")
    return db


@dataclass
class DeskSite:
    desk: Desk
    app: object
    folder: Path

    def client(self, name: str | None = None) -> TestClient:
        """A browser, signed in as ``name`` when given."""
        client = TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]
        if name is not None:
            response = post_form(client, "/login", {"name": name, "password": PASSWORD}, "/login")
            assert response.status_code == 303, response.text
        return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1)


def post_form(
    client: TestClient, url: str, data: dict[str, object], page: str, **kwargs: object
) -> object:
    """POST ``data`` to ``url`` with the CSRF token of the form on ``page``."""
    token = csrf_of(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def backend() -> str:
    """The store's database; a test parametrizes it with ``BACKENDS`` to run on both."""
    return "sqlite"


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database(backend, tmp_path) as url:
        yield url


def desk_site(gd: Programme, folder: Path, people: dict[str, tuple[str, str]] = PEOPLE) -> DeskSite:
    """The desk on ``gd``'s programme, store and clock, with an account for each of
    ``people`` (name -> (body, role)) and its work folder in ``folder``."""
    assert gd.store is not None
    work = folder / "work"
    work.mkdir()
    desk = Desk({gd.id: gd.definition}, gd.store, gd.clock, max_upload=1 << 20, work_dir=work)
    accounts = Accounts(gd.store, gd.clock)
    for name, (body, role) in people.items():
        _, token = accounts.add(name, body, role)
        accounts.set_password(token, PASSWORD, PASSWORD)
    return DeskSite(desk, create_app(desk, "s" * 48), folder)


@pytest.fixture
def site(tmp_path: Path, store_url: str) -> Iterator[DeskSite]:
    db = rehearsal_store(tmp_path, store_url)
    gd = Programme.open(
        PROGRAMME_DIR, db=db, documents=tmp_path / "documents", clock=FixedClock(NOW)
    )
    try:
        yield desk_site(gd, tmp_path)
    finally:
        gd.close()


@pytest.fixture
def signed_in(site: DeskSite) -> Callable[[str], TestClient]:
    return site.client


UNIT_PAGE = "/p/gd-2011/units/{unit}"


def upload(
    client: TestClient,
    point: str,
    content: bytes,
    name: str = "工作方案.pdf",
    unit: str = "guangzhou",
) -> object:
    """The unit's upload form for ``point``, sent with ``content``."""
    token = csrf_of(client.get(UNIT_PAGE.format(unit=unit)).text)
    return client.post(
        f"/p/gd-2011/points/{point}/submit",
        data={"csrf_token": token, "task": "work-plan"},
        files={"file": (name, content)},
        follow_redirects=False,
    )
