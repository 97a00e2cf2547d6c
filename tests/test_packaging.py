"""What the wheel carries: every package of engine/ and the default notice templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

from engine.definition.noticefiles import default_notice_folder, kind_files
from engine.delivery.notices import KINDS

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def test_every_package_under_engine_is_listed_for_the_wheel() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "engine").rglob("__init__.py")
    }
    listed = set(_setuptools()["packages"])  # type: ignore[call-overload]
    assert found <= listed, f"pyproject.toml [tool.setuptools] packages lacks {found - listed}"


def test_the_wheel_maps_the_top_level_notices_folder_into_the_package() -> None:
    config = _setuptools()
    assert config["package-dir"] == {"engine.notices": "notices"}
    assert config["package-data"]["engine.notices"] == ["*.j2"]  # type: ignore[index]


def test_the_default_templates_are_the_checkouts_notices_folder() -> None:
    assert default_notice_folder() == ROOT / "notices"


def test_every_shipped_kind_has_its_three_templates_in_the_default_folder() -> None:
    folder = default_notice_folder()
    missing = [name for kind in KINDS for name in kind_files(kind) if not (folder / name).is_file()]
    assert missing == []
