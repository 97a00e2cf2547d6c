"""What the wheel carries: every package of engine/ and the default notice templates."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path
from typing import Any

from engine.definition.noticefiles import default_notice_folder, kind_files
from engine.delivery.notices import KINDS

ROOT = Path(__file__).resolve().parents[1]


def _setup_py() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "setup.py"), run_name="setup_config")


def test_every_package_under_engine_goes_into_the_wheel() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "engine").rglob("__init__.py")
    }
    assert found <= set(_setup_py()["packages"]())


def test_the_wheel_maps_the_top_level_notices_folder_into_the_package() -> None:
    setup = _setup_py()
    with open(ROOT / "pyproject.toml", "rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]

    assert "engine.notices" in setup["packages"]()
    assert setup["NOTICES"] == {"engine.notices": "notices"}
    assert package_data["engine.notices"] == ["*.j2"]


def test_the_default_templates_are_the_checkouts_notices_folder() -> None:
    assert default_notice_folder() == ROOT / "notices"


def test_every_shipped_kind_has_its_three_templates_in_the_default_folder() -> None:
    folder = default_notice_folder()
    missing = [name for kind in KINDS for name in kind_files(kind) if not (folder / name).is_file()]
    assert missing == []
