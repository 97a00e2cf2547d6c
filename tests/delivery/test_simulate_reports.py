"""``simulate`` with recurring reports: parties file on time by default; the scenario's
``reports:`` entries make one miss or file late, and are checked when the scenario loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import ScenarioError
from engine.runtime.pointsfile import read_points_file
from engine.runtime.store import open_store
from engine.runtime.trail import verify
from engine.simulation import load_scenario, point_units, render_report, run_simulation

CITY = Path(__file__).parents[1] / "programmes" / "city-tasks"


def test_the_year_files_every_occurrence_but_the_scenario_s(tmp_path: Path) -> None:
    lines: list[str] = []
    report = run_simulation(
        CITY,
        scenario_file=CITY / "scenario-example.yaml",
        outbox=tmp_path / "outbox",
        db=str(tmp_path / "year.db"),
        echo=lines.append,
    )
    assert report.stalls == []
    with open_store(tmp_path / "year.db", create=False) as store:
        with store.transaction(readonly=True) as tx:
            filed = {(f.rule, f.period, f.unit_id, f.point_id) for f in tx.filings("city-tasks")}
            notified = {
                (s.rule, s.occurrence) for s in tx.sent("city-tasks") if s.unit_id == "housing"
            }
        assert verify(store).ok
    # housing-1 never files March; housing-2 and transport-1 do.
    assert ("monthly-progress", "2021-03", "housing", "housing-1") not in filed
    assert ("monthly-progress", "2021-03", "housing", "housing-2") in filed
    assert ("monthly-progress", "2021-03", "transport", "transport-1") in filed
    # April's report is filed by everyone, and housing was urged for March only.
    assert ("monthly-progress", "2021-04", "housing", "housing-1") in filed
    assert ("monthly-progress/overdue-1", "2021-03-28") in notified
    assert ("monthly-progress/overdue-1", "2021-04-28") not in notified
    # transport files May's late, after its first 催报.
    assert ("monthly-progress", "2021-05", "transport", "transport-1") in filed
    assert "2021-06-03 市交通局 报送任务推进情况（2021年5月）（逾期）" in lines
    assert any(line.startswith("2021-06-01 催报通知 1 封（报送任务推进情况") for line in lines)
    # December's summary is filed in January of the next year.
    assert ("monthly-summary", "2021-12", "gov-office", "") in filed
    assert any(line.startswith("2022-01-") and "2021年12月" in line for line in lines)
    # The closing summary counts the periods: March missed, May filed late.
    (monthly,) = [r for r in report.reports if r.rule == "monthly-progress"]
    assert monthly.missing == ("市住建局（2021年3月）",)
    assert monthly.late == ("市交通局（2021年5月，6月3日报送）",)
    assert monthly.filed == monthly.owing - 1
    text = render_report(report)
    assert (
        "报送任务推进情况：市住建局（2021年3月，未报送）、市交通局（2021年5月，6月3日报送）" in text
    )
    assert f"报送任务推进情况（{monthly.periods} 期）" in text


def test_an_entry_may_name_its_period_by_the_first_day(tmp_path: Path) -> None:
    text = (CITY / "scenario-example.yaml").read_text(encoding="utf-8")
    text = text.replace("period: 2021-03,", "period: 2021-03-01,")
    text = text.replace("period: 2021-05,", "period: 2021-05-01,")
    assert text.count("-01,") == 2
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text, encoding="utf-8")
    lines: list[str] = []
    run_simulation(
        CITY,
        scenario_file=scenario,
        outbox=tmp_path / "outbox",
        db=str(tmp_path / "year.db"),
        echo=lines.append,
    )
    with open_store(tmp_path / "year.db", create=False) as store:
        with store.transaction(readonly=True) as tx:
            filed = {(f.rule, f.period, f.unit_id, f.point_id) for f in tx.filings("city-tasks")}
    assert ("monthly-progress", "2021-03", "housing", "housing-1") not in filed
    assert "2021-06-03 市交通局 报送任务推进情况（2021年5月）（逾期）" in lines


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{report: weekly, period: 2021-03, unit: housing}", "未定义的周期性报送 weekly"),
        ("{report: monthly-progress, period: 2021-01, unit: housing}", "没有报送期 2021-01"),
        ("{report: monthly-progress, period: 2021-03, unit: education}", "单位 education 不报送"),
        (
            "{report: monthly-progress, period: 2021-03, unit: housing, point: transport-1}",
            "不是单位 housing 的",
        ),
        (
            "{report: monthly-summary, period: 2021-03, unit: gov-office, on: 2021-02-01}",
            "早于报送期 2021年3月 的开始",
        ),
    ],
)
def test_a_bad_entry_is_refused_at_its_line(tmp_path: Path, entry: str, words: str) -> None:
    definition = load_definition(CITY)
    units = point_units(definition, read_points_file(CITY / "points-example.yaml"))
    path = tmp_path / "scenario.yaml"
    path.write_text(f"title: 测试\nreports:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, definition, units)
    (found,) = caught.value.diagnostics
    assert found.line == 3
    assert words in found.message
