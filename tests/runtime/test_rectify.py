"""A return with a 整改期限: ``--until`` or the return's ``rectify_within``, stored as the
step's due day like an extension, shown as 整改期限, ended by the resubmission, taken out
by a 撤回 of the return (and put back by a 撤回 of the resubmission), answered for by the
audit."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.errors import Refused
from engine.runtime.correcting import Corrections
from engine.runtime.corrections import WITHDRAW
from tests.runtime.gd2011 import EIC, PROGRAMME_DIR, Year, moment, run_cli, run_sql

POINT = "guangzhou-1"
RETURN_PLAN = """      label: 退回工作方案
      source: plan-filed
      dest: approved
      actor: eic
      takes: decision
      outcome: return
"""


def rectifying_programme(folder: Path, within: str = "5个工作日内") -> Path:
    """The 2011 programme whose return of a work plan gives ``within`` to rectify it."""
    target = folder / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, target)
    path = target / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(RETURN_PLAN) == 1
    text = text.replace(RETURN_PLAN, f"{RETURN_PLAN}      rectify_within: {within}\n")
    path.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """广州's first point approved and its work plan filed on 05-09."""
    year = Year(tmp_path_factory.mktemp("template"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", [POINT], reason="符合条件")
    year.at("2011-04-20T10:00").decide("approve", [POINT], reason="同意")
    year.at("2011-05-09T10:00").submit("guangzhou", "work-plan", [POINT])
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


def overrides(year: Year) -> list[tuple[str, str, str]]:
    return [
        (r[0], r[1], r[2])
        for r in run_sql(
            year.url, "SELECT point_id, step, due FROM deadline_overrides ORDER BY event_seq"
        )
    ]


def status(year: Year, now: str, *more: str) -> str:
    result = run_cli(
        ["status", str(year.programme), "--point", POINT, *more], year.env(DOCFLOW_NOW=now)
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def test_until_sets_the_rectification_deadline_shown_in_status_and_summary(year: Year) -> None:
    env = year.env(DOCFLOW_NOW="2011-05-12T09:00")
    args = ["decide", str(year.programme), "--task", "work-plan", "--point", POINT, "--return"]
    result = run_cli([*args, "--reason", "措施不具体", "--until", "2011-05-20"], env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert overrides(year) == [(POINT, "submit-plan", "2011-05-20")]
    [event] = year.events_of("return-plan")
    assert event.extras["until"] == "2011-05-20"
    assert event.extras["rectify"] is True
    shown = status(year, "2011-05-13T09:00")
    assert "整改期限 2011-05-20" in shown
    as_json = json.loads(status(year, "2011-05-21T09:00", "--json"))
    [row] = as_json["points"]
    assert (row["due"], row["rectify"], row["colour"]) == ("2011-05-20", True, "red")
    year.at("2011-05-13T09:00")
    for summary in (year.app.summary(), year.app.summary(at=moment("2011-05-12T12:00"))):
        [row] = [r for r in summary["points"] if r["point"] == POINT]
        assert row["steps"]["submit-plan"]["rectify"] is True
        assert "突破点工作方案整改期限 2011-05-20" in row["remarks"]
    # As of before the return (replayed from the trail), there was none.
    earlier = year.app.summary(at=moment("2011-05-11T09:00"))
    [row] = [r for r in earlier["points"] if r["point"] == POINT]
    assert "整改期限" not in row["remarks"]
    # The resubmission ends it: no override left, the audit agrees.
    year.at("2011-05-18T10:00").submit("guangzhou", "work-plan", [POINT])
    assert overrides(year) == []
    assert year.events(POINT)[-1].extras["ends"] == event.seq
    # Resubmitted after the plan's own 05-10 but before the 整改期限: not late in the 汇总表.
    year.at("2011-05-19T09:00")
    [row] = [r for r in year.app.summary()["points"] if r["point"] == POINT]
    cell = row["steps"]["submit-plan"]
    assert (cell["submitted"], cell["due"], cell["overdue"]) == ("2011-05-18", "2011-05-20", False)
    assert "突破点工作方案整改期限 2011-05-20" in row["remarks"]
    assert "已重新报送" in row["remarks"]
    audit = run_cli(["audit", "verify"], year.env(DOCFLOW_NOW="2011-05-19T09:00"))
    assert audit.exit_code == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize(
    ("until", "words"),
    [
        ("2011-05-09", "应晚于退回之日 2011-05-12"),
        ("2011-05-12", "应晚于退回之日 2011-05-12"),
        ("2011-13-01", "--until"),
        ("2013-01-02", "整改期限应在方案年度或次年之内"),
        ("2099-01-01", "--until"),
    ],
)
def test_a_bad_until_is_refused_and_nothing_is_written(year: Year, until: str, words: str) -> None:
    before = year.snapshot()
    args = ["decide", str(year.programme), "--task", "work-plan", "--point", POINT, "--return"]
    result = run_cli(
        [*args, "--reason", "措施不具体", "--until", until],
        year.env(DOCFLOW_NOW="2011-05-12T09:00"),
    )
    assert result.exit_code != 0
    assert words in (result.stdout + result.stderr)
    assert "Traceback" not in (result.stdout + result.stderr)
    assert year.snapshot() == before


def test_until_on_an_acceptance_is_still_refused(year: Year) -> None:
    other = year.points_in("proposed")[0]
    year.at("2011-05-12T09:00")
    with pytest.raises(Refused, match="只有批准延期的决定才能给出新期限"):
        year.decide("screen", [other], until=date(2011, 5, 20))


def test_without_until_the_steps_own_deadline_stands(year: Year) -> None:
    year.at("2011-05-12T09:00").decide("work-plan", [POINT], "return", "措施不具体")
    assert overrides(year) == []
    assert "整改期限" not in status(year, "2011-05-13T09:00")


def test_rectify_within_counts_working_days_from_the_return(tmp_path: Path) -> None:
    with Year(tmp_path / "store", rectifying_programme(tmp_path)) as year:
        year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
        year.at("2011-03-15T10:00").enrol_example()
        year.at("2011-04-06T10:00").decide("screen", [POINT], reason="符合条件")
        year.at("2011-04-20T10:00").decide("approve", [POINT], reason="同意")
        year.at("2011-05-09T10:00").submit("guangzhou", "work-plan", [POINT])
        # 2011-05-12 is a Thursday: five working days after it end on Thursday 05-19.
        year.at("2011-05-12T09:00").decide("work-plan", [POINT], "return", "措施不具体")
        assert overrides(year) == [(POINT, "submit-plan", "2011-05-19")]
        # An explicit --until wins over the rule.
        year.at("2011-05-13T09:00").submit("guangzhou", "work-plan", [POINT])
        year.at("2011-05-16T09:00").decide(
            "work-plan", [POINT], "return", "仍不具体", until=date(2011, 5, 31)
        )
        assert overrides(year) == [(POINT, "submit-plan", "2011-05-31")]


def test_withdrawing_the_return_removes_it_and_the_audit_catches_a_changed_row(
    year: Year,
) -> None:
    year.at("2011-05-12T09:00").decide(
        "work-plan", [POINT], "return", "措施不具体", until=date(2011, 5, 20)
    )
    [ret] = year.events_of("return-plan")
    env = year.env(DOCFLOW_NOW="2011-05-13T09:00")
    run_sql(year.url, "UPDATE deadline_overrides SET due = '2011-06-30'")
    audit = run_cli(["audit", "verify"], env)
    assert audit.exit_code != 0
    assert "期限延长记录与留痕第" in (audit.stdout + audit.stderr)
    assert "2011-05-20" in (audit.stdout + audit.stderr)
    run_sql(year.url, "UPDATE deadline_overrides SET due = '2011-05-20'")
    assert run_cli(["audit", "verify"], env).exit_code == 0
    Corrections(year.runtime).withdraw(ret.seq, "误录")
    assert overrides(year) == []
    assert year.state(POINT) == "plan-filed"
    assert run_cli(["audit", "verify"], env).exit_code == 0


def test_withdrawing_the_resubmission_puts_the_deadline_back(year: Year) -> None:
    year.at("2011-05-12T09:00").decide(
        "work-plan", [POINT], "return", "措施不具体", until=date(2011, 5, 20)
    )
    year.at("2011-05-16T09:00").submit("guangzhou", "work-plan", [POINT])
    assert overrides(year) == []
    resubmitted = year.events(POINT)[-1]
    Corrections(year.runtime).withdraw(resubmitted.seq, "报错了文件")
    assert overrides(year) == [(POINT, "submit-plan", "2011-05-20")]
    assert [e.trigger for e in year.events(POINT)][-1] == WITHDRAW
    audit = run_cli(["audit", "verify"], year.env(DOCFLOW_NOW="2011-05-17T09:00"))
    assert audit.exit_code == 0, audit.stdout + audit.stderr
    assert "整改期限 2011-05-20" in status(year, "2011-05-17T09:00")
