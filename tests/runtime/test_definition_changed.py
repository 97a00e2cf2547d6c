"""A programme's points run under the definition they were enrolled with, until ``migrate``.

The pin covers what makes the mail - the parsed definition, its notice templates and its
source texts - and nothing else: a comment in programme.yaml needs no migration.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.definition.pin import Change
from engine.errors import DefinitionChanged
from engine.hints import explain
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


def pin_of(programme: Path) -> str:
    """The hash a store pins the programme in ``programme`` to, as its files are now."""
    return load_definition(programme).manifest().sha256


RELABELLED = (Change("definition"),)


def test_a_changed_definition_is_refused_and_the_store_is_left_alone(
    year: Year, programme: Path
) -> None:
    old = pin_of(programme)
    relabel(programme)
    year.reopen()
    before = year.snapshot()

    with pytest.raises(DefinitionChanged) as raised:
        year.decide("approve", ["eic-1"])

    assert (raised.value.stored_hash, raised.value.current_hash) == (old, pin_of(programme))
    assert raised.value.changes == RELABELLED
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
    old = pin_of(programme)
    relabel(programme)
    new = pin_of(programme)
    before = year.snapshot()
    command, *rest = args

    result = run_cli(
        [command, str(programme), *(a.format(file=year.file()) for a in rest)], env(year)
    )

    assert (result.exit_code, result.stdout) == (DefinitionChanged.exit_code, "")
    refusal = DefinitionChanged(PROGRAMME_ID, old, new, RELABELLED)
    assert result.stderr.strip() == explain(refusal)
    assert "docflow" not in refusal.message  # the command to run is the CLI's hint
    assert "改动的是：定义内容" in result.stderr
    assert "docflow migrate gd-2011" in result.stderr
    assert year.snapshot() == before


def test_migrate_records_the_old_and_new_hash_in_the_trail(year: Year, programme: Path) -> None:
    old = pin_of(programme)
    relabel(programme)
    new = pin_of(programme)

    result = run_cli(["migrate", str(programme), "--reason", "状态名称按新规范调整"], env(year))

    assert result.exit_code == 0, result.stderr
    event = year.events()[-1]
    assert result.stdout.strip() == f"已迁移（留痕第 {event.seq} 条）。"
    assert (event.trigger, event.actor, event.point_id) == ("migrate-definition", EIC, None)
    assert event.reason == "状态名称按新规范调整"
    assert without_operator(event.extras) == {"from": old, "to": new}
    assert raw_sql(year.db, "SELECT definition_hash FROM programmes") == [(new,)]


def test_after_migrating_the_audit_checks_the_pin_against_the_migration_event(
    year: Year, programme: Path
) -> None:
    old = pin_of(programme)
    relabel(programme)
    year.reopen()
    event = year.runtime.migrate("状态名称按新规范调整")
    assert event is not None
    assert verify(year.store).ok

    raw_sql(year.db, "UPDATE programmes SET definition_hash = ?", old)  # the old pin put back

    report = verify(year.store)
    assert not report.ok
    assert report.failures == (
        f"工作方案 gd-2011 的定义哈希（definition_hash）：表中为 {old}，"
        f"留痕第 {event.seq} 条为 {pin_of(programme)}（表被改动）",
    )


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


# -- what the pin covers ----------------------------------------------------------------------


def comment(programme: Path) -> None:
    path = programme / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text("# 本文件按 2011 年通知整理\n" + text + "\n\n# 末尾补一行注释\n", "utf-8")


def override_template(programme: Path, name: str, old: str, new: str) -> None:
    """Give the programme its own copy of a default template, with ``old`` replaced."""
    from engine.delivery.notices import DEFAULT_DIRECTORY

    text = (DEFAULT_DIRECTORY / name).read_text(encoding="utf-8")
    assert old in text
    (programme / "notices").mkdir(exist_ok=True)
    (programme / "notices" / name).write_text(text.replace(old, new), encoding="utf-8")


def change_notice_text(programme: Path) -> None:
    path = programme / "notice.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n（校对稿）\n", encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["remind", "--outbox", "{outbox}"],
        ["enrol", "--unit", "zhuhai", "--title", "航空产业园配套"],
    ],
    ids=["status", "remind", "enrol"],
)
def test_a_comment_in_programme_yaml_needs_no_migration(
    year: Year, programme: Path, tmp_path: Path, args: list[str]
) -> None:
    comment(programme)
    command, *rest = args

    result = run_cli(
        [command, str(programme), *(a.format(outbox=tmp_path / "outbox") for a in rest)], env(year)
    )

    assert result.exit_code == 0, result.stderr
    assert "定义已改动" not in result.stderr


def test_a_comment_leaves_the_pin_as_it_was(year: Year, programme: Path) -> None:
    before = pin_of(programme)
    comment(programme)

    assert pin_of(programme) == before
    assert load_definition(programme).sha256 != year.definition.sha256  # the bytes did change


def test_a_changed_notice_template_is_refused_naming_the_template(
    year: Year, programme: Path
) -> None:
    override_template(programme, "urge.txt.j2", "请你单位高度重视", "请你单位务必高度重视")
    year.reopen()

    with pytest.raises(DefinitionChanged) as raised:
        year.decide("approve", ["eic-1"])

    assert raised.value.changes == (Change("template", "urge.txt.j2"),)
    assert "改动的是：通知模板 urge.txt.j2；" in raised.value.message


def test_a_changed_notice_template_stops_remind_until_migrated(
    year: Year, programme: Path, tmp_path: Path
) -> None:
    override_template(programme, "urge.txt.j2", "请你单位高度重视", "请你单位务必高度重视")

    result = run_cli(["remind", str(programme), "--outbox", str(tmp_path / "out")], env(year))

    assert result.exit_code == DefinitionChanged.exit_code
    assert "通知模板 urge.txt.j2" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.eml"))


def test_migrate_names_the_changed_template_and_records_both_pins(
    year: Year, programme: Path
) -> None:
    old = pin_of(programme)
    override_template(programme, "_contacts.txt.j2", "联系人及联系方式", "联系方式")
    year.reopen()

    migration = year.runtime.migrate("联系人一行按新格式")

    assert migration is not None
    assert migration.changes == (Change("template", "_contacts.txt.j2"),)
    assert [str(c) for c in migration.changes] == ["通知模板 _contacts.txt.j2"]
    assert without_operator(migration.extras) == {"from": old, "to": pin_of(programme)}
    assert (migration.seq, migration.hash) == (year.events()[-1].seq, year.events()[-1].hash)
    year.decide("approve", ["eic-1"])  # runs again under the new pin


def test_a_changed_source_text_is_refused_and_migrate_names_it(year: Year, programme: Path) -> None:
    change_notice_text(programme)
    year.reopen()

    with pytest.raises(DefinitionChanged) as raised:
        year.decide("approve", ["eic-1"])
    migration = year.runtime.migrate("原文按正式文本校对")

    assert raised.value.changes == (Change("source", "notice.txt"),)
    assert "改动的是：出处文件 notice.txt；" in raised.value.message
    assert migration is not None
    assert migration.changes == (Change("source", "notice.txt"),)


def test_a_template_the_programme_does_not_use_is_not_pinned(year: Year, programme: Path) -> None:
    (programme / "notices").mkdir()
    (programme / "notices" / "circular.txt.j2").write_text("本方案未用到的模板\n", "utf-8")
    year.reopen()

    year.decide("approve", ["eic-1"])

    assert year.state("eic-1") == "approved"


def test_the_pinned_manifest_is_kept_as_a_document_the_audit_checks(
    year: Year, programme: Path
) -> None:
    from engine.definition.pin import Manifest

    pin = pin_of(programme)
    with year.store.transaction(readonly=True) as tx:
        row = tx.get_document(pin)
    kept = Manifest.from_json(year.store.documents.read_bytes(pin))

    assert row is not None
    assert row.original_name == "definition-manifest.json"
    assert kept == load_definition(programme).manifest()
    assert raw_sql(year.db, "SELECT definition_hash FROM programmes") == [(pin,)]
    assert verify(year.store).ok


# -- stores pinned to the file's bytes, before the manifest -----------------------------------


def pin_to_the_file_bytes(year: Year, programme: Path) -> str:
    raw = load_definition(programme).sha256
    raw_sql(year.db, "UPDATE programmes SET definition_hash = ?", raw)
    return raw


def test_an_older_pin_of_the_same_file_is_accepted_for_reading(year: Year, programme: Path) -> None:
    pin_to_the_file_bytes(year, programme)
    before = year.snapshot()

    result = run_cli(["status", str(programme)], env(year))

    assert result.exit_code == 0, result.stderr
    assert year.snapshot() == before


def test_an_older_pin_of_the_same_file_is_upgraded_on_the_next_write(
    year: Year, programme: Path
) -> None:
    pin_to_the_file_bytes(year, programme)

    year.decide("approve", ["eic-1"])

    assert raw_sql(year.db, "SELECT definition_hash FROM programmes") == [(pin_of(programme),)]
    assert verify(year.store).ok


def test_an_older_pin_of_a_changed_file_is_refused_naming_the_file(
    year: Year, programme: Path
) -> None:
    raw = pin_to_the_file_bytes(year, programme)
    comment(programme)
    year.reopen()

    with pytest.raises(DefinitionChanged) as raised:
        year.decide("approve", ["eic-1"])
    migration = year.runtime.migrate("改用新的登记方式")

    assert raised.value.changes == (Change("file", "programme.yaml"),)
    assert "改动的是：定义文件 programme.yaml；" in raised.value.message
    assert migration is not None
    assert without_operator(migration.extras) == {"from": raw, "to": pin_of(programme)}


def without_operator(data: dict[str, object]) -> dict[str, object]:
    """An event's data less the 经办人 every command records (tested in test_cli_runtime)."""
    return {k: v for k, v in data.items() if k != "operator"}
