"""Where a programme's notice templates are: its own ``notices/`` folder over the defaults.

The default templates are the project's top-level ``notices/`` folder. An installed wheel
carries them as the package data ``engine/notices/`` (``pyproject.toml`` maps the folder
there), found through ``importlib.resources``; a checkout or an editable install reads the
folder itself. A programme folder may hold a ``notices/`` folder of its own: a template there
replaces the default of the same name (``urge.txt.j2``, or a shared piece such as
``_contacts.txt.j2``), the others still come from the defaults.

A notice *kind* is three files, ``{kind}.subject.j2``, ``{kind}.txt.j2`` and
``{kind}.html.j2``; ``templates_used`` follows their ``{% extends %}``, ``{% include %}``,
``{% import %}`` and ``{% from %}`` of literal names to every file a kind pulls in, without
loading Jinja (a command that only checks the pin should not pay for it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from engine.definition.schema import Programme

__all__ = [
    "NOTICE_PARTS",
    "PROGRAMME_NOTICES",
    "default_notice_folder",
    "find_template",
    "kind_files",
    "notice_folders",
    "notice_kinds",
    "templates_used",
]

#: The folder inside a programme folder whose templates override the defaults.
PROGRAMME_NOTICES = "notices"

#: The three files of a notice kind, in the order they are rendered.
NOTICE_PARTS: tuple[str, ...] = ("subject", "txt", "html")

_REFERENCE = re.compile(r"\{%[-+]?\s*(?:extends|include|import|from)\s+(['\"])(?P<name>.+?)\1")


def default_notice_folder() -> Path:
    """The default templates: the wheel's ``engine/notices``, else the checkout's ``notices/``."""
    packaged = resources.files("engine") / "notices"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "notices"


def notice_folders(programme_folder: Path | None = None) -> tuple[Path, ...]:
    """The folders searched for a template, first match wins: the programme's, the defaults."""
    default = default_notice_folder()
    if programme_folder is None:
        return (default,)
    own = Path(programme_folder) / PROGRAMME_NOTICES
    if own.is_dir() and own.resolve() != default.resolve():
        return (own, default)
    return (default,)


def kind_files(kind: str) -> tuple[str, ...]:
    """The template names of a notice kind: subject, plain text, HTML."""
    return tuple(f"{kind}.{part}.j2" for part in NOTICE_PARTS)


def find_template(folders: Sequence[Path], name: str) -> Path | None:
    """The file that provides template ``name`` (the first folder holding it), if any."""
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def notice_kinds(programme: Programme) -> dict[str, tuple[str | int, ...]]:
    """Every notice kind the programme names, with the YAML path naming it first."""
    named: dict[str, tuple[str | int, ...]] = {}
    for i, name in enumerate(programme.notices):
        named.setdefault(name, ("notices", i))
    for i, policy in enumerate(programme.reminder_policies):
        named.setdefault(policy.notice_before, ("reminder_policies", i, "notice_before"))
        named.setdefault(policy.notice_overdue, ("reminder_policies", i, "notice_overdue"))
    return named


def templates_used(kinds: Iterable[str], folders: Sequence[Path]) -> dict[str, Path | None]:
    """Every template the kinds need, by name, with the file providing it (None: missing).

    Names are those Jinja loads them by; a template that cannot be read contributes no
    references (``docflow validate`` reports it).
    """
    found: dict[str, Path | None] = {}
    waiting = [name for kind in kinds for name in kind_files(kind)]
    while waiting:
        name = waiting.pop(0)
        if name in found:
            continue
        path = find_template(folders, name)
        found[name] = path
        if path is None:
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        waiting.extend(m["name"] for m in _REFERENCE.finditer(source))
    return dict(sorted(found.items()))
