"""What a programme running in the store is pinned to: everything that makes its mail.

The pin is not the hash of ``programme.yaml``'s bytes - a comment or a re-indented line
changes nothing a unit receives - but of a *manifest*::

    {"version": 1,
     "definition": sha256 of the validated programme as canonical JSON,
     "templates": {"urge.txt.j2": sha256, "_contacts.txt.j2": sha256, ...},
     "sources": {"notice.txt": sha256}}

``definition`` covers every value of the checked model (defaults included, so writing out a
default changes nothing), except the fields added to the schema after pins were first taken
(``LATER_FIELDS``), left out while they hold their default: a programme that does not use
such a field keeps the pin it had, and writing its default out still changes nothing; ``templates`` every notice template the programme's kinds use,
shared pieces included, as its folders provide them (``engine.definition.noticefiles``);
``sources`` every source text the definition cites (``programme.documents[].text_file``). A
missing file is recorded as ``null``. The manifest is written as canonical JSON (sorted keys,
no spaces, UTF-8) and the pin is the SHA-256 of those bytes, so that the store can keep the
manifest itself as a content-addressed document and say later what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.definition.noticefiles import notice_folders, notice_kinds, templates_used
from engine.definition.schema import Programme

__all__ = [
    "LATER_FIELDS",
    "MANIFEST_VERSION",
    "Change",
    "Manifest",
    "build_manifest",
    "definition_digest",
]

MANIFEST_VERSION = 1

_LABELS = {
    "definition": "定义内容",
    "template": "通知模板 {name}",
    "source": "出处文件 {name}",
    "file": "定义文件 {name}",
}


@dataclass(frozen=True, order=True)
class Change:
    """One thing that differs from the pinned manifest; ``str()`` names it in Chinese.

    ``what`` is ``definition`` (the parsed programme), ``template`` or ``source`` (``name``
    is the file), or ``file``: the store holds the older pin of the YAML file's bytes, which
    cannot say more than that the file changed.
    """

    what: Literal["definition", "template", "source", "file"]
    name: str = ""

    def __str__(self) -> str:
        return _LABELS[self.what].format(name=self.name)


#: Fields added to the schema after the first pins, as paths of keys from the programme's
#: root (``*``: every entry of a list): the digest leaves each out while it holds its default.
LATER_FIELDS: tuple[tuple[str, ...], ...] = (
    ("programme", "item"),
    ("relations",),
    ("points", "transitions", "*", "rectify_within"),
    ("reminder_policies", "*", "leadership"),
    ("reports",),
)


def _without_later_defaults(programme: Programme) -> dict[str, Any]:
    dumped: dict[str, Any] = programme.model_dump(mode="json")
    for path in LATER_FIELDS:
        _drop_default(programme, dumped, path)
    return dumped


def _drop_default(model: Any, holder: Any, path: tuple[str, ...]) -> None:
    key, rest = path[0], path[1:]
    if key == "*":
        for item, dumped in zip(model, holder, strict=True):
            _drop_default(item, dumped, rest)
    elif rest:
        _drop_default(getattr(model, key), holder[key], rest)
    else:
        field = type(model).model_fields[key]
        if getattr(model, key) == field.get_default(call_default_factory=True):
            del holder[key]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def definition_digest(programme: Programme) -> str:
    """SHA-256 of the validated programme as canonical JSON: content, not comments or layout."""
    return hashlib.sha256(_canonical(_without_later_defaults(programme))).hexdigest()


def _file_digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Manifest:
    """The parts a programme is pinned to, each by its SHA-256 (``None``: file missing)."""

    definition: str
    templates: Mapping[str, str | None] = field(default_factory=dict)
    sources: Mapping[str, str | None] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """The canonical bytes the pin is the hash of."""
        return _canonical(
            {
                "version": MANIFEST_VERSION,
                "definition": self.definition,
                "templates": dict(self.templates),
                "sources": dict(self.sources),
            }
        )

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest written by ``to_json``; ``ValueError`` if it is not one."""
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a definition manifest: {exc}") from exc
        if not isinstance(value, dict) or value.get("version") != MANIFEST_VERSION:
            raise ValueError("not a definition manifest of a known version")
        templates, sources = value.get("templates"), value.get("sources")
        if not isinstance(value.get("definition"), str) or not (
            isinstance(templates, dict) and isinstance(sources, dict)
        ):
            raise ValueError("a definition manifest lacks its parts")
        return cls(value["definition"], templates, sources)

    def changes_since(self, old: Manifest) -> tuple[Change, ...]:
        """What differs from ``old``: the definition first, then templates, then sources."""
        found: list[Change] = []
        if self.definition != old.definition:
            found.append(Change("definition"))
        for kind, now, then in (
            ("template", self.templates, old.templates),
            ("source", self.sources, old.sources),
        ):
            for name in sorted(set(now) | set(then)):
                if now.get(name) != then.get(name):
                    found.append(Change(kind, name))  # type: ignore[arg-type]
        return tuple(found)


def build_manifest(programme: Programme, folder: Path, digest: str | None = None) -> Manifest:
    """The manifest of the programme in ``folder``, its files read now.

    ``digest`` is the programme's ``definition_digest`` when the caller has it already.
    """
    folders = notice_folders(folder)
    used = templates_used(notice_kinds(programme), folders)
    templates = {name: _file_digest(path) for name, path in used.items()}
    sources = {
        doc.text_file: _file_digest(folder / doc.text_file)
        for doc in programme.programme.documents
        if doc.text_file is not None
    }
    return Manifest(
        definition=digest if digest is not None else definition_digest(programme),
        templates=dict(sorted(templates.items())),
        sources=dict(sorted(sources.items())),
    )
