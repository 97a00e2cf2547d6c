"""A programme's points run under the definition they were enrolled with, until ``migrate``."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import DefinitionChanged
from engine.refusals import NotRegistered, UnknownState
from engine.runtime.trail import verify
from tests.runtime.gd2011 import EIC, PROGRAMME_DIR, PROGRAMME_ID, Year, moment, raw_sql, run_cli

NOW = "2011-04-06T10:00"


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    copy = tmp_path / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, copy)
    return copy


@pytest.fixture
def year(programme: Path, tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path / "store", programme) as opened:
        opened.at("2011-03-15T10:00").enrol_example()
        opened.at(NOW).decide("screen", ["eic-1", "eic-2"])
        yield opened


def edit(programme: Path, old: str, new: str) -> None:
    path = programme / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def relabel(programme: Path) -> None:
    edit(
        programme,
        "{id: proposed, label: 已推荐, initial: true}",
        "{id: proposed, label: 已推荐（待初选）, initial: true}",
    )


def env(year: Year) -> dict[str, str]:
    return {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": NOW}


def test_a_changed_definition_is_refused_and_the_store_is_left_alone(
    year: Year, programme: Path
) -> None:
    old = year.definition.sha256
    relabel(programme)
    year.reopen()
    before = year.snapshot()

    with pytest.raises(DefinitionChanged) as raised:
        year.decide("approve", ["eic-1"])

    assert (raised.value.stored_hash, raised.value.current_hash) == (old, year.definition.sha256)
    assert year.snapshot() == before


@pytest.mark.parametrize(
    "args",
    [
        ["decide", "--task", "approve", "--point", "eic-1", "--accept", "--reason", "同意"],
        ["submit", "--unit", "eic", "--task", "call-for-points", "--file", "{file}"],
        ["enrol", "--unit", "zhuhai", "--title", "航空产业园配套"],
        ["status"],
    ],
    ids=["decide", "submit", "enrol", "status"],
)
def test_every_command_on_a_changed_definition_exits_with_the_definition_changed_message(
    year: Year, programme: Path, args: list[str]
) -> None:
    old = year.definition.sha256
    relabel(programme)
    new = load_definition(programme).sha256
    before = year.snapshot()
    command, *rest = args

    result = run_cli(
        [command, str(programme), *(a.format(file=year.file()) for a in rest)], env(year)
    )

    assert (result.exit_code, result.stdout) == (DefinitionChanged.exit_code, "")
    assert result.stderr.strip() == DefinitionChanged(PROGRAMME_ID, old, new).message
    assert "docflow migrate gd-2011" in result.stderr
    assert year.snapshot() == before


def test_migrate_records_the_old_and_new_hash_in_the_trail(year: Year, programme: Path) -> None:
    old = year.definition.sha256
    relabel(programme)
    new = load_definition(programme).sha256

    result = run_cli(["migrate", str(programme), "--reason", "状态名称按新规范调整"], env(year))

    assert result.exit_code == 0, result.stderr
    event = year.events()[-1]
    assert result.stdout.strip() == f"已迁移（留痕第 {event.seq} 条）。"
    assert (event.trigger, event.actor, event.point_id) == ("migrate-definition", EIC, None)
    assert event.reason == "状态名称按新规范调整"
    assert event.extras == {"from": old, "to": new}
    assert raw_sql(year.db, "SELECT definition_hash FROM programmes") == [(new,)]


def test_after_migrating_commands_work_again(year: Year, programme: Path) -> None:
    relabel(programme)
    run_cli(["migrate", str(programme), "--reason", "状态名称按新规范调整"], env(year))

    result = run_cli(
        [
            "decide",
            str(programme),
            "--task",
            "approve",
            "--point",
            "eic-1",
            "--accept",
            "--reason",
            "同意",
        ],
        env(year),
    )

    assert result.exit_code == 0, result.stderr
    assert year.state("eic-1") == "approved"
    assert verify(year.store).ok


def test_after_migrating_status_shows_the_new_labels(year: Year, programme: Path) -> None:
    relabel(programme)
    year.reopen()
    year.runtime.migrate("状态名称按新规范调整")

    report = year.app.status(now=moment("2011-04-07"))

    labels = {p["id"]: p["state_label"] for p in report["points"]}
    assert labels["ndrc-1"] == "已推荐（待初选）"


def test_migrating_an_unchanged_definition_records_nothing(year: Year, programme: Path) -> None:
    before = year.snapshot()

    result = run_cli(["migrate", str(programme), "--reason", "例行检查"], env(year))

    assert (result.exit_code, result.stdout.strip()) == (0, "定义未改动，无需迁移。")
    assert year.snapshot() == before


def test_a_migration_needs_a_reason(year: Year, programme: Path) -> None:
    relabel(programme)
    before = year.snapshot()

    result = run_cli(["migrate", str(programme), "--reason", " "], env(year))

    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "迁移工作方案定义须说明理由。请用 --reason 说明理由",
    )
    assert year.snapshot() == before


def test_a_migration_that_drops_a_state_in_use_is_refused(year: Year, programme: Path) -> None:
    path = programme / "programme.yaml"
    path.write_text(
        re.sub(r"\bscreened\b", "shortlisted", path.read_text(encoding="utf-8")), encoding="utf-8"
    )
    year.reopen()
    before = year.snapshot()

    with pytest.raises(UnknownState) as refused:
        year.runtime.migrate("改名")
    assert refused.value.states == ("screened",)

    assert year.snapshot() == before


def test_a_programme_never_enrolled_needs_no_migration(tmp_path: Path) -> None:
    year = Year(tmp_path)
    try:
        with pytest.raises(NotRegistered) as refused:
            year.runtime.migrate("试一下")
        assert refused.value.programme == PROGRAMME_ID
    finally:
        year.close()
