"""``docflow correct`` and what ``docflow log`` shows of a correction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.gd2011 import EIC, PROGRAMME_DIR, Year, run_cli, run_process

PROGRAMME = str(PROGRAMME_DIR)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """广州's first point approved and its work plan filed on 05-09."""
    year = Year(tmp_path_factory.mktemp("template"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", ["guangzhou-1"], reason="符合条件")
    year.at("2011-04-20T10:00").decide("approve", ["guangzhou-1"], reason="同意")
    year.at("2011-05-09T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


def env(year: Year) -> dict[str, str]:
    return year.env(DOCFLOW_NOW="2011-05-10T09:00", DOCFLOW_OPERATOR="张三")


def seqs(year: Year) -> tuple[int, int]:
    """The approval and the work plan of guangzhou-1."""
    events = year.events("guangzhou-1")
    return events[-2].seq, events[-1].seq


def test_correct_withdraw_and_the_log_marking_the_withdrawn_record(year: Year) -> None:
    _, plan = seqs(year)
    result = run_cli(
        ["correct", PROGRAMME, "--event", str(plan), "--withdraw", "--reason", "误录"], env(year)
    )
    assert result.exit_code == 0, result.stderr
    new = plan + 1
    assert result.stdout.strip() == (
        f"#{new} 已记录「撤回记录」：突破点 guangzhou-1（广州市），工作方案已备案 → 已审定"
        f"（撤回第 {plan} 条记录）"
    )
    assert year.state("guangzhou-1") == "approved"
    log = run_cli(["log", PROGRAMME, "--point", "guangzhou-1"], env(year)).stdout.splitlines()
    assert log[-2].startswith(f"#{plan} 2011-05-09 10:00 广州市 报送突破点工作方案 guangzhou-1")
    assert log[-2].endswith(f"（已于 2011-05-10 09:00 由第 {new} 条撤回：误录）")
    assert log[-1] == (
        f"#{new} 2011-05-10 09:00 省经济和信息化委 撤回记录 guangzhou-1（工作方案已备案 → 已审定）"
        f"；撤回第 {plan} 条记录；理由：误录；经办人 张三"
    )


def test_correct_a_file_as_json(year: Year) -> None:
    _, plan = seqs(year)
    right = year.file("正式稿", name="广州市突破点工作方案.pdf")
    args = ["--event", str(plan), "--file", str(right), "--reason", "草稿", "--json"]
    result = run_cli(["correct", PROGRAMME, *args], env(year))
    assert result.exit_code == 0, result.stderr
    event = json.loads(result.stdout)
    assert event["trigger"] == "correction.amend"
    assert event["data"] == {
        "corrects": plan,
        "file": "广州市突破点工作方案.pdf",
        "operator": "张三",
    }
    assert year.state("guangzhou-1") == "plan-filed"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--withdraw", "--decision-reason", "x"], "--withdraw、--decision-reason 互相矛盾"),
        ([], "请给出 --withdraw、--file 或 --decision-reason 之一"),
    ],
)
def test_none_or_contradictory_kinds_are_a_usage_error(
    year: Year, flags: list[str], message: str
) -> None:
    before = year.snapshot()
    result = run_cli(["correct", PROGRAMME, "--event", "1", *flags, "--reason", "r"], env(year))
    assert result.exit_code == 2
    assert message in result.stderr
    assert year.snapshot() == before


def test_withdrawing_an_earlier_record_is_refused_naming_the_later_one(year: Year) -> None:
    approve, plan = seqs(year)
    before = year.snapshot()
    result = run_cli(
        ["correct", PROGRAMME, "--event", str(approve), "--withdraw", "--reason", "r"], env(year)
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"留痕第 {approve} 条记录之后，突破点 guangzhou-1 还有第 {plan} 条记录：只能撤回突破点"
        f"最新的一条记录，须先从最新的第 {plan} 条起逐条撤回。"
        f"请先用 docflow correct --event {plan} --withdraw 撤回最新的一条"
    )
    assert year.snapshot() == before


def test_an_unknown_record_is_refused(year: Year) -> None:
    result = run_cli(
        ["correct", PROGRAMME, "--event", "99999", "--withdraw", "--reason", "r"], env(year)
    )
    assert (result.exit_code, result.stderr.strip()) == (1, "留痕第 99999 条记录不存在")
    assert result.exception is None


def test_the_log_as_json_names_what_corrected_each_record(year: Year) -> None:
    _, plan = seqs(year)
    run_cli(["correct", PROGRAMME, "--event", str(plan), "--withdraw", "--reason", "r"], env(year))
    result = run_cli(["log", PROGRAMME, "--point", "guangzhou-1", "--json"], env(year))
    rows = {r["seq"]: r for r in json.loads(result.stdout)}
    assert rows[plan]["corrected_by"] == [plan + 1]
    assert rows[plan + 1]["corrected_by"] == []
    assert rows[plan + 1]["data"]["corrects"] == plan


def test_correct_in_a_real_process(year: Year) -> None:
    approve, plan = seqs(year)
    args = ["correct", PROGRAMME, "--withdraw", "--reason", "误录", "--event"]
    refused = run_process([*args, str(approve)], env(year))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert "Traceback" not in refused.stderr
    done = run_process([*args, str(plan)], env(year))
    assert done.exit_code == 0, done.stderr
    assert f"（撤回第 {plan} 条记录）" in done.stdout
    assert year.state("guangzhou-1") == "approved"
