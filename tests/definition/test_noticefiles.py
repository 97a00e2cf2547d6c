"""Where a programme's notice templates are found, and which files a kind pulls in."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, meta

from engine.definition.noticefiles import (
    default_notice_folder,
    find_template,
    kind_files,
    notice_folders,
    templates_used,
)
from engine.delivery.notices import KINDS


def test_the_files_a_kind_pulls_in_are_those_jinja_finds() -> None:
    folder = default_notice_folder()
    env = Environment()
    expected: set[str] = set()
    waiting = [name for kind in KINDS for name in kind_files(kind)]
    while waiting:
        name = waiting.pop()
        if name not in expected:
            expected.add(name)
            ast = env.parse((folder / name).read_text(encoding="utf-8"))
            waiting.extend(r for r in meta.find_referenced_templates(ast) if r)

    assert set(templates_used(KINDS, (folder,))) == expected


def test_a_programmes_own_template_comes_before_the_default(tmp_path: Path) -> None:
    (tmp_path / "notices").mkdir()
    own = tmp_path / "notices" / "urge.txt.j2"
    own.write_text("自定\n", encoding="utf-8")
    folders = notice_folders(tmp_path)

    assert folders == (tmp_path / "notices", default_notice_folder())
    assert find_template(folders, "urge.txt.j2") == own
    assert find_template(folders, "urge.html.j2") == default_notice_folder() / "urge.html.j2"


def test_a_template_found_nowhere_is_recorded_as_missing(tmp_path: Path) -> None:
    used = templates_used(["circular"], notice_folders(tmp_path))

    assert used == dict.fromkeys(kind_files("circular"))
