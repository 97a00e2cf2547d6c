"""What the runtime commands print: enrol, submit, decide, log and audit on the command line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import StoreError
from engine.runtime.pointsfile import read_points_file
from tests.runtime.gd2011 import EXAMPLE_POINTS, PROGRAMME_DIR, Year, example_ids, run_cli

PROGRAMME = str(PROGRAMME_DIR)


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path / "store") as opened:
        yield opened


def env(year: Year, now: str = "2011-04-06T10:00") -> dict[str, str]:
    return {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": now}


def test_enrol_from_the_example_file_names_the_first_points(year: Year) -> None:
    result = run_cli(["enrol", PROGRAMME, "--from", str(EXAMPLE_POINTS)], env(year))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("已登记 52 个突破点：ndrc-1、eic-1、eic-2、")
    assert result.stdout.strip().endswith("……")


def test_enrol_from_a_csv_file_gives_the_same_points_as_the_yaml_file(
    year: Year, tmp_path: Path
) -> None:
    table = tmp_path / "points.csv"
    with table.open("w", encoding="utf-8-sig", newline="") as out:  # as Excel saves it
        writer = csv.writer(out)
        writer.writerow(["unit", "title"])
        writer.writerows([p.unit, p.title] for p in read_points_file(EXAMPLE_POINTS))
    other = Year(tmp_path / "other")
    other.close()

    from_csv = run_cli(["enrol", PROGRAMME, "--from", str(table), "--json"], env(year))
    from_yaml = run_cli(["enrol", PROGRAMME, "--from", str(EXAMPLE_POINTS), "--json"], env(other))

    assert from_csv.exit_code == from_yaml.exit_code == 0
    assert json.loads(from_csv.stdout) == json.loads(from_yaml.stdout)
    assert [p["id"] for p in json.loads(from_csv.stdout)] == example_ids()


def test_enrol_of_a_single_point_takes_the_next_number_of_its_unit(year: Year) -> None:
    run_cli(["enrol", PROGRAMME, "--unit", "zhuhai", "--title", "航空产业园建设"], env(year))

    result = run_cli(
        ["enrol", PROGRAMME, "--unit", "zhuhai", "--title", "游艇产业", "--json"], env(year)
    )

    assert json.loads(result.stdout) == [
        {
            "id": "zhuhai-2",
            "unit": "zhuhai",
            "co": [],
            "group": None,
            "title": "游艇产业",
            "state": "proposed",
        }
    ]


def test_a_decision_prints_the_move_of_each_point(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()

    result = run_cli(
        [
            "decide",
            PROGRAMME,
            *"--task screen --accept --reason 同意 --point eic-1 --point eic-2".split(),
        ],
        env(year),
    )

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "#54 已决定「初步筛选（入选）」：突破点 eic-1（省经济和信息化委），已推荐 → 已初选",
        "#55 已决定「初步筛选（入选）」：突破点 eic-2（省经济和信息化委），已推荐 → 已初选",
    ]


def test_a_submission_as_json_gives_the_events_with_their_document(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", ["eic-1", "eic-2"])
    year.decide("approve", ["eic-1", "eic-2"])
    plan = year.file("经信委工作方案")

    result = run_cli(
        ["submit", PROGRAMME, *"--unit eic --task work-plan --json --file".split(), str(plan)],
        env(year, "2011-05-05T10:00"),
    )

    events = json.loads(result.stdout)
    assert [(e["point"], e["trigger"], e["from"], e["to"]) for e in events] == [
        ("eic-1", "submit-plan", "approved", "plan-filed"),
        ("eic-2", "submit-plan", "approved", "plan-filed"),
    ]
    assert events[0]["document_sha256"] == events[1]["document_sha256"]
    assert events[0]["recorded_at"] == "2011-05-05T10:00:00+08:00"


def test_the_log_of_one_point_shows_only_its_events(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", ["eic-1"], reason="基础好")

    result = run_cli(["log", PROGRAMME, "--point", "eic-1", "--json"], env(year))

    assert [(e["trigger"], e["reason"]) for e in json.loads(result.stdout)] == [
        ("enrol", None),
        ("screen-in", "基础好"),
    ]


def test_the_log_of_an_unknown_point_is_refused(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()

    result = run_cli(["log", PROGRAMME, "--point", "eic-9"], env(year))

    assert (result.exit_code, result.stderr.strip()) == (1, "未登记的突破点 eic-9")


def test_the_audit_of_a_store_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = run_cli(["audit", "verify"], {"DOCFLOW_DB": str(tmp_path / "none.db")})

    assert result.exit_code == StoreError.exit_code
    assert "不存在" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_the_time_of_a_command_is_docflow_now(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()

    run_cli(
        ["decide", PROGRAMME, *"--task withdraw --point eic-1 --accept --reason 撤销".split()],
        env(year, "2011-06-01T08:30"),
    )

    assert year.events("eic-1")[-1].recorded_at == "2011-06-01T08:30:00+08:00"


def test_a_unit_may_be_named_by_its_chinese_short_name(year: Year) -> None:
    result = run_cli(
        ["enrol", PROGRAMME, "--unit", "珠海市", "--title", "航空产业园建设", "--json"], env(year)
    )

    assert result.exit_code == 0, result.stderr
    assert [(p["id"], p["unit"]) for p in json.loads(result.stdout)] == [("zhuhai-1", "zhuhai")]


def test_a_unit_named_by_part_of_its_name_is_refused_with_a_suggestion(year: Year) -> None:
    result = run_cli(["enrol", PROGRAMME, "--unit", "珠海", "--title", "游艇产业"], env(year))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.strip() == "未定义的单位 珠海。是否要找：珠海市（zhuhai）"


def test_every_event_records_who_keyed_it_in(year: Year) -> None:
    """经办人: --operator, else DOCFLOW_OPERATOR, else the system account; shown by log."""
    year.at("2011-03-15T10:00")
    given = run_cli(
        ["enrol", PROGRAMME, "--unit", "guangzhou", "--title", "甲", "--operator", "张三"],
        env(year),
    )
    from_env = run_cli(
        ["enrol", PROGRAMME, "--unit", "shenzhen", "--title", "乙"],
        {**env(year), "DOCFLOW_OPERATOR": "李四"},
    )
    system = run_cli(["enrol", PROGRAMME, "--unit", "zhuhai", "--title", "丙"], env(year))
    assert (given.exit_code, from_env.exit_code, system.exit_code) == (0, 0, 0)

    registered, *enrolled = year.events()
    assert (registered.trigger, registered.extras.get("operator")) == ("register-programme", "张三")
    operators = [e.extras.get("operator") for e in enrolled]
    assert operators[:2] == ["张三", "李四"]
    assert str(operators[2]).startswith("系统账户 ")
    shown = run_cli(["log", PROGRAMME], env(year))
    assert "经办人 张三" in shown.stdout
    assert "经办人 李四" in shown.stdout
