"""The manifest a programme is pinned to: the parsed definition, its templates, its sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.definition.pin import Change, Manifest, build_manifest, definition_digest

PROGRAMME_DIR = Path(__file__).resolve().parents[2] / "workflows" / "gd-2011"


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    copy = tmp_path / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, copy)
    return copy


def rewrite(programme: Path, old: str, new: str) -> None:
    path = programme / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_comments_and_flow_style_do_not_change_the_definition_digest(programme: Path) -> None:
    before = load_definition(programme).content_sha256
    rewrite(
        programme,
        "{id: proposed, label: 已推荐, initial: true}",
        "{ initial: true,   label: 已推荐, id: proposed }   # 初始状态",
    )

    assert load_definition(programme).content_sha256 == before


def test_leaving_out_a_default_does_not_change_the_definition_digest(programme: Path) -> None:
    before = load_definition(programme).content_sha256
    rewrite(programme, "  timezone: Asia/Shanghai\n", "")

    assert load_definition(programme).content_sha256 == before


def test_a_changed_label_changes_the_definition_digest(programme: Path) -> None:
    before = load_definition(programme).content_sha256
    rewrite(programme, "label: 已推荐,", "label: 已推荐（待初选）,")

    assert load_definition(programme).content_sha256 != before


def test_the_manifest_covers_every_template_of_the_programmes_kinds_and_its_source_text() -> None:
    manifest = load_definition(PROGRAMME_DIR).manifest()

    assert set(manifest.sources) == {"notice.txt"}
    assert {"urge.subject.j2", "urge.txt.j2", "urge.html.j2"} <= set(manifest.templates)
    assert {"_base.html.j2", "_contacts.txt.j2", "_contacts.html.j2"} <= set(manifest.templates)
    assert all(manifest.templates.values())


def test_a_missing_template_is_recorded_as_none(programme: Path) -> None:
    definition = load_definition(programme)
    rewrite(programme, "notice_overdue: urge", "notice_overdue: circular")
    changed = load_definition(programme)

    manifest = changed.manifest()

    assert manifest.templates["circular.txt.j2"] is None
    assert manifest.changes_since(definition.manifest())[0] == Change("definition")


def test_the_manifest_round_trips_through_its_canonical_json() -> None:
    manifest = load_definition(PROGRAMME_DIR).manifest()

    again = Manifest.from_json(manifest.to_json())

    assert again == manifest
    assert again.sha256 == manifest.sha256


@pytest.mark.parametrize("data", [b"", b"[]", b'{"version": 99}', "定义".encode("gbk")])
def test_bytes_that_are_not_a_manifest_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="manifest"):
        Manifest.from_json(data)


def test_changes_are_named_in_chinese_definition_first() -> None:
    old = Manifest("a", {"urge.txt.j2": "1", "_base.html.j2": "2"}, {"notice.txt": "3"})
    new = Manifest("b", {"urge.txt.j2": "9", "_base.html.j2": "2"}, {"notice.txt": "8"})

    changes = new.changes_since(old)

    assert [str(c) for c in changes] == ["定义内容", "通知模板 urge.txt.j2", "出处文件 notice.txt"]


def test_build_manifest_reads_the_files_as_they_are_now(programme: Path) -> None:
    definition = load_definition(programme)
    before = build_manifest(definition.programme, programme)
    (programme / "notice.txt").write_text("另一份原文\n", encoding="utf-8")

    after = build_manifest(definition.programme, programme, definition_digest(definition.programme))

    assert after.changes_since(before) == (Change("source", "notice.txt"),)


#: The 2011 programme's definition digest before ``programme.item`` was added to the schema
#: (as computed at commit eb8624e): a store pinned then must not see its definition changed.
GD_2011_DIGEST = "e777a4269cf012e9855725f674e16be5d409430eaca4960c07410a9844c50077"


def test_fields_added_later_leave_the_2011_digest_as_it_was() -> None:
    definition = load_definition(PROGRAMME_DIR)
    assert definition.programme.programme.item == "突破点"
    assert definition_digest(definition.programme) == GD_2011_DIGEST


def test_writing_a_later_field_s_default_out_changes_nothing(programme: Path) -> None:
    rewrite(programme, "  year: 2011\n", "  year: 2011\n  item: 突破点\n")
    assert definition_digest(load_definition(programme).programme) == GD_2011_DIGEST
    rewrite(programme, "  item: 突破点\n", "  item: 项目\n")
    assert definition_digest(load_definition(programme).programme) != GD_2011_DIGEST


def test_a_rectify_within_written_changes_the_2011_digest(tmp_path: Path) -> None:
    from tests.runtime.test_rectify import rectifying_programme

    changed = load_definition(rectifying_programme(tmp_path))
    assert definition_digest(changed.programme) != GD_2011_DIGEST
