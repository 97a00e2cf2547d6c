"""Every programme folder in ``workflows/`` validates, rehearses its year, renders and exports.

Each folder is used as an administrator uses it, through the command line: ``validate``,
``simulate`` with the folder's own items (points-example.yaml) and scenario
(scenario-example.yaml) into a kept store, then ``render``, ``export summary`` (xlsx and csv),
``export ical`` and ``audit verify`` on that store. The year is rehearsed once per folder.

The two programmes encoded from public notices beside the 2011 one are also checked against
what their notices say (dates by the working-day calendar of chinesecalendar, a fact from
outside): Panjin's 2021 task breakdown (盘政办发〔2021〕1号: plans to each unit's 分管市领导 by
2021年2月3日, to the city government by 2月7日 - a 调休 Sunday -, monthly progress 每月28日前)
and Caidian's 2023 one (蔡政办〔2023〕1号: plans by 2023年1月15日, quarterly progress on the 30th
of each quarter's last month, the third one in the National Day holiday).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import chinese_calendar
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from engine.cli import cli
from tests.runtime.gd2011 import ROOT, run_cli

WORKFLOWS = ROOT / "workflows"
FOLDERS = sorted(p for p in WORKFLOWS.iterdir() if (p / "programme.yaml").is_file())
DEFAULT_ITEM = "突破点"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Rehearsed:
    """A folder's year as ``docflow simulate --db`` left it."""

    folder: Path
    definition: dict[str, Any]
    items: list[dict[str, Any]]
    scenario: dict[str, Any]
    db: Path
    outbox: Path
    exit_code: int
    result: dict[str, Any]

    @property
    def year(self) -> int:
        return int(self.definition["programme"]["year"])

    @property
    def item_word(self) -> str:
        return str(self.definition["programme"].get("item", DEFAULT_ITEM))

    @property
    def end(self) -> str:
        return f"{self.year}-12-31T20:00"

    def store_args(self) -> list[str]:
        return ["--db", str(self.db), "--now", self.end]

    def members(self, group: str) -> list[str]:
        """The bodies of ``group``, nested groups expanded."""
        groups = {g["id"]: g["members"] for g in self.definition.get("groups", [])}
        found: list[str] = []
        for member in groups[group]:
            found.extend(self.members(member) if member in groups else [member])
        return found

    def expected_points(self) -> int:
        """Items the points file enrols: an entry naming a group gives one per member."""
        groups = {g["id"] for g in self.definition.get("groups", [])}
        return sum(len(self.members(i["unit"])) if i["unit"] in groups else 1 for i in self.items)

    def messages(self, recipient: str, kind: str) -> list[dict[str, Any]]:
        found = self.result["messages"]["list"]
        return [m for m in found if m["recipient"] == recipient and m["kind"] == kind]


@pytest.fixture(scope="module")
def years(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rehearsed]:
    """Each folder's rehearsed year, played once for this module (by whichever test first
    asks for it)."""
    return {}


def _rehearsed(
    folder: Path, years: dict[str, Rehearsed], factory: pytest.TempPathFactory
) -> Rehearsed:
    if folder.name not in years:
        work = factory.mktemp(folder.name)
        db, outbox = work / "year.db", work / "outbox"
        result = run_cli(
            ["simulate", str(folder), "--outbox", str(outbox), "--db", str(db), "-q", "--json"],
            {},
        )
        years[folder.name] = Rehearsed(
            folder=folder,
            definition=_yaml(folder / "programme.yaml"),
            items=_yaml(folder / "points-example.yaml")["points"],
            scenario=_yaml(folder / "scenario-example.yaml") or {},
            db=db,
            outbox=outbox,
            exit_code=result.exit_code,
            result=json.loads(result.stdout) if result.stdout.strip() else {},
        )
    return years[folder.name]


@pytest.fixture(params=FOLDERS, ids=[p.name for p in FOLDERS])
def rehearsed(
    request: pytest.FixtureRequest,
    years: dict[str, Rehearsed],
    tmp_path_factory: pytest.TempPathFactory,
) -> Rehearsed:
    return _rehearsed(request.param, years, tmp_path_factory)


