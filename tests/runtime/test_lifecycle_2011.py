"""The whole 2011 year on the command line: 52 example points from enrolment to the meeting.

It runs twice: on a SQLite file and on a PostgreSQL database (when the test server is set up,
see ``tests/runtime/gd2011.py``).

The year is run once for the module, command by command as the bodies would run it, with
``DOCFLOW_NOW`` set to the day of each command; the tests then read what it left behind.
Along the way: jiangmen-2 is screened out, zhuhai-1's work plan is returned and filed again,
shanwei's work plan gets an extension, yunfu-1 is withdrawn, shunde reports progress late
(after eic aggregated the reports without it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.gd2011 import (
    BACKENDS,
    EXAMPLE_POINTS,
    PROGRAMME_DIR,
    CliResult,
    database,
    example_ids,
    run_cli,
)

UNITS_BY_LEAD = {
    "eic": [
        "guangzhou",
        "foshan",
        "shunde",
        "zhaoqing",
        "yunfu",
        "sasac",
        "quality",
        "ipo",
        "dost",
    ],
    "dost": ["shenzhen", "dongguan", "huizhou", "education", "hrss", "eic"],
    "ndrc": ["zhuhai", "zhongshan", "jiangmen", "finance", "construction", "foreign-trade"],
    "foreign-trade": ["shantou", "chaozhou", "jieyang", "shanwei", "culture", "tourism", "ndrc"],
    "land": ["zhanjiang", "maoming", "yangjiang", "environment", "transport", "agriculture"],
    "agriculture": ["shaoguan", "heyuan", "meizhou", "qingyuan", "ocean-fishery", "fda", "land"],
}


@dataclass
class Year:
    """The command line on one store, and what the run kept for the tests."""

    folder: Path
    db: str  # a SQLite file or a database URL
    results: list[tuple[list[str], CliResult]] = field(default_factory=list)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)
    now: str = "2011-03-01T09:00"
    _files: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            "DOCFLOW_DB": self.db,
            "DOCFLOW_DOCUMENTS": str(self.folder / "documents"),
            "DOCFLOW_NOW": self.now,
        }

    def run(self, command: str, *args: str, programme: bool = True) -> CliResult:
        full = [command, str(PROGRAMME_DIR), *args] if programme else [command, *args]
        result = run_cli(full, self.env)
        self.results.append((full, result))
        return result

    def ok(self, command: str, *args: str) -> CliResult:
        result = self.run(command, *args)
        assert result.exit_code == 0, (command, args, result.stderr)
        return result

    def file(self, what: str) -> str:
        self._files += 1
        path = self.folder / "inbox" / f"{self._files:03d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{what}（第 {self._files} 份）", encoding="utf-8")
        return str(path)

    def submit(self, unit: str, task: str, *points: str, create: bool = False) -> CliResult:
        options = [a for p in points for a in ("--point", p)] + (["--create"] if create else [])
        return self.ok(
            "submit", "--unit", unit, "--task", task, "--file", self.file(f"{unit} {task}"),
            *options,
        )  # fmt: skip

    def decide(self, task: str, points: Sequence[str], *options: str) -> CliResult:
        flags = [a for p in points for a in ("--point", p)]
        return self.ok("decide", "--task", task, *flags, *options)

    def status(self, now: str) -> dict[str, Any]:
        result = self.ok("status", "--json", "--now", now)
        self.statuses[now] = json.loads(result.stdout)
        return self.statuses[now]

    def points(self, *states: str) -> list[str]:
        report = json.loads(self.ok("status", "--json").stdout)
        return [p["id"] for p in report["points"] if p["state"] in states]

    def units(self, *states: str) -> list[str]:
        report = json.loads(self.ok("status", "--json").stdout)
        return list(dict.fromkeys(p["unit"] for p in report["points"] if p["state"] in states))


@pytest.fixture(scope="module", params=BACKENDS)
def year(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Year]:
    """The year, run once on a SQLite file and once on a PostgreSQL database."""
    folder = tmp_path_factory.mktemp(f"year-2011-{request.param}")
    with database(request.param, folder) as db:
        yield run_the_year(Year(folder, db))


def run_the_year(y: Year) -> Year:
    ids = example_ids()

    y.now = "2011-03-02T09:00"
    y.submit("eic", "call-for-points", create=True)  # the year's first record
    y.now = "2011-03-15T10:00"
    y.kept["enrolled"] = json.loads(y.ok("enrol", "--from", str(EXAMPLE_POINTS), "--json").stdout)

    y.now = "2011-04-06T10:00"
    y.decide("screen", [i for i in ids if i != "jiangmen-2"], "--accept", "--reason", "符合条件")
    y.decide("screen", ["jiangmen-2"], "--reject", "--reason", "与 jiangmen-1 内容重复")
    y.now = "2011-04-20T10:00"
    y.decide("approve", y.points("screened"), "--accept", "--reason", "省政府同意")
    y.status("2011-05-06T12:00")

    # Work plans; shanwei asks for more time first; zhuhai-1's plan comes back once.
    y.now = "2011-05-05T10:00"
    y.submit("shanwei", "extension")
    y.decide(
        "extension", ["shanwei-1"], "--accept", "--until", "2011-05-20", "--reason", "调研未完"
    )
    for unit in y.units("approved"):
        if unit != "shanwei":
            y.submit(unit, "work-plan")
    y.now = "2011-05-06T10:00"
    y.decide("work-plan", ["zhuhai-1"], "--return", "--reason", "缺少时间节点和负责人")
    y.status("2011-05-12T12:00")
    y.now = "2011-05-09T10:00"
    y.submit("zhuhai", "work-plan")
    y.now = "2011-05-18T10:00"
    y.submit("shanwei", "work-plan")

    y.now = "2011-06-01T10:00"
    y.decide("withdraw", ["yunfu-1"], "--accept", "--reason", "项目主体迁出")
    y.now = "2011-06-20T10:00"
    for unit in y.units("plan-filed"):
        y.submit(unit, "measures")

    # Progress: every unit but shunde in time; eic waits for the deadline, then aggregates.
    y.now = "2011-09-15T10:00"
    for unit in y.units("measures-filed"):
        if unit != "shunde":
            y.submit(unit, "progress")
    y.kept["early aggregate"] = y.run(
        "submit", "--unit", "eic", "--task", "aggregate-progress", "--file", y.file("汇总")
    )
    y.status("2011-09-21T12:00")
    y.now = "2011-09-21T10:00"
    y.kept["aggregate"] = json.loads(
        y.ok(
            "submit", "--unit", "eic", "--task", "aggregate-progress", "--file", y.file("汇总"),
            "--json",
        ).stdout
    )  # fmt: skip
    y.now = "2011-09-22T10:00"
    y.submit("shunde", "progress")

    y.now = "2011-10-10T10:00"
    y.submit("general-office", "inspection-notice")
    y.kept["inspections"] = {}
    for lead in UNITS_BY_LEAD:
        events = json.loads(
            y.ok(
                "submit", "--unit", lead, "--task", "inspection", "--file", y.file("检查报告"),
                "--json",
            ).stdout
        )  # fmt: skip
        y.kept["inspections"][lead] = events
    y.now = "2011-10-28T10:00"
    y.submit("eic", "aggregate-inspection")

    y.now = "2011-11-15T10:00"
    for unit in y.units("inspected"):
        y.submit(unit, "summary")
    y.now = "2011-11-25T10:00"
    y.decide("summary", y.points("summarised"), "--accept", "--reason", "总结审核通过")
    y.submit("eic", "province-report")
    y.now = "2011-12-20T10:00"
    y.submit("general-office", "meeting")

    y.now = "2011-12-21T10:00"
    y.status("2011-12-21T12:00")
    y.kept["log"] = json.loads(y.ok("log", "--json").stdout)
    y.kept["log text"] = y.ok("log").stdout
    y.kept["audit"] = y.run("audit", "verify", programme=False)
    return y


def final(year: Year) -> dict[str, Any]:
    return year.statuses["2011-12-21T12:00"]


def shown(report: dict[str, Any], point: str) -> dict[str, Any]:
    (found,) = [p for p in report["points"] if p["id"] == point]
    return found


def test_every_command_of_the_year_succeeded_except_the_early_aggregation(year: Year) -> None:
    failed = [args for args, r in year.results if r.exit_code != 0]

    assert len(failed) == 1
    assert failed[0][:6] == [
        "submit",
        str(PROGRAMME_DIR),
        "--unit",
        "eic",
        "--task",
        "aggregate-progress",
    ]


def test_the_52_example_points_were_enrolled(year: Year) -> None:
    assert [p["id"] for p in year.kept["enrolled"]] == example_ids()
    assert {p["state"] for p in year.kept["enrolled"]} == {"proposed"}


def test_every_selected_point_ends_the_year_concluded(year: Year) -> None:
    states = {p["id"]: p["state"] for p in final(year)["points"]}

    assert states.pop("jiangmen-2") == "not-selected"
    assert states.pop("yunfu-1") == "withdrawn"
    assert set(states.values()) == {"concluded"}
    assert len(states) == 50


def test_at_the_end_of_the_year_every_light_is_green_and_every_task_done(year: Year) -> None:
    report = final(year)

    assert report["colours"] == {"green": 52}
    assert all(t["done"] for t in report["tasks"])
    assert [t["task"] for t in report["tasks"]] == [
        "call-for-points",
        "aggregate-progress",
        "inspection-notice",
        "aggregate-inspection",
        "province-report",
        "meeting",
    ]


def test_at_the_end_of_the_year_every_step_was_reported_by_every_party(year: Year) -> None:
    for step in final(year)["steps"]:
        assert (step["rate"], step["missing"]) == (1.0, []), step["step"]
    # The inspection report is owed by the six group leads, not by the inspected units.
    assert [s["total"] for s in final(year)["steps"]] == [41, 40, 40, 40, 6, 40]


def test_before_the_work_plan_deadline_the_approved_points_are_yellow(year: Year) -> None:
    report = year.statuses["2011-05-06T12:00"]
    zhuhai = shown(report, "zhuhai-1")

    assert (zhuhai["state"], zhuhai["next_step"], zhuhai["due"]) == (
        "approved",
        "work-plan",
        "2011-05-10",
    )
    assert report["colours"] == {"yellow": 51, "green": 1}


def test_after_the_deadline_only_the_returned_point_is_red_and_the_extended_one_blue(
    year: Year,
) -> None:
    report = year.statuses["2011-05-12T12:00"]

    assert shown(report, "zhuhai-1")["colour"] == "red"
    extended = shown(report, "shanwei-1")
    assert (extended["state"], extended["due"], extended["colour"]) == (
        "approved",
        "2011-05-20",
        "blue",
    )
    assert shown(report, "guangzhou-1")["state"] == "plan-filed"


def test_the_progress_rate_names_the_late_unit(year: Year) -> None:
    (progress,) = [
        s for s in year.statuses["2011-09-21T12:00"]["steps"] if s["step"] == "report-progress"
    ]

    assert (progress["reported"], progress["total"]) == (39, 40)
    assert (progress["missing"], progress["missing_names"]) == (["shunde"], ["顺德区"])
    assert shown(year.statuses["2011-09-21T12:00"], "shunde-1")["colour"] == "red"


def test_the_aggregation_was_refused_while_a_unit_could_still_report(year: Year) -> None:
    refused = year.kept["early aggregate"]

    assert refused.exit_code == 1
    assert (
        "尚有 1 个单位未报送（顺德区），期限 2011-09-20 过后方可在缺报的情况下报送"
        in refused.stderr
    )


def test_the_aggregation_after_the_deadline_records_the_missing_unit(year: Year) -> None:
    (event,) = year.kept["aggregate"]

    assert (event["trigger"], event["actor"], event["point"]) == ("aggregate-progress", "eic", None)
    carried = ("operator", "file")  # who keyed it in, and the document's name
    assert {k: v for k, v in event["data"].items() if k not in carried} == {"missing": ["shunde"]}


def test_each_inspection_lead_covered_exactly_the_points_of_its_units(year: Year) -> None:
    for lead, units in UNITS_BY_LEAD.items():
        events = year.kept["inspections"][lead]
        assert {e["unit"] for e in events} <= set(units), lead
        assert {e["actor"] for e in events} == {lead}
    covered = [e["point"] for events in year.kept["inspections"].values() for e in events]
    assert sorted(covered) == sorted(p for p in example_ids() if p not in ("jiangmen-2", "yunfu-1"))


def test_the_trail_tells_the_story_of_a_returned_work_plan(year: Year) -> None:
    zhuhai = [e for e in year.kept["log"] if e["point"] == "zhuhai-1"]

    assert [(e["trigger"], e["to"]) for e in zhuhai][:6] == [
        ("enrol", "proposed"),
        ("screen-in", "screened"),
        ("approve", "approved"),
        ("submit-plan", "plan-filed"),
        ("return-plan", "approved"),
        ("submit-plan", "plan-filed"),
    ]
    assert zhuhai[4]["reason"] == "缺少时间节点和负责人"
    assert zhuhai[4]["actor"] == "eic"


def test_the_trail_keeps_the_extension_with_its_new_due_date(year: Year) -> None:
    granted = [e for e in year.kept["log"] if e["trigger"] == "grant-extension"]

    assert [(e["point"], e["data"]["until"]) for e in granted] == [("shanwei-1", "2011-05-20")]


def test_the_trail_is_one_gapless_chain(year: Year) -> None:
    log = year.kept["log"]

    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(log))


def test_the_log_as_text_names_bodies_steps_and_reasons(year: Year) -> None:
    text = year.kept["log text"]

    assert (
        "省经济和信息化委 退回工作方案 zhuhai-1（工作方案已备案 → 已审定）；理由：缺少时间节点和负责人"
        in text
    )


def test_the_audit_of_the_year_passes(year: Year) -> None:
    audit = year.kept["audit"]

    assert audit.exit_code == 0, audit.stderr
    assert audit.stdout.startswith(f"留痕校验通过：{len(year.kept['log'])} 条留痕")
