"""Every report and export names the chain's head it was read at, and, given the private key,
carries a checkpoint of it signed with that key: read back from the HTML report, the
汇总表 (csv and xlsx) and the iCalendar file, each checkpoint passes ``audit verify``."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from icalendar import Calendar

from engine.app import MailSettings, Programme, generate_audit_keys, verify_store
from engine.clock import FixedClock
from tests.runtime.gd2011 import EIC, PROGRAMME_DIR, Year, moment, raw_sql, run_cli

NOW = moment("2011-05-16T10:00")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """The example points enrolled and approved, a work plan, the 催报 of 5月16日 sent."""
    y = Year(tmp_path_factory.mktemp("provenance"))
    y.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    y.at("2011-03-15T10:00").enrol_example()
    y.at("2011-04-06T10:00").decide("screen", y.points_in("proposed"))
    y.at("2011-04-20T10:00").decide("approve", y.points_in("screened"))
    y.at("2011-05-09T10:00").submit("guangzhou", "work-plan")
    y.at("2011-05-16T10:00")
    mail = MailSettings(str(y.folder / "outbox"))
    assert Programme(y.definition, y.store, y.clock, mail).remind().sent
    try:
        yield y
    finally:
        y.close()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The private key, kept apart from the store; its public half beside it as ``.pub``."""
    return Path(generate_audit_keys(tmp_path_factory.mktemp("keys") / "audit.key").private)


def head_of(year: Year) -> tuple[int, str, str]:
    with year.store.transaction(readonly=True) as tx:
        seq, digest = tx.chain_head()
        (event,) = tx.events(after_seq=seq - 1, limit=1)
    return seq, digest, event.recorded_at


def app(year: Year) -> Programme:
    return Programme(year.definition, year.store, FixedClock(NOW))


def holds(year: Year, line: str, key: Path, folder: Path) -> None:
    """``line`` is a checkpoint that ``audit verify --checkpoints`` accepts for this store."""
    marks = folder / "checkpoints.jsonl"
    marks.write_text(line + "\n", encoding="utf-8")
    report = verify_store(str(year.db), None, marks, Path(f"{key}.pub"))
    assert report.ok, report.checkpoints.summary()
    assert report.checkpoints.checked == 1
    assert report.checkpoints.vouched_seq == head_of(year)[0]


# --- the HTML report -------------------------------------------------------------------------


def test_the_report_names_the_head_beside_the_audit_and_signs_it_with_a_key(
    year: Year, key: Path, tmp_path: Path
) -> None:
    seq, digest, at = head_of(year)

    page = (app(year).render(tmp_path / "r", checkpoint_key=key)).read_text(encoding="utf-8")

    run = page[page.index('id="verify"') :]
    assert run.index('id="chain-head"') < run.index('id="checkpoint"') < run.index("各突破点的状态")
    assert f'<strong class="chain-seq">{seq}</strong>' in run
    assert f'<span class="mono chain-hash">{digest}</span>' in run
    assert f"记录于 {at[:16].replace('T', ' ')}" in run
    (line,) = re.findall(r'<pre class="mono small checkpoint-line">(.*?)</pre>', page)
    holds(year, html.unescape(line), key, tmp_path)


def test_without_a_key_the_report_names_the_head_and_signs_nothing(
    year: Year, tmp_path: Path
) -> None:
    seq, digest, _at = head_of(year)

    page = app(year).render(tmp_path / "r").read_text(encoding="utf-8")

    assert f'<span class="mono chain-hash">{digest}</span>' in page
    assert f'<strong class="chain-seq">{seq}</strong>' in page
    assert 'id="checkpoint"' not in page


def test_a_report_of_a_trail_that_fails_its_audit_is_not_signed(
    year: Year, key: Path, tmp_path: Path
) -> None:
    with Year.copy_of(year, tmp_path / "copy") as copy:
        raw_sql(copy.db, "DELETE FROM sent_log WHERE unit_id = 'shenzhen'")
        page = app(copy).render(tmp_path / "r", checkpoint_key=key).read_text(encoding="utf-8")
    year.reopen()

    assert '<div class="verify broken" id="verify">' in page
    assert "shenzhen 在发送记录表中不存在" in page
    assert '<div class="fallback" id="checkpoint">留痕校验未通过，未签发检查点。</div>' in page
    assert '<pre class="mono small checkpoint-line">' not in page