@pytest.fixture
def panjin(years: dict[str, Rehearsed], tmp_path_factory: pytest.TempPathFactory) -> Rehearsed:
    found = _rehearsed(WORKFLOWS / "panjin-2021", years, tmp_path_factory)
    assert found.exit_code == 0, found.result
    return found


@pytest.fixture
def caidian(years: dict[str, Rehearsed], tmp_path_factory: pytest.TempPathFactory) -> Rehearsed:
    found = _rehearsed(WORKFLOWS / "caidian-2023", years, tmp_path_factory)
    assert found.exit_code == 0, found.result
    return found


# --- every folder ------------------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_the_folder_validates_with_its_quotes_found(folder: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.stdout
    assert "错误" not in result.output
    # Each folder says where its notice came from, above the text the quotes are found in.
    notice = (folder / "notice.txt").read_text(encoding="utf-8")
    documents = _yaml(folder / "programme.yaml")["programme"]["documents"]
    assert {d["text_file"] for d in documents} == {"notice.txt"}
    assert len(notice) > 500


def test_every_example_folder_ships_its_files() -> None:
    assert len(FOLDERS) >= 3
    for folder in FOLDERS:
        for name in (
            "programme.yaml",
            "notice.txt",
            "points-example.yaml",
            "scenario-example.yaml",
        ):
            assert (folder / name).is_file(), f"{folder.name}/{name}"
    for name in ("panjin-2021", "caidian-2023"):
        header = (WORKFLOWS / name / "notice.txt").read_text(encoding="utf-8")[:600]
        assert "来源说明" in header
        assert "http" in header
        assert "存档副本" in header


def test_the_year_plays_out_without_a_stall(rehearsed: Rehearsed) -> None:
    result = rehearsed.result
    assert rehearsed.exit_code == 0, result
    assert result["stalls"] == []
    assert result["problems"] == []
    assert result["last_day"] == f"{rehearsed.year}-12-31"
    assert result["points"] == rehearsed.expected_points()
    # final_states counts the items by their state on 12-31 (an item whose unit never
    # reports stays where it stopped).
    labels = {s["label"] for s in rehearsed.definition["points"]["states"]}
    assert set(result["final_states"]) <= labels
    assert sum(result["final_states"].values()) == result["points"]
    assert result["outbox_files"] == result["messages"]["total"] > 0
    assert len(list(rehearsed.outbox.glob("*.eml"))) == result["outbox_files"]


def test_every_unit_late_or_silent_in_the_scenario_is_urged(rehearsed: Rehearsed) -> None:
    scenario = rehearsed.scenario
    entries = [*scenario.get("late", []), *scenario.get("never", []), *scenario.get("reports", [])]
    assert entries, "the scenario has a late or a missing submission"
    for entry in entries:
        assert rehearsed.messages(entry["unit"], "urge"), entry


def test_the_trail_of_the_year_verifies(rehearsed: Rehearsed) -> None:
    result = run_cli(["audit", "verify", "--db", str(rehearsed.db)], {})
    assert result.exit_code == 0, result.stdout + result.stderr


