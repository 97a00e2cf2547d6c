"""Every refused command leaves the store exactly as it was, through the API and the CLI.

The store used is built once (2011-05-06): the call for points sent; the 52 example points
enrolled; all screened in except jiangmen-2 (screened out) and shunde-2 (still proposed); all
screened points approved except shunde-1 (still screened); guangzhou has filed the work plan
of both its points; zhuhai has asked for an extension of zhuhai-1's work plan.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.errors import DocflowError, InputFileError, Refused
from engine.refusals import (
    ActorNotAllowed,
    BadNewDeadline,
    ExtensionTooLate,
    InputNotAllowed,
    InTheFuture,
    MissingInput,
    NoExtensionRequest,
    NotAnInspector,
    NotAProposer,
    NothingWaiting,
    NotTheOwner,
    PointIdTaken,
    TaskAlreadyDone,
    TooManyPoints,
    UnknownPoint,
    UnknownTask,
    UnknownUnit,
    WaitingFor,
    WrongCommand,
    WrongState,
)
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint
from tests.runtime.gd2011 import (
    EIC,
    GOVERNMENT,
    PROGRAMME_DIR,
    Year,
    example_ids,
    moment,
    run_cli,
    run_process,
)

NOW = "2011-05-06T10:00"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    year = Year(tmp_path_factory.mktemp("template"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00")
    year.decide("screen", [i for i in example_ids() if i not in ("jiangmen-2", "shunde-2")])
    year.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")
    year.at("2011-04-20T10:00")
    year.decide("approve", [p for p in year.points_in("screened") if p != "shunde-1"])
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")
    year.submit("zhuhai", "extension", ["zhuhai-1"])
    year.at(NOW)
    year.close()
    return year


@dataclass
class Files:
    """Paths a case may use: a good document, a directory, a missing and a 000 file."""

    file: Path
    dir: Path
    missing: Path
    unreadable: Path
    batch: Path

    def format(self, arg: str) -> str:
        return arg.format(**{k: str(v) for k, v in vars(self).items()})


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


@pytest.fixture
def files(tmp_path: Path) -> Files:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    document = inputs / "工作方案.txt"
    document.write_text("深圳市突破点工作方案", encoding="utf-8")
    folder = inputs / "a-folder"
    folder.mkdir()
    locked = inputs / "locked.txt"
    locked.write_text("不可读", encoding="utf-8")
    locked.chmod(0)
    batch = inputs / "batch.csv"
    batch.write_text("unit,title\nzhuhai,珠海第二个突破点\nguangzhou,广州第三个突破点\n", "utf-8")
    return Files(document, folder, inputs / "nowhere.txt", locked, batch)


@dataclass(frozen=True)
class Case:
    id: str
    api: Callable[[Year, Files], Any]
    cli: str  # the arguments after PROGRAMME, as a shell would split them
    says: str  # what the command line prints (the message, with its hint)
    error: type[DocflowError]
    attrs: dict[str, Any]  # what the error carries
    now: str = NOW


def submit(unit: str, task: str, points: tuple[str, ...] = (), file: str = "file") -> Any:
    return lambda y, f: y.runtime.submit(unit, task, getattr(f, file), points)


def decide(task: str, points: list[str], outcome: str = "accept", **kw: Any) -> Any:
    kw.setdefault("reason", "经研究")
    return lambda y, f: y.runtime.decide(
        task, points, outcome, kw["reason"], kw.get("actor"), kw.get("until"), kw.get("at")
    )


def enrol(*points: NewPoint) -> Any:
    return lambda y, f: y.runtime.enrol(list(points))


CASES = [
    Case(
        "unknown unit",
        submit("atlantis", "work-plan"),
        "submit --unit atlantis --task work-plan --file {file}",
        "未定义的单位 atlantis",
        error=UnknownUnit,
        attrs={"unit": "atlantis"},
    ),
    Case(
        "unknown task to submit",
        submit("shenzhen", "sightseeing"),
        "submit --unit shenzhen --task sightseeing --file {file}",
        "未定义的事项 sightseeing",
        error=UnknownTask,
        attrs={"task": "sightseeing"},
    ),
    Case(
        "unknown task to decide",
        decide("sightseeing", ["shenzhen-1"]),
        "decide --task sightseeing --point shenzhen-1 --accept --reason r",
        "未定义的事项 sightseeing",
        error=UnknownTask,
        attrs={"task": "sightseeing"},
    ),
    Case(
        "unknown point to decide",
        decide("approve", ["atlantis-1"]),
        "decide --task approve --point atlantis-1 --accept --reason r",
        "未登记的突破点 atlantis-1",
        error=UnknownPoint,
        attrs={"point": "atlantis-1"},
    ),
    Case(
        "unknown point to submit for",
        submit("shenzhen", "work-plan", ("shenzhen-9",)),
        "submit --unit shenzhen --task work-plan --point shenzhen-9 --file {file}",
        "未登记的突破点 shenzhen-9",
        error=UnknownPoint,
        attrs={"point": "shenzhen-9"},
    ),
    Case(
        "decision from the wrong state",
        decide("approve", ["guangzhou-1"]),
        "decide --task approve --point guangzhou-1 --accept --reason r",
        "当前状态为「工作方案已备案」，不能办理「省政府审定（同意）」",
        error=WrongState,
        attrs={
            "point": "guangzhou-1",
            "state": "plan-filed",
            "step": "approve",
            "allowed_states": ("screened",),
        },
    ),
    Case(
        "return of a plan not filed",
        decide("work-plan", ["shenzhen-1"], "return"),
        "decide --task work-plan --point shenzhen-1 --return --reason r",
        "当前状态为「已审定」，不能办理「退回工作方案」",
        error=WrongState,
        attrs={"point": "shenzhen-1", "state": "approved", "step": "return-plan"},
    ),
    Case(
        "document for a step not reached",
        submit("shenzhen", "measures"),
        "submit --unit shenzhen --task measures --file {file}",
        "没有等待「报送工作职责、时间节点、负责人和政策措施」的突破点",
        error=NothingWaiting,
        attrs={"unit": "shenzhen", "step": "report-measures"},
    ),
    Case(
        "document for a named point in the wrong state",
        submit("shunde", "work-plan", ("shunde-1",)),
        "submit --unit shunde --task work-plan --point shunde-1 --file {file}",
        "突破点 shunde-1（家电产业智能化升级）当前状态为「已初选」",
        error=WrongState,
        attrs={"point": "shunde-1", "state": "screened", "step": "submit-plan"},
    ),
    Case(
        "withdrawal of a point in a final state",
        decide("withdraw", ["jiangmen-2"]),
        "decide --task withdraw --point jiangmen-2 --accept --reason r",
        "当前状态为「未入选」",
        error=WrongState,
        attrs={"point": "jiangmen-2", "state": "not-selected", "step": "withdraw"},
    ),
    Case(
        "a city deciding screen",
        decide("screen", ["shunde-2"], actor="guangzhou"),
        "decide --task screen --point shunde-2 --accept --reason r --by guangzhou",
        "单位 广州市（guangzhou）无权作出「初步筛选（入选）」的决定，应由 省经济和信息化委 作出",
        error=ActorNotAllowed,
        attrs={"actor": "guangzhou", "step": "screen-in", "allowed": (EIC,)},
    ),
    Case(
        "a city withdrawing a point",
        decide("withdraw", ["shenzhen-1"], actor="shenzhen"),
        "decide --task withdraw --point shenzhen-1 --accept --reason r --by shenzhen",
        "单位 深圳市（shenzhen）无权作出「撤销突破点」的决定",
        error=ActorNotAllowed,
        attrs={"actor": "shenzhen", "step": "withdraw", "allowed": (EIC,)},
    ),
    Case(
        "guangzhou submitting for a shenzhen point",
        submit("guangzhou", "work-plan", ("shenzhen-1",)),
        "submit --unit guangzhou --task work-plan --point shenzhen-1 --file {file}",
        "单位 广州市（guangzhou）无权就突破点 shenzhen-1",
        error=NotTheOwner,
        attrs={"actor": "guangzhou", "point": "shenzhen-1", "owner": "shenzhen"},
    ),
    Case(
        "an inspection report from a body that leads no group",
        submit("guangzhou", "inspection"),
        "submit --unit guangzhou --task inspection --file {file}",
        "单位 广州市（guangzhou）不是检查组组长单位，无权报送「提交检查工作书面报告」",
        error=NotAnInspector,
        attrs={"actor": "guangzhou", "step": "inspect"},
    ),
    Case(
        "a missing file",
        submit("shenzhen", "work-plan", file="missing"),
        "submit --unit shenzhen --task work-plan --file {missing}",
        "nowhere.txt: 文件不存在",
        error=InputFileError,
        attrs={},
    ),
    Case(
        "a directory as the file",
        submit("shenzhen", "work-plan", file="dir"),
        "submit --unit shenzhen --task work-plan --file {dir}",
        "a-folder: 这是一个目录，不是文件",
        error=InputFileError,
        attrs={},
    ),
    Case(
        "a duplicate submission after all the unit's points moved on",
        submit("guangzhou", "work-plan"),
        "submit --unit guangzhou --task work-plan --file {file}",
        "单位 广州市（guangzhou）没有等待「报送突破点工作方案」的突破点（已报送过，或尚未到这一步）",
        error=NothingWaiting,
        attrs={
            "unit": "guangzhou",
            "step": "submit-plan",
            "states": {"guangzhou-1": "plan-filed", "guangzhou-2": "plan-filed"},
        },
    ),
    Case(
        "a programme task recorded a second time",
        submit(EIC, "call-for-points"),
        "submit --unit eic --task call-for-points --file {file}",
        "「发出推荐转型升级突破点通知」已经报送过，不能重复报送",
        error=TaskAlreadyDone,
        attrs={"task": "call-for-points"},
    ),
    Case(
        "a decision with an empty reason",
        decide("approve", ["shunde-1"], reason=""),
        "decide --task approve --point shunde-1 --accept --reason ''",
        "决定须说明理由。请用 --reason 说明理由",
        error=MissingInput,
        attrs={"what": "reason", "purpose": "decision"},
    ),
    Case(
        "a decision with a blank reason",
        decide("approve", ["shunde-1"], reason="  "),
        "decide --task approve --point shunde-1 --accept --reason '  '",
        "决定须说明理由。请用 --reason 说明理由",
        error=MissingInput,
        attrs={"what": "reason", "purpose": "decision"},
    ),
    Case(
        "an extension requested after the due date",
        submit("shenzhen", "extension"),
        "submit --unit shenzhen --task extension --file {file}",
        "延期申请须在到期前提出：突破点 shenzhen-1 的「报送突破点工作方案」已于 2011-05-10 到期",
        error=ExtensionTooLate,
        attrs={"point": "shenzhen-1", "step": "submit-plan", "due": date(2011, 5, 10)},
        now="2011-05-11T09:00",
    ),
    Case(
        "an extension requested for another unit's point",
        submit("guangzhou", "extension", ("shenzhen-1",)),
        "submit --unit guangzhou --task extension --point shenzhen-1 --file {file}",
        "单位 广州市（guangzhou）无权就突破点 shenzhen-1",
        error=NotTheOwner,
        attrs={"actor": "guangzhou", "point": "shenzhen-1", "step": "request-extension"},
    ),
    Case(
        "an extension granted without a new due date",
        decide("extension", ["zhuhai-1"]),
        "decide --task extension --point zhuhai-1 --accept --reason r",
        "批准延期须给出新的期限。请用 --until YYYY-MM-DD 给出新的期限",
        error=MissingInput,
        attrs={"what": "until", "purpose": "extension"},
    ),
    Case(
        "an extension granted to an earlier day",
        decide("extension", ["zhuhai-1"], until=date(2011, 5, 8)),
        "decide --task extension --point zhuhai-1 --accept --reason r --until 2011-05-08",
        "新的期限 2011-05-08 应晚于原期限 2011-05-10",
        error=BadNewDeadline,
        attrs={"until": date(2011, 5, 8), "current": date(2011, 5, 10)},
    ),
    Case(
        "an extension granted that nobody asked for",
        decide("extension", ["shenzhen-1"], until=date(2011, 5, 20)),
        "decide --task extension --point shenzhen-1 --accept --reason r --until 2011-05-20",
        "突破点 shenzhen-1 没有待审批的延期申请",
        error=NoExtensionRequest,
        attrs={"point": "shenzhen-1"},
    ),
    Case(
        "a new due date on a decision that is not a grant",
        decide("approve", ["shunde-1"], until=date(2011, 6, 1)),
        "decide --task approve --point shunde-1 --accept --reason r --until 2011-06-01",
        "只有批准延期的决定才能给出新期限。请去掉 --until",
        error=InputNotAllowed,
        attrs={"what": "until", "step": "approve"},
    ),
    Case(
        "a third point for a unit",
        enrol(NewPoint("guangzhou", "广州第三个突破点")),
        "enrol --unit guangzhou --title 广州第三个突破点",
        "单位 广州市（guangzhou）至多可提出 2 个突破点，登记后将有 3 个",
        error=TooManyPoints,
        attrs={"unit": "guangzhou", "limit": 2, "count": 3},
    ),
    Case(
        "a batch with a third point for a unit",
        lambda y, f: y.runtime.enrol(read_points_file(f.batch)),
        "enrol --from {batch}",
        "单位 广州市（guangzhou）至多可提出 2 个突破点",
        error=TooManyPoints,
        attrs={"unit": "guangzhou", "limit": 2},
    ),
    Case(
        "a directory as the points file",
        lambda y, f: y.runtime.enrol(read_points_file(f.dir)),
        "enrol --from {dir}",
        "a-folder: 这是一个目录，不是文件",
        error=InputFileError,
        attrs={},
    ),
    Case(
        "a point from a body that does not propose points",
        enrol(NewPoint(GOVERNMENT, "省政府的突破点")),
        "enrol --unit provincial-government --title 省政府的突破点",
        "单位 省政府（provincial-government）不是提出突破点的单位",
        error=NotAProposer,
        attrs={"unit": GOVERNMENT},
    ),
    Case(
        "a point id already taken",
        enrol(NewPoint("zhuhai", "珠海第二个突破点", point_id="shenzhen-1")),
        "enrol --unit zhuhai --title 珠海第二个突破点 --id shenzhen-1",
        "突破点编号 shenzhen-1 已存在",
        error=PointIdTaken,
        attrs={"points": ("shenzhen-1",), "repeated": False},
    ),
    Case(
        "a programme task before the reports it waits for are in",
        submit(EIC, "aggregate-progress"),
        "submit --unit eic --task aggregate-progress --file {file}",
        "「汇总工作进展情况并报告省委、省政府」须等各单位完成「报送工作进展情况」",
        error=WaitingFor,
        attrs={"task": "aggregate-progress", "waits_for": "report-progress"},
    ),
    Case(
        "a programme task before the task it waits for",
        submit("general-office", "inspection-notice"),
        "submit --unit general-office --task inspection-notice --file {file}",
        "「以省政府办公厅名义发出检查工作通知」须等「汇总工作进展情况并报告省委、省政府」完成后才能报送",
        error=WaitingFor,
        attrs={"task": "inspection-notice", "waits_for": "aggregate-progress", "missing": ()},
    ),
    Case(
        "a programme task by a body not responsible for it",
        submit("dost", "aggregate-progress"),
        "submit --unit dost --task aggregate-progress --file {file}",
        "「汇总工作进展情况并报告省委、省政府」由 省经济和信息化委 负责，单位 省科技厅（dost）无权报送",
        error=ActorNotAllowed,
        attrs={"actor": "dost", "step": "aggregate-progress", "allowed": (EIC,)},
    ),
    Case(
        "a programme task for a named point",
        submit(EIC, "aggregate-progress", ("eic-1",)),
        "submit --unit eic --task aggregate-progress --point eic-1 --file {file}",
        "是全省层面事项，不针对单个突破点",
        error=InputNotAllowed,
        attrs={"what": "points", "step": "aggregate-progress"},
    ),
    Case(
        "a decision on a programme task",
        decide("meeting", ["eic-1"]),
        "decide --task meeting --point eic-1 --accept --reason r",
        "事项 召开全省推进产业转型升级工作现场会（meeting）不作决定，须报送文件。请用 docflow submit 报送文件",
        error=WrongCommand,
        attrs={"task": "meeting", "needs": "submit", "given": "decision"},
    ),
    Case(
        "a document received in the future",
        lambda y, f: y.runtime.submit("shenzhen", "work-plan", f.file, (), moment("2011-05-07")),
        "submit --unit shenzhen --task work-plan --file {file} --at 2011-05-07",
        "晚于当前时间，不能预先登记",
        error=InTheFuture,
        attrs={},
    ),
]


def params(cli: bool = False) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in CASES]


@pytest.mark.parametrize("case", params())
def test_a_refused_command_changes_nothing_in_the_store(
    case: Case, year: Year, files: Files
) -> None:
    year.at(case.now)
    before = year.snapshot()

    with pytest.raises(case.error) as refused:
        case.api(year, files)

    assert {name: getattr(refused.value, name) for name in case.attrs} == case.attrs
    assert year.snapshot() == before


@pytest.mark.parametrize("case", params(cli=True))
def test_a_refused_command_on_the_command_line_exits_1_with_one_chinese_message(
    case: Case, year: Year, files: Files
) -> None:
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": case.now}
    command, *rest = shlex.split(case.cli)
    args = [command, str(PROGRAMME_DIR), *(files.format(a) for a in rest)]
    before = year.snapshot()

    result = run_cli(args, env)

    assert result.exception is None, result.exception
    assert (result.exit_code, result.stdout) == (1, "")
    assert case.says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert CJK.search(result.stderr)
    assert "Traceback" not in result.stderr
    assert year.snapshot() == before


@pytest.mark.parametrize(
    "case",
    [c for c in params() if c.id in ("unknown unit", "a city deciding screen", "a missing file")],
)
def test_a_refusal_in_a_real_process_prints_no_traceback(
    case: Case, year: Year, files: Files
) -> None:
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": case.now}
    command, *rest = shlex.split(case.cli)
    before = year.snapshot()

    result = run_process([command, str(PROGRAMME_DIR), *(files.format(a) for a in rest)], env)

    assert (result.exit_code, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert case.says in result.stderr
    assert year.snapshot() == before


def test_an_unreadable_file_is_refused(year: Year, files: Files) -> None:
    if os.access(files.unreadable, os.R_OK):
        pytest.skip("running as root: a file with mode 000 is still readable")
    before = year.snapshot()

    with pytest.raises(InputFileError, match="没有读取权限"):
        year.runtime.submit("shenzhen", "work-plan", files.unreadable)

    assert year.snapshot() == before


def test_a_file_the_system_will_not_let_us_read_is_refused(
    year: Year, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path) == files.unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    # The documents folder opens a file without blocking, by descriptor (os.open).
    monkeypatch.setattr(os, "open", guarded)
    before = year.snapshot()

    with pytest.raises(InputFileError, match=r"locked\.txt: 没有读取权限"):
        year.runtime.submit("shenzhen", "work-plan", files.unreadable)

    assert year.snapshot() == before


def test_a_refused_batch_enrols_none_of_its_points(year: Year, files: Files) -> None:
    with pytest.raises(Refused):
        year.runtime.enrol(read_points_file(files.batch))

    assert "zhuhai-2" not in year.states()


def test_a_refused_decision_on_several_points_moves_none_of_them(year: Year) -> None:
    with pytest.raises(WrongState) as refused:
        year.decide("approve", ["shunde-1", "guangzhou-1"])

    assert refused.value.point == "guangzhou-1"

    assert year.state("shunde-1") == "screened"
