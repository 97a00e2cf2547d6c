"""A notice without a 发文字号: the programme validates, and nothing prints empty brackets.

Many notices carry no 发文字号 (a programme issued as an attachment, a 通知 printed without
one). ``programme.doc_number`` is optional; where it is missing, the notices, the report, the
calendar and the 汇总表 name the programme by its title alone.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

import engine
from engine.definition.loader import load_definition
from engine.views.calendar import calendar_rows, render_calendar_table

VALID = Path(__file__).parent / "valid"
TITLE = "试点工作方案"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The minimal programme without its 发文字号, its cities given mail addresses."""
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    assert "  doc_number: 粤测〔2011〕1号\n" in text
    text = text.replace("  doc_number: 粤测〔2011〕1号\n", "")
    for city in ("city-a", "city-b"):
        text = text.replace("kind: city}", f"kind: city, email: {city}@example.invalid}}", 1)
    target = tmp_path / "mini"
    target.mkdir()
    (target / "programme.yaml").write_text(text, encoding="utf-8")
    shutil.copy(VALID / "source.txt", target / "source.txt")
    return target


def _no_empty_brackets(text: str) -> None:
    assert "（）" not in text
    assert "（（" not in text
    assert "None" not in text


def test_a_programme_without_doc_number_validates(folder: Path) -> None:
    definition = load_definition(folder)
    assert definition.programme.programme.doc_number is None
    assert [d for d in definition.warnings if "doc_number" in d.message] == []


def test_its_reminder_names_the_programme_by_title_alone(folder: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    clock = engine.FixedClock(datetime(2011, 3, 24, 9, 0))
    mail = engine.MailSettings(str(outbox))
    db = str(tmp_path / "docflow.db")
    with engine.Programme.open(folder, db=db, clock=clock, mail=mail, create=True) as mini:
        mini.enrol([engine.NewPoint("city-a", "甲市试点")], at=datetime(2011, 3, 10, 10, 0))
        result = mini.remind()
    assert [o.recipient for o in result.sent] == ["city-b"]  # 乙市 has proposed nothing yet
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert f"根据《{TITLE}》要求" in text
    _no_empty_brackets(text)
    _no_empty_brackets(html.get_content())


def test_its_report_heading_has_no_doc_number_line(folder: Path, tmp_path: Path) -> None:
    clock = engine.FixedClock(datetime(2011, 3, 24, 9, 0))
    with engine.Programme.open(folder, clock=clock, with_store=False) as mini:
        index = mini.render(tmp_path / "report")
    page = index.read_text(encoding="utf-8")
    assert 'class="doc-number"' not in page
    assert f"<h1>{TITLE}</h1>" in page
    _no_empty_brackets(page)


def test_the_report_heading_shows_the_doc_number_when_there_is_one(tmp_path: Path) -> None:
    clock = engine.FixedClock(datetime(2011, 3, 24, 9, 0))
    with engine.Programme.open(VALID / "minimal.yaml", clock=clock, with_store=False) as mini:
        index = mini.render(tmp_path / "report")
    assert '<p class="doc-number">粤测〔2011〕1号</p>' in index.read_text(encoding="utf-8")


def test_its_calendar_and_summary_name_the_programme_by_title(folder: Path, tmp_path: Path) -> None:
    definition = load_definition(folder)
    rows, _ = calendar_rows(definition)
    calendar = render_calendar_table(definition, rows)
    assert calendar.splitlines()[0] == f"{TITLE} 2011 年时限表"
    clock = engine.FixedClock(datetime(2011, 3, 24, 9, 0))
    db = str(tmp_path / "docflow.db")
    with engine.Programme.open(folder, db=db, clock=clock, create=True) as mini:
        mini.enrol([engine.NewPoint("city-a", "甲市试点")])
        out = tmp_path / "汇总表.xlsx"
        mini.export_summary("xlsx", out)
        ical = mini.export_ical()
    _no_empty_brackets(ical)
    assert f"{TITLE}各项时限" in ical.replace("\r\n ", "")
    from openpyxl import load_workbook

    book = load_workbook(out)
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert any(c.startswith(f"工作方案：{TITLE}　　统计时间") for c in cells)
    assert f"{TITLE}（2011 年）" in cells
    for cell in cells:
        _no_empty_brackets(cell)
