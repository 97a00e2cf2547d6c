"""``docflow validate`` checks a programme's templates against the notice context's fields."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import cli
from engine.definition.loader import load_definition
from engine.delivery.noticecontext import build_notice_context
from engine.delivery.notices import DEFAULT_DIRECTORY
from engine.delivery.reminders import Reminder, occurrences, rules
from engine.errors import DefinitionError
from engine.runtime.progress import ProgressView
from tests.runtime.gd2011 import PROGRAMME_DIR

OTHER_NUMBER = "深经信〔2011〕7号"


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """The 2011 programme under another id and document number, in a folder of its own."""
    folder = tmp_path / "other"
    shutil.copytree(PROGRAMME_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8").replace("粤经信技改〔2011〕333号", OTHER_NUMBER)
    path.write_text(text.replace("  id: gd-2011\n", "  id: sz-2011\n"), encoding="utf-8")
    return folder


def validate(folder: Path) -> Result:
    return CliRunner().invoke(cli, ["validate", str(folder), "-q"])


def own_template(folder: Path, name: str, old: str, new: str) -> Path:
    text = (DEFAULT_DIRECTORY / name).read_text(encoding="utf-8")
    assert old in text
    (folder / "notices").mkdir(exist_ok=True)
    path = folder / "notices" / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_validate_reports_a_field_the_context_lacks_in_a_programmes_own_template(
    other: Path,
) -> None:
    path = own_template(other, "urge.txt.j2", "{{ step.label }}：", "{{ step.lable }}：")

    result = validate(other)

    assert result.exit_code == DefinitionError.exit_code
    assert f"通知模板 urge：通知模板 {path} 第 " in result.stderr
    assert "使用了 step.lable，而所给数据中没有这一字段" in result.stderr


def test_validate_of_another_programme_shows_no_2011_sample_data(other: Path) -> None:
    own_template(other, "reminder.txt.j2", "{{ recipient.name }}", "{{ recipient.full_name }}")

    result = validate(other)

    assert result.exit_code == DefinitionError.exit_code
    assert "recipient.full_name" in result.stderr
    for sample in ("粤经信技改〔2011〕333号", "广州市", "蓝艾青", "汽车产业"):
        assert sample not in result.stderr


def test_a_programmes_own_template_using_only_context_fields_validates(other: Path) -> None:
    own_template(other, "urge.txt.j2", "请你单位高度重视", "请{{ recipient.short }}高度重视")

    result = validate(other)

    assert result.exit_code == 0, result.stderr


def test_the_context_of_a_reminder_comes_from_its_own_programme(other: Path) -> None:
    definition = load_definition(other)
    view = ProgressView(definition)
    occurrence = occurrences(rules(definition)[0], view)[0]

    context = build_notice_context(
        definition, view, Reminder(occurrence, "guangzhou"), occurrence.send_at
    )

    assert context.programme.id == "sz-2011"
    assert context.programme.doc_number == OTHER_NUMBER
    assert context.recipient is not None
    assert context.recipient.name == "广州市人民政府"
    assert context.step is not None
    assert context.step.due == occurrence.due
