"""What ``engine.definition.checks_runnable`` accepts and how it words what it refuses.

The invalid-programme corpus (``invalid/``) holds one file per refusal; these tests cover the
other side - what it must still accept - and the wording of the messages' remedies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.definition.loader import load_definition
from engine.errors import DefinitionError, Diagnostic

VALID = Path(__file__).parent / "valid"


def variant(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The minimal programme with each ``old`` text replaced by ``new`` (each found once)."""
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder = tmp_path / "mini"
    folder.mkdir(exist_ok=True)
    (folder / "programme.yaml").write_text(text, encoding="utf-8")
    shutil.copy(VALID / "source.txt", folder / "source.txt")
    return folder


def errors_of(folder: Path) -> list[Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        load_definition(folder)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def line_of(folder: Path, start: str, after: int = 0) -> int:
    """The number of the first line after line ``after`` that starts with ``start``."""
    lines = (folder / "programme.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if i > after and line.startswith(start))


def _task(block: str) -> tuple[str, str]:
    return ("reminder_policies:", f"{block}\nreminder_policies:")


MONTHLY = """  - id: monthly
    label: 报送月度工作情况
    level: LEVEL
    responsible: [RESPONSIBLE]
    document: 月度工作情况
"""


def test_a_unit_report_is_refused_with_the_two_ways_to_write_it(tmp_path: Path) -> None:
    folder = variant(
        tmp_path, _task(MONTHLY.replace("LEVEL", "unit").replace("RESPONSIBLE", "cities"))
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 3
    [error] = errors_of(folder)
    at = line_of(folder, "    level: unit", after=line_of(folder, "  - id: monthly"))
    assert (error.line, error.column) == (at, 12)
    assert "单位事项 monthly（报送月度工作情况）无法办理" in error.message
    assert "actor: owner、takes: document" in error.message
    assert "level: programme" in error.message
    assert f"{error.line}:{error.column}: 错误: 单位事项 monthly" in result.output


def test_the_same_report_written_at_programme_level_validates(tmp_path: Path) -> None:
    folder = variant(
        tmp_path, _task(MONTHLY.replace("LEVEL", "programme").replace("RESPONSIBLE", "office"))
    )
    definition = load_definition(folder)
    assert definition.index.tasks["monthly"].level == "programme"


def test_an_enrolment_task_naming_an_extra_body_says_which(tmp_path: Path) -> None:
    folder = variant(
        tmp_path,
        (
            "    responsible: [cities]\n    recipients: [office]\n    document: 试点推荐材料",
            "    responsible: [cities, office]\n    recipients: [office]\n    document: 试点推荐材料",
        ),
    )
    [error] = errors_of(folder)
    assert "多出 office（省办公室）" in error.message
    assert "缺少" not in error.message


def test_a_programme_task_may_wait_for_a_point_task(tmp_path: Path) -> None:
    block = """  - id: aggregate
    label: 汇总工作情况
    level: programme
    responsible: [office]
    document: 工作情况汇总
    waits_for: [report]
"""
    assert load_definition(variant(tmp_path, _task(block))).index.tasks["aggregate"]


def test_three_tasks_waiting_in_a_circle_name_the_whole_chain(tmp_path: Path) -> None:
    block = "".join(
        f"""  - id: {me}
    label: 汇总{n}
    level: programme
    responsible: [office]
    document: 汇总材料{n}
    waits_for: [{waits}]
"""
        for n, (me, waits) in enumerate([("one", "two"), ("two", "three"), ("three", "one")])
    )
    errors = errors_of(variant(tmp_path, _task(block)))
    assert [e.message.split("）")[0] for e in errors] == [
        "事项之间相互等待（one → two → three → one",
        "事项之间相互等待（two → three → one → two",
        "事项之间相互等待（three → one → two → three",
    ]


LOOP = (
    """    - trigger: conclude
      label: 办结
      source: reported
      dest: concluded""",
    """    - trigger: return-report
      task: report
      label: 退回工作情况
      source: reported
      dest: approved
      actor: office
      takes: decision
      outcome: return
    - trigger: conclude
      label: 办结
      source: proposed
      dest: concluded""",
)
WITHDRAW = (
    "\ntasks:",
    """    - trigger: withdraw
      label: 撤销
      source: "*"
      dest: rejected
      actor: office
      takes: decision
      outcome: accept

tasks:""",
)


def test_a_loop_with_no_final_state_is_refused_at_each_of_its_states(tmp_path: Path) -> None:
    folder = variant(tmp_path, LOOP)
    errors = errors_of(folder)
    assert [(e.line, e.message.split("，")[0]) for e in errors] == [
        (line_of(folder, "    - {id: approved,"), "从状态 approved（已审定）出发"),
        (line_of(folder, "    - {id: reported,"), "从状态 reported（工作情况已报送）出发"),
    ]


def test_a_withdrawal_from_any_state_lets_the_loop_end(tmp_path: Path) -> None:
    definition = load_definition(variant(tmp_path, LOOP, WITHDRAW))
    assert "withdraw" in definition.index.transitions


def test_an_inspection_group_may_list_a_unit_and_its_group(tmp_path: Path) -> None:
    groups = """inspection_groups:
  - {id: group-1, label: 第一检查组, lead: office, inspects: [cities, city-a]}

phases:"""
    definition = load_definition(variant(tmp_path, ("phases:", groups)))
    assert definition.index.inspector_of == {"city-a": "office", "city-b": "office"}


def test_copies_with_no_urging_at_all_say_so(tmp_path: Path) -> None:
    folder = variant(tmp_path, ("    cc: [office]", "    overdue_times: 0\n    cc: [office]"))
    [error] = errors_of(folder)
    assert "从第 2 次催报起抄送，但不催报（overdue_times: 0）" in error.message


def test_copies_without_cc_need_no_stage(tmp_path: Path) -> None:
    definition = load_definition(
        variant(tmp_path, ("    cc: [office]", "    overdue_times: 0\n    cc: []"))
    )
    assert definition.index.policies["standard"].overdue_times == 0
