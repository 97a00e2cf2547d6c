"""Loading programmes: the 2011 programme, marks, immutability, hashing, reporting."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from engine.cli import cli
from engine.definition.loader import PROGRAMME_FILE, Definition, load_definition
from engine.definition.yamlio import read_yaml
from engine.errors import DefinitionError, Diagnostic

REPO = Path(__file__).resolve().parents[2]
GD2011 = REPO / "workflows" / "gd-2011"
VALID = Path(__file__).parent / "valid"


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """1-based number of the first line containing ``needle`` (after the line with ``after``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def minimal_copy(folder: Path, *edits: tuple[str, str]) -> Path:
    """minimal.yaml (and its source text) copied into ``folder`` with ``edits`` applied."""
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    shutil.copy(VALID / "source.txt", folder / "source.txt")
    target = folder / PROGRAMME_FILE
    target.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def gd2011() -> Definition:
    return load_definition(GD2011)


# -- the 2011 programme ---------------------------------------------------------------------


def test_2011_programme_loads(gd2011: Definition) -> None:
    p = gd2011.programme
    assert gd2011.id == "gd-2011"
    assert gd2011.file == GD2011 / PROGRAMME_FILE
    assert gd2011.folder == GD2011
    assert p.programme.year == 2011
    assert p.programme.doc_number == "粤经信技改〔2011〕333号"
    assert p.programme.issued == date(2011, 4, 26)
    assert len(gd2011.index.expand(("departments",))) == 19
    assert len(gd2011.index.expand(("cities",))) == 21
    assert len(gd2011.index.proposers) == 41  # 19 departments, 21 cities, 顺德区
    assert len(p.inspection_groups) == 6
    assert set(gd2011.index.inspector_of) == set(gd2011.index.proposers)
    assert all(w.severity == "warning" for w in gd2011.warnings)


def test_2011_warns_that_the_cover_notice_moved_the_work_plan_deadline(
    gd2011: Definition,
) -> None:
    file = gd2011.file
    amended = [w for w in gd2011.warnings if "时限已改定" in w.message]
    assert len(amended) == 1
    assert "原定「4月底」（2011-04-30）" in amended[0].message
    assert "以 cover 的「5月10日前」（2011-05-10）为准" in amended[0].message
    assert amended[0].line == line_of(file, "- phrase: 5月10日前")
    moved = [w for w in gd2011.warnings if w.message.startswith("submit-plan 的到期日")]
    assert len(moved) == 1
    assert "不在所属阶段 phase-1" in moved[0].message
    assert "原定时限在阶段内，由后发文件改定移出" in moved[0].message


def test_2011_warns_that_the_meeting_is_outside_phase_4_with_the_stated_exception(
    gd2011: Definition,
) -> None:
    meeting = [w for w in gd2011.warnings if w.message.startswith("meeting 的到期日")]
    assert len(meeting) == 1
    message = meeting[0].message
    assert "2011-12-31 不在所属阶段 phase-4（2011-11-01～2011-11-30）内" in message
    assert "五、第6项写明年底前召开现场会" in message  # the phase_exception, as written
    assert meeting[0].line == line_of(gd2011.file, "phase: phase-4", after="- id: meeting")


def test_2011_warns_only_about_the_amendment_the_meeting_and_two_weekend_due_days(
    gd2011: Definition,
) -> None:
    weekend = [w for w in gd2011.warnings if "不是工作日" in w.message]
    assert {w.message.split("）")[0] for w in weekend} == {
        "到期日 2011-03-05（星期六",  # 3月初, the call for points
        "到期日 2011-03-20（星期日",  # 3月中旬, the proposals
    }
    assert len(gd2011.warnings) == 5


def test_validate_command_accepts_the_2011_programme_and_shows_warnings() -> None:
    result = CliRunner().invoke(cli, ["validate", str(GD2011)])
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.stdout
    assert "警告 5 条" in result.stdout
    assert result.stderr.count("警告:") == 5
    quiet = CliRunner().invoke(cli, ["validate", "--quiet", str(GD2011)])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""


# -- YAML reading ---------------------------------------------------------------------------


def test_yes_no_on_off_keys_and_values_stay_strings() -> None:
    data, _ = read_yaml("on: off\nyes: no\ny: n\nOn: Yes\nflag: true\nother: False\n", "t.yaml")
    assert data == {
        "on": "off",
        "yes": "no",
        "y": "n",
        "On": "Yes",
        "flag": True,
        "other": False,
    }


def test_a_trigger_named_on_keeps_its_name(tmp_path: Path) -> None:
    file = minimal_copy(tmp_path, ("    - trigger: conclude\n", "    - trigger: on\n"))
    definition = load_definition(file)
    assert "on" in definition.index.transitions


def test_marks_give_the_line_and_column_of_values_and_keys(gd2011: Definition) -> None:
    file = gd2011.file
    marks = gd2011.marks
    line = line_of(file, "phrase: 4月底")
    column = file.read_text(encoding="utf-8").splitlines()[line - 1].index("4月底") + 1
    assert marks.at(("points", "transitions", 4, "deadline", "phrase")) == (line, column)
    trigger_line = line_of(file, "- trigger: submit-plan")
    assert marks.at(("points", "transitions", 4, "trigger"), key=True) == (trigger_line, 7)
    # A path that is not in the file falls back to its nearest ancestor.
    assert marks.at(("points", "transitions", 4, "no-such-key")) == (trigger_line, 7)
    assert marks.file == str(file)


def test_marks_from_read_yaml() -> None:
    _, marks = read_yaml("a:\n  b: [x, y]\n  c: {d: 1}\n", "t.yaml")
    assert marks.at(("a", "b", 1)) == (2, 10)
    assert marks.at(("a", "c", "d")) == (3, 10)
    assert marks.at(("a", "c", "d"), key=True) == (3, 7)


# -- immutability and hashing ---------------------------------------------------------------


def test_the_definition_is_frozen(gd2011: Definition) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        gd2011.sha256 = "0" * 64  # type: ignore[misc]
    with pytest.raises(ValidationError):
        gd2011.programme.programme.title = "改过的标题"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        gd2011.programme.points.states[0].final = True  # type: ignore[misc]
    assert isinstance(gd2011.programme.bodies, tuple)
    assert isinstance(gd2011.programme.points.transitions[4].recipients, tuple)
    with pytest.raises(AttributeError):
        gd2011.programme.bodies.append(gd2011.programme.bodies[0])  # type: ignore[attr-defined]


def test_the_hash_is_the_sha256_of_the_file_and_stable(gd2011: Definition, tmp_path: Path) -> None:
    raw = (GD2011 / PROGRAMME_FILE).read_bytes()
    assert gd2011.sha256 == hashlib.sha256(raw).hexdigest()
    assert load_definition(GD2011).sha256 == gd2011.sha256
    copy = tmp_path / "gd-2011"
    shutil.copytree(GD2011, copy)
    assert load_definition(copy).sha256 == gd2011.sha256  # the content counts, not the path
    target = copy / PROGRAMME_FILE
    target.write_bytes(raw + b"# one more comment\n")
    assert load_definition(copy).sha256 != gd2011.sha256


def test_minimal_programme_loads_without_warnings() -> None:
    definition = load_definition(VALID / "minimal.yaml")
    assert definition.warnings == ()
    assert definition.index.initial_state == "proposed"
    assert definition.index.final_states == {"concluded", "rejected"}


# -- reporting ------------------------------------------------------------------------------


def test_a_folder_without_programme_yaml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(tmp_path)
    assert f"目录 {tmp_path} 中没有 programme.yaml" in info.value.message
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == DefinitionError.exit_code
    assert "中没有 programme.yaml" in result.output
    assert "Traceback" not in result.output


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(tmp_path / "nowhere.yaml")
    assert "找不到该文件或目录" in info.value.message


def test_several_problems_in_one_file_are_reported_together(tmp_path: Path) -> None:
    file = minimal_copy(
        tmp_path,
        (
            "      dest: approved\n      actor: office\n",
            "      dest: approved\n      actor: ofice\n",
        ),
        ("    min_per_unit: 1\n", "    min_per_unit: 3\n"),
        ("于5月10日前向省办公室报送工作情况}", "于5月15日前向省办公室报送工作情况}"),
        ("      phase: phase-2\n", "      phase: phase-9\n"),
    )
    with pytest.raises(DefinitionError) as info:
        load_definition(file)
    errors = info.value.errors
    assert len(errors) == 4
    messages = " | ".join(d.message for d in errors)
    for text in ("未定义的单位或组 ofice", "每个单位至少 3 个", "找不到", "未定义的阶段 phase-9"):
        assert text in messages
    assert errors == sorted(errors)  # in file order
    assert info.value.message.startswith("工作方案定义有 4 处错误")
    result = CliRunner().invoke(cli, ["validate", str(file)])
    assert result.exit_code == DefinitionError.exit_code
    assert result.output.count(f"{file}:") == 4


def test_several_shape_problems_are_reported_together(tmp_path: Path) -> None:
    file = minimal_copy(
        tmp_path,
        ("  year: 2011\n", "  year: 二〇一一\n"),
        ("kind: city}\n  - {id: city-b", "kind: ministry}\n  - {id: city-b"),
        ("    label: 报送提醒\n", "    label: 报送提醒\n    colour: red\n"),
    )
    with pytest.raises(DefinitionError) as info:
        load_definition(file)
    assert [d.message.split(" ")[0] for d in info.value.errors] == ["year", "kind", "未知的键"]


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    # 3月中旬 is due on 2011-03-20, a Sunday: worth a warning, not an error.
    file = minimal_copy(tmp_path, ("      phrase: 3月底前\n", "      phrase: 3月中旬\n"))
    definition = load_definition(file)
    assert [w.severity for w in definition.warnings] == ["warning"]
    assert "2011-03-20（星期日）不是工作日" in definition.warnings[0].message
    result = CliRunner().invoke(cli, ["validate", str(file)])
    assert result.exit_code == 0, result.output
    assert "警告 1 条" in result.stdout
    assert f"{file}:" in result.stderr


def test_a_year_without_holiday_data_is_a_warning(tmp_path: Path) -> None:
    file = minimal_copy(tmp_path, ("  year: 2011\n", "  year: 2030\n"))
    definition = load_definition(file)
    assert any("节假日数据不含 2030 年" in w.message for w in definition.warnings)


def test_extra_checks_are_run_and_their_errors_fail_the_load() -> None:
    def always_fails(programme: object, marks: object, folder: Path) -> list[Diagnostic]:
        return [Diagnostic("x.yaml", 1, 1, "额外检查：总是失败")]

    with pytest.raises(DefinitionError) as info:
        load_definition(VALID / "minimal.yaml", extra_checks=[always_fails])
    assert [d.message for d in info.value.errors] == ["额外检查：总是失败"]


def test_inspector_steps_need_every_proposer_inspected(tmp_path: Path) -> None:
    covered = minimal_copy(
        tmp_path,
        (
            "      source: reported\n      dest: concluded\n      actor: office\n",
            "      source: reported\n      dest: concluded\n      actor: inspector\n",
        ),
        (
            "phases:\n",
            "inspection_groups:\n"
            "  - {id: group-1, label: 第一检查组, lead: office, inspects: [cities]}\n\nphases:\n",
        ),
    )
    definition = load_definition(covered)
    assert definition.index.inspector_of == {"city-a": "office", "city-b": "office"}


def test_unconfirmed_values_warn_until_removed(tmp_path: Path) -> None:
    """Each value listed under ``unconfirmed`` is a warning at the value itself."""
    target = minimal_copy(tmp_path)
    text = target.read_text(encoding="utf-8") + "unconfirmed: [programme.issued]\n"
    target.write_text(text, encoding="utf-8")
    definition = load_definition(target)
    warnings = [w for w in definition.warnings if "待确认" in w.message]
    assert len(warnings) == 1
    assert warnings[0].line == line_of(target, "  issued:")
    assert "programme.issued" in warnings[0].message


def test_a_boolean_field_refuses_yes(tmp_path: Path) -> None:
    """``initial: yes`` is the string "yes" to the reader and not a boolean to the schema."""
    target = minimal_copy(tmp_path, ("initial: true", "initial: yes"))
    with pytest.raises(DefinitionError) as caught:
        load_definition(target)
    assert any("initial" in d.message for d in caught.value.diagnostics)


def _programme_files() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    return sorted(
        [*root.glob("workflows/*/programme.yaml"), *(root / "tests/definition").glob("**/*.yaml")]
    )


@pytest.mark.parametrize("path", _programme_files(), ids=lambda p: p.name)
def test_the_libyaml_reader_gives_the_same_data_and_marks_as_pyyaml(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libyaml composes programme files fast; what comes out is exactly PyYAML's."""
    from engine.definition import yamlio

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: refused before YAML is read")

    def read() -> object:
        try:
            data, marks = yamlio.read_yaml(text, str(path))
        except DefinitionError as exc:
            return [str(d) for d in exc.diagnostics]
        return data, marks.positions, marks.key_positions

    fast = read()
    monkeypatch.setattr(yamlio, "_FastLoader", None)
    assert read() == fast
