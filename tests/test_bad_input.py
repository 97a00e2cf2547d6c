"""Bad input refused at the door: a Chinese message and exit 1 or 2, nothing written, no
traceback - contradictory flags, a mistyped store, times outside the programme's span,
files outside a points file's folder or not regular, oversized files, unsafe ids and text."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.errors import FileTooLarge, InputFileError
from engine.refusals import BadIdentifier, UnsafeText
from engine.runtime.documents import DocumentFolder
from engine.runtime.pointsfile import read_points_file
from engine.runtime.userinput import check_point_id, check_text
from tests.runtime.gd2011 import EXAMPLE_POINTS, PROGRAMME_DIR, CliResult, run_cli

P = str(PROGRAMME_DIR)


@dataclass
class Desk:
    """A store with the 52 example points enrolled on 2011-03-15, and an inbox."""

    folder: Path
    db: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "DOCFLOW_DB": str(self.db),
            "DOCFLOW_DOCUMENTS": str(self.folder / "documents"),
            "DOCFLOW_NOW": "2011-05-20T10:00",
        }

    def run(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        return run_cli(list(args), {**self.env, **(env or {})})

    def inbox(self, name: str, text: str = "报送材料") -> Path:
        path = self.folder / "inbox" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def trail(self) -> str:
        result = self.run("log", P, "--json")
        assert result.exit_code == 0, result.stderr
        return result.stdout

    def documents(self) -> list[str]:
        root = self.folder / "documents"
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("enrolled")
    desk = Desk(folder, folder / "docflow.db")
    result = desk.run("enrol", P, "--from", str(EXAMPLE_POINTS), env={"DOCFLOW_NOW": "2011-03-15"})
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def desk(enrolled: Path, tmp_path: Path) -> Desk:
    """A private copy of the enrolled store."""
    folder = tmp_path / "desk"
    shutil.copytree(enrolled, folder)
    return Desk(folder, folder / "docflow.db")


def refused(result: CliResult, code: int, *words: str) -> str:
    """The result was a clean refusal with ``code`` whose message holds ``words``."""
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


# --- decide's outcome flags ---------------------------------------------------------------


@pytest.mark.parametrize(
    "flags", [("--accept", "--reject"), ("--reject", "--return"), ("--accept", "--return")]
)
def test_two_outcome_flags_on_decide_are_a_usage_error(desk: Desk, flags: tuple[str, ...]) -> None:
    before = desk.trail()
    result = desk.run(
        "decide", P, "--task", "screen", "--point", "ndrc-1", *flags, "--reason", "同意"
    )
    refused(result, 2, "互相矛盾", *flags)
    assert desk.trail() == before


def test_one_outcome_flag_on_decide_still_decides(desk: Desk) -> None:
    result = desk.run(
        "decide", P, "--task", "screen", "--point", "ndrc-1", "--accept", "--reason", "同意"
    )
    assert result.exit_code == 0, result.stderr


# --- stores are created only by enrol -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", "{file}"),
        ("decide", P, "--task", "screen", "--point", "ndrc-1", "--accept", "--reason", "同意"),
        ("migrate", P, "--reason", "更新"),
        ("status", P),
        ("log", P),
        ("remind", P, "--dry-run"),
    ],
    ids=lambda a: a[0],
)
def test_a_mistyped_store_is_refused_and_not_created(desk: Desk, args: tuple[str, ...]) -> None:
    mistyped = desk.folder / "docflwo.db"
    file = str(desk.inbox("征集通知.txt"))
    result = desk.run(*(a.replace("{file}", file) for a in args), "--db", str(mistyped))
    refused(result, 4, "不存在")
    assert not mistyped.exists()


def test_submit_with_create_may_start_a_store(tmp_path: Path) -> None:
    desk = Desk(tmp_path, tmp_path / "new.db")
    file = str(desk.inbox("征集通知.txt"))
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", file)
    refused(desk.run(*args), 4, "不存在")
    assert desk.run(*args, "--create").exit_code == 0
    assert desk.db.exists()


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("status", P, "--now", "9999-12-31T23:59:59+00:00"),
        ("status", P, "--now", "0001-01-01T00:00+14:00"),
        ("status", P, "--now", "9999-12-31T23:59:59-14:00"),
        ("remind", P, "--now", "9999-12-31T23:59", "--dry-run"),
        ("remind", P, "--now", "0001-01-01", "--dry-run"),
        ("status", P, "--now", "2010-12-31T23:59"),
    ],
)
def test_a_now_outside_the_programmes_span_is_a_usage_error(
    desk: Desk, args: tuple[str, ...]
) -> None:
    refused(desk.run(*args), 2, "时间范围", "--now")


def test_docflow_now_outside_the_span_is_named(desk: Desk) -> None:
    result = desk.run("status", P, env={"DOCFLOW_NOW": "9999-12-31T23:59"})
    refused(result, 2, "DOCFLOW_NOW", "时间范围")


@pytest.mark.parametrize("at", ["0001-01-01", "0001-01-01T00:00+14:00", "9999-12-31", "1999-05-01"])
def test_a_submission_at_a_time_outside_the_span_is_refused_and_not_recorded(
    desk: Desk, at: str
) -> None:
    before = desk.trail()
    file = str(desk.inbox("方案.txt"))
    result = desk.run(
        "submit", P, "--unit", "eic", "--task", "call-for-points", "--file", file, "--at", at
    )
    refused(result, 2, "--at", "时间范围")
    assert desk.trail() == before


def test_a_submission_before_the_year_began_is_refused_by_the_runtime(desk: Desk) -> None:
    before = desk.trail()
    file = str(desk.inbox("方案.txt"))
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", file)
    # The CLI's span starts with the programme's year; an API caller meets the runtime's check.
    from engine.app import Programme
    from engine.clock import FixedClock, parse_moment
    from engine.refusals import BeforeItExisted

    clock = FixedClock(parse_moment("2011-05-20T10:00", "test"))
    with Programme.open(P, db=str(desk.db), documents=desk.folder / "documents", clock=clock) as gd:
        with pytest.raises(BeforeItExisted) as info:
            gd.submit("eic", "call-for-points", file, at=parse_moment("2010-06-01", "test"))
    assert info.value.point is None
    assert desk.trail() == before
    assert desk.run(*args, "--at", "2011-03-02T09:00").exit_code == 0


def test_a_decision_before_the_point_was_enrolled_is_refused(desk: Desk) -> None:
    before = desk.trail()
    result = desk.run(
        "decide", P, "--task", "screen", "--point", "ndrc-1", "--accept", "--reason", "同意",
        "--at", "2011-03-10T09:00",
    )  # fmt: skip
    refused(result, 1, "ndrc-1", "登记时间")
    assert desk.trail() == before


def test_an_extension_date_outside_the_span_is_a_usage_error(desk: Desk) -> None:
    result = desk.run(
        "decide", P, "--task", "extension", "--point", "ndrc-1", "--accept", "--reason", "同意",
        "--until", "9999-12-31",
    )  # fmt: skip
    refused(result, 2, "--until", "时间范围")


# --- files --------------------------------------------------------------------------------


def points_file(folder: Path, body: str, name: str = "points.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("file", ["../../../../etc/passwd", "/etc/hostname", "sub/../../x.txt"])
def test_a_points_file_may_not_name_a_file_outside_its_folder(tmp_path: Path, file: str) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    path = points_file(
        tmp_path / "batch", f"points:\n  - {{unit: eic, title: 甲, file: '{file}'}}\n"
    )
    with pytest.raises(InputFileError, match="不在批量登记文件所在的目录") as info:
        read_points_file(path)
    assert info.value.path == f"{path}:2"


def test_a_points_file_may_not_reach_out_through_a_link(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "shadow").symlink_to("/etc/passwd")
    path = points_file(batch, "points:\n  - {unit: eic, title: 甲, file: shadow}\n")
    with pytest.raises(InputFileError, match="不在批量登记文件所在的目录"):
        read_points_file(path)


def test_a_points_file_may_name_a_file_beside_it(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    (batch / "docs").mkdir(parents=True)
    (batch / "docs" / "a.pdf").write_bytes(b"%PDF")
    path = points_file(batch, "points:\n  - {unit: eic, title: 甲, file: docs/a.pdf}\n")
    (point,) = read_points_file(path)
    assert point.file is not None
    assert point.file.read_bytes() == b"%PDF"


def test_a_points_file_may_not_name_a_fifo_or_a_folder(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    os.mkfifo(batch / "pipe")
    (batch / "folder").mkdir()
    for name, words in (("pipe", "不是普通文件"), ("folder", "目录")):
        path = points_file(batch, f"points:\n  - {{unit: eic, title: 甲, file: {name}}}\n")
        with pytest.raises(InputFileError, match=words):
            read_points_file(path)


def test_a_points_file_given_as_a_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="不是普通文件"):
        read_points_file(Path("/dev/zero"))


def test_a_csv_field_over_128_kb_is_refused_with_its_line(desk: Desk) -> None:
    path = desk.folder / "big.csv"
    path.write_text("unit,title\neic,甲\neic," + "长" * 140_000 + "\n", encoding="utf-8")
    refused(desk.run("enrol", P, "--from", str(path)), 1, f"{path}:3", "128 KB")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_submitting_a_device_is_refused_at_once(desk: Desk, device: str) -> None:
    before = desk.trail()
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", device)
    refused(desk.run(*args), 1, "不是普通文件")
    assert desk.trail() == before


def test_submitting_a_fifo_does_not_wait_for_a_writer(desk: Desk) -> None:
    fifo = desk.folder / "pipe"
    os.mkfifo(fifo)
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", str(fifo))
    refused(desk.run(*args), 1, "不是普通文件")


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept(desk: Desk) -> None:
    big = desk.inbox("big.txt", "大" * 400_000)  # 1.2 MB
    before, kept = desk.trail(), desk.documents()
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", str(big))
    refused(desk.run(*args, "--max-file-size", "1"), 1, "文件过大", "1.0 MB")
    refused(desk.run(*args, env={"DOCFLOW_MAX_UPLOAD_MB": "0.5"}), 1, "文件过大")
    assert desk.trail() == before
    assert desk.documents() == kept
    assert desk.run(*args, "--max-file-size", "2").exit_code == 0


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e308"])
def test_a_size_limit_that_is_not_a_size_is_a_usage_error(desk: Desk, value: str) -> None:
    file = str(desk.inbox("a.txt"))
    args = ("submit", P, "--unit", "eic", "--task", "call-for-points", "--file", file)
    refused(desk.run(*args, "--max-file-size", value), 2, "--max-file-size")


def test_the_documents_folder_refuses_a_file_that_grows_past_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 5000)
    folder = DocumentFolder(tmp_path / "documents", max_size=4096)
    with pytest.raises(FileTooLarge) as info:
        folder.store_file(source)
    assert (info.value.size, info.value.limit) == (5000, 4096)
    assert not [p for p in (tmp_path / "documents").rglob("*") if p.is_file()]


# --- ids and text -------------------------------------------------------------------------


@pytest.mark.parametrize("point_id", ["../../x", "a/b", "..", ".", "x" * 65, "甲-1", "a b", ""])
def test_unsafe_point_ids_are_refused(point_id: str) -> None:
    with pytest.raises(BadIdentifier) as info:
        check_point_id(point_id, "--id")
    assert info.value.value == point_id


@pytest.mark.parametrize("point_id", ["SD-01", "guangzhou-1", "a.b_c-9", "x" * 64])
def test_safe_point_ids_pass(point_id: str) -> None:
    assert check_point_id(point_id, "--id") == point_id


@pytest.mark.parametrize(
    "char",
    ["\x1b", "\r", "\n", "\t", "\x00", "\x7f", "\x9b", "\u202e", "\u202a", "\u2066", "\u2069",
     "\u200b", "\u200e", "\ufeff", "\u2028", "\u3164", "\udcff"],
)  # fmt: skip
def test_control_bidi_and_invisible_characters_are_refused(char: str) -> None:
    with pytest.raises(UnsafeText) as info:
        check_text(f"广州{char}市", "--title")
    assert (info.value.where, info.value.char, info.value.position) == ("--title", char, 3)


def test_ordinary_chinese_text_passes() -> None:
    text = "珠江三角洲产业结构优化升级（第一批）·示范工程 A-1"
    assert check_text(text, "--title") == text


@pytest.mark.parametrize(
    ("option", "args"),
    [
        ("--title", ("enrol", P, "--unit", "eic", "--title", "标题\x1b]0;pwned\x07")),
        ("--unit", ("enrol", P, "--unit", "eic\u202e", "--title", "标题")),
        ("--id", ("enrol", P, "--unit", "eic", "--title", "标题", "--id", "../../x")),
        ("--reason", ("decide", P, "--task", "screen", "--point", "ndrc-1", "--accept",
                      "--reason", "同意\r已驳回")),
        ("--point", ("decide", P, "--task", "screen", "--point", "ndrc-1\u200b", "--accept",
                     "--reason", "同意")),
        ("--unit", ("status", P, "--unit", "eic\x1b[2J")),
    ],
    ids=lambda v: v if isinstance(v, str) else v[0],
)  # fmt: skip
def test_unsafe_text_on_the_command_line_is_refused_naming_the_option(
    desk: Desk, option: str, args: tuple[str, ...]
) -> None:
    before = desk.trail()
    message = refused(desk.run(*args), 1, option)
    assert "\x1b" not in message
    assert "\r" not in message
    assert desk.trail() == before


def test_unsafe_text_in_a_points_file_names_its_line(tmp_path: Path) -> None:
    path = points_file(
        tmp_path,
        'points:\n  - {unit: eic, title: 甲}\n  - {unit: eic, title: "乙\\u202e丙"}\n',
    )
    with pytest.raises(UnsafeText) as info:
        read_points_file(path)
    assert info.value.where == f"{path}:3 的 title"


def test_an_unsafe_id_in_a_points_file_names_its_line(tmp_path: Path) -> None:
    path = points_file(tmp_path, "unit,title,id\neic,甲,eic-1\neic,乙,../x\n", "points.csv")
    with pytest.raises(BadIdentifier) as info:
        read_points_file(path)
    assert info.value.where == f"{path}:3 的 id"
