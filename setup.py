"""The wheel's packages: everything under engine/, and the notice templates as engine.notices.

The default notice templates stay in the top-level notices/ folder, where administrators edit
them; the wheel carries them as the package data engine/notices/ (found at run time by
engine.definition.noticefiles). The rest of the build is configured in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

NOTICES = {"engine.notices": "notices"}


def packages() -> list[str]:
    """engine and every folder under it (as pyproject's package discovery finds them), then
    the mapped notices folder."""
    return [*find_namespace_packages(include=["engine*"]), *NOTICES]


if __name__ == "__main__":
    setup(packages=packages(), package_dir=NOTICES)