def test_the_report_renders_in_the_programmes_own_words(
    rehearsed: Rehearsed, tmp_path: Path
) -> None:
    out = tmp_path / "html"
    result = run_cli(
        ["render", str(rehearsed.folder), "--out", str(out), *rehearsed.store_args()], {}
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert rehearsed.definition["programme"]["title"] in page
    assert rehearsed.item_word in page
    if rehearsed.item_word != DEFAULT_ITEM:
        assert DEFAULT_ITEM not in page


def test_the_summary_exports_as_xlsx_and_csv(rehearsed: Rehearsed, tmp_path: Path) -> None:
    folder, args = str(rehearsed.folder), rehearsed.store_args()
    xlsx = tmp_path / "汇总表.xlsx"
    result = run_cli(
        ["export", "summary", folder, "--format", "xlsx", "--out", str(xlsx), *args], {}
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    book = openpyxl.load_workbook(xlsx, read_only=True)
    cells = [str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert any(rehearsed.definition["programme"]["title"] in c for c in cells)

    result = run_cli(["export", "summary", folder, "--format", "csv", *args], {})
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    header, body = rows[0], [r for r in rows[1:] if r and r[0].isdigit()]
    assert rehearsed.item_word in header
    assert len(body) == rehearsed.result["points"]
    if rehearsed.item_word != DEFAULT_ITEM:
        assert DEFAULT_ITEM not in result.stdout


def test_the_deadlines_export_as_icalendar(rehearsed: Rehearsed, tmp_path: Path) -> None:
    ics = tmp_path / "deadlines.ics"
    result = run_cli(["export", "ical", str(rehearsed.folder), "--out", str(ics)], {})
    assert result.exit_code == 0, result.stdout + result.stderr
    text = ics.read_text(encoding="utf-8")
    starts = set(re.findall(r"DTSTART;VALUE=DATE:(\d{8})", text))
    listed = run_cli(["calendar", str(rehearsed.folder), "--json"], {})
    assert listed.exit_code == 0, listed.stderr
    for row in json.loads(listed.stdout):
        assert row["due"].replace("-", "") in starts, row


# --- what the two notices say --------------------------------------------------------------


def _dues(folder: Path) -> dict[str, str]:
    listed = run_cli(["calendar", str(folder), "--json"], {})
    assert listed.exit_code == 0, listed.stderr
    return {row["label"]: row["due"] for row in json.loads(listed.stdout)}


def _occurrence_days(rehearsed: Rehearsed, recipient: str, kind: str, rule: str) -> set[str]:
    return {m["occurrence"] for m in rehearsed.messages(recipient, kind) if rule in m["rule"]}


def test_panjin_plans_are_due_as_the_notice_dates_them() -> None:
    dues = _dues(WORKFLOWS / "panjin-2021")
    assert dues["报送具体推进实施方案"] == "2021-02-03"
    # 2月7日前: a Sunday in 2021 that was worked (调休 before the Spring Festival).
    assert dues["将审核后的推进实施方案报送市政府"] == "2021-02-07"
    assert date(2021, 2, 7).weekday() == 6
    assert chinese_calendar.is_workday(date(2021, 2, 7))


def test_panjin_every_task_is_checked_at_the_years_end(panjin: Rehearsed) -> None:
    assert panjin.result["final_states"] == {"已绩效对账": panjin.expected_points()}


def test_panjin_group_led_task_gives_each_county_its_own(panjin: Rehearsed) -> None:
    result = run_cli(["status", str(panjin.folder), *panjin.store_args(), "--json"], {})
    assert result.exit_code == 0, result.stderr
    points = {p["id"]: p for p in json.loads(result.stdout)["points"]}
    counties = panjin.members("counties")
    led = sorted(p["unit"] for p in points.values() if p.get("group") == "counties")
    assert led == sorted(counties)
    assert points["ndrc-1"]["co"] == ["finance", "land"]
    assert points["commerce-1"]["co"] == []


def test_panjin_plan_is_returned_by_the_units_own_vice_mayor(panjin: Rehearsed) -> None:
    lines = [f"{t['day']} {t['text']}" for t in panjin.result["timeline"]]
    leader = panjin.definition["relations"][0]["pairs"]["industry"]
    short = {b["id"]: b["short"] for b in panjin.definition["bodies"]}[leader]
    assert any(line.startswith(f"2021-02-03 {short} 退回 industry-1") for line in lines), lines
    others = {b["short"] for b in panjin.definition["bodies"] if b["kind"] == "leader"} - {short}
    assert not any(f"{o} 退回 industry-1" in line for o in others for line in lines)


def test_panjin_monthly_reports_run_from_february_to_december(panjin: Rehearsed) -> None:
    # A unit that reports on time is reminded of each month's report, due on the 28th.
    days = _occurrence_days(panjin, "ndrc", "reminder", "monthly-progress")
    assert days == {f"2021-{m:02d}-28" for m in range(2, 13)}


def test_panjin_a_unit_missing_june_is_urged_for_june_and_reminded_for_july(
    panjin: Rehearsed,
) -> None:
    assert "2021-06-28" in _occurrence_days(panjin, "commerce", "urge", "monthly-progress")
    assert "2021-07-28" in _occurrence_days(panjin, "commerce", "reminder", "monthly-progress")
    assert "2021-07-28" not in _occurrence_days(panjin, "commerce", "urge", "monthly-progress")


def test_caidian_deadlines_fall_as_the_notice_dates_them() -> None:
    dues = _dues(WORKFLOWS / "caidian-2023")
    # 2023年1月15日前 is a Sunday; the notice does not shift it.
    assert dues["报送工作方案"] == "2023-01-15"
    assert not chinese_calendar.is_workday(date(2023, 1, 15))


def test_caidian_every_task_is_assessed_at_the_years_end(caidian: Rehearsed) -> None:
    assert caidian.result["final_states"] == {"已纳入绩效考核": caidian.expected_points()}


def test_caidian_quarterly_reports_fall_on_the_30th_of_each_quarters_last_month(
    caidian: Rehearsed,
) -> None:
    days = _occurrence_days(caidian, "ndrc", "reminder", "quarterly-progress")
    assert days == {"2023-03-30", "2023-06-30", "2023-09-30", "2023-12-30"}
    # The third falls in the National Day holiday of 2023, the fourth on a Saturday.
    assert chinese_calendar.is_holiday(date(2023, 9, 30))
    assert not chinese_calendar.is_workday(date(2023, 12, 30))


def test_caidian_a_unit_missing_a_quarter_is_urged_and_reminded_for_the_next(
    caidian: Rehearsed,
) -> None:
    assert "2023-06-30" in _occurrence_days(caidian, "commerce", "urge", "quarterly-progress")
    assert "2023-09-30" in _occurrence_days(caidian, "commerce", "reminder", "quarterly-progress")


def _ical_days(folder: Path, tmp_path: Path) -> set[str]:
    ics = tmp_path / f"{folder.name}.ics"
    result = run_cli(["export", "ical", str(folder), "--out", str(ics)], {})
    assert result.exit_code == 0, result.stdout + result.stderr
    found = re.findall(r"DTSTART;VALUE=DATE:(\d{4})(\d{2})(\d{2})", ics.read_text("utf-8"))
    return {"-".join(parts) for parts in found}


def test_the_calendar_file_holds_every_occurrence_of_the_recurring_reports(
    tmp_path: Path,
) -> None:
    panjin = _ical_days(WORKFLOWS / "panjin-2021", tmp_path)
    assert {f"2021-{m:02d}-28" for m in range(2, 13)} <= panjin
    caidian = _ical_days(WORKFLOWS / "caidian-2023", tmp_path)
    assert {"2023-03-30", "2023-06-30", "2023-09-30", "2023-12-30"} <= caidian


def test_a_returned_plan_is_owed_by_its_rectification_deadline_not_urged(
    panjin: Rehearsed, caidian: Rehearsed
) -> None:
    # Panjin: industry-1's plan, returned on 2月3日 (its due day) with 3个工作日内, is
    # resubmitted on 2月5日, inside the rectification deadline (2月7日): no 催报 for it.
    assert [m for m in panjin.messages("industry", "urge") if "submit-plan" in m["rule"]] == []
    # Caidian: stie-1's plan, returned on 1月16日 after the due day 1月15日, is owed by
    # 1月19日; the 1月18日 resubmission is in time. Health's plan, only late, is urged.
    assert [m for m in caidian.messages("stie", "urge") if "submit-plan" in m["rule"]] == []
    assert [m for m in caidian.messages("health", "urge") if "submit-plan" in m["rule"]]