def test_the_trail_words_each_notice_event(year: Year, tmp_path: Path) -> None:
    page = app(year).render(tmp_path / "r").read_text(encoding="utf-8")

    trail = page[page.index('<h3 id="trail">') :]
    assert "notices" not in trail
    assert "催报通知：报送突破点工作方案，期限 2011-05-10" in trail
    assert "未发送：已被同一期限更新的提醒取代" in trail
    assert "登记工作方案" in trail


# --- the 汇总表 ---------------------------------------------------------------------------------


def test_the_csv_ends_with_the_head_and_with_a_key_its_signed_checkpoint(
    year: Year, key: Path, tmp_path: Path
) -> None:
    seq, digest, at = head_of(year)

    text = app(year).export_summary("csv", checkpoint_key=key)

    assert text is not None
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    *table, empty, head, signed = rows
    assert empty == []
    assert head == ["留痕链头", f"第 {seq} 条", digest, at[:19]]
    assert signed[:2] == ["检查点", f"第 {seq} 条"]
    holds(year, signed[2], key, tmp_path)
    assert table[0][0] == "序号"


def test_the_xlsx_names_the_head_on_its_notes_sheet_and_leaves_the_table_alone(
    year: Year, key: Path, tmp_path: Path
) -> None:
    seq, digest, at = head_of(year)
    out = tmp_path / "汇总表.xlsx"

    app(year).export_summary("xlsx", out, checkpoint_key=key)

    book = openpyxl.load_workbook(out)
    notes = {row[0]: row[1:] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert notes["留痕链头"][:3] == (f"第 {seq} 条", digest, at[:19])
    assert notes["检查点"][0] == f"第 {seq} 条"
    holds(year, str(notes["检查点"][1]), key, tmp_path)
    table = [row[0] for row in book["汇总表"].iter_rows(values_only=True)]
    assert "留痕链头" not in table
    assert "检查点" not in table


# --- the calendar ----------------------------------------------------------------------------


def test_the_calendar_carries_the_head_and_with_a_key_its_checkpoint(
    year: Year, key: Path, tmp_path: Path
) -> None:
    seq, digest, at = head_of(year)

    text = app(year).export_ical("guangzhou", checkpoint_key=key)

    cal = Calendar.from_ical(text)
    assert str(cal["X-DOCFLOW-TRAIL-SEQ"]) == str(seq)
    assert str(cal["X-DOCFLOW-TRAIL-HASH"]) == digest
    assert str(cal["X-DOCFLOW-TRAIL-AT"]) == at
    assert f"数据截至留痕第 {seq} 条（哈希 {digest}）" in str(cal["X-WR-CALDESC"])
    holds(year, str(cal["X-DOCFLOW-CHECKPOINT"]), key, tmp_path)


def test_the_calendar_of_the_definition_alone_carries_no_head() -> None:
    with Programme.open(PROGRAMME_DIR, with_store=False, clock=FixedClock(NOW)) as gd:
        cal = Calendar.from_ical(gd.export_ical())
    assert "X-DOCFLOW-TRAIL-SEQ" not in cal


def test_docflow_export_ical_with_db_and_key_writes_the_head(
    year: Year, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gz.ics"
    args = ["export", "ical", str(PROGRAMME_DIR), "--unit", "guangzhou", "--out", str(out)]

    result = run_cli([*args, "--db", str(year.db), "--checkpoint-key", str(key)], {})

    assert result.exit_code == 0, result.stderr
    cal = Calendar.from_ical(out.read_text(encoding="utf-8"))
    assert str(cal["X-DOCFLOW-TRAIL-HASH"]) == head_of(year)[1]


@pytest.mark.parametrize(
    "command",
    [["render", str(PROGRAMME_DIR), "--out", "r"], ["export", "ical", str(PROGRAMME_DIR)]],
    ids=["render", "ical"],
)
def test_a_checkpoint_key_without_a_store_is_a_usage_error(command: list[str], key: Path) -> None:
    result = run_cli([*command, "--checkpoint-key", str(key)], {})

    assert result.exit_code == 2
    assert "--checkpoint-key 须与 --db 一起使用" in result.stderr


def test_a_bad_key_is_refused_before_anything_is_written(year: Year, tmp_path: Path) -> None:
    bad = tmp_path / "audit.key"
    bad.write_text("不是密钥\n", encoding="utf-8")
    out = tmp_path / "汇总表.csv"
    args = ["export", "summary", str(PROGRAMME_DIR), "--out", str(out)]

    result = run_cli([*args, "--checkpoint-key", str(bad)], {"DOCFLOW_DB": str(year.db)})

    assert result.exit_code == 1
    assert f"私钥文件 {bad} 无法使用：不是 PEM 格式的私钥" in result.stderr
    assert not out.exists()
