"""The shipped JSON Schema (``schema/programme.schema.json``) is what the models say.

Regenerate it with ``docflow schema --out schema/programme.schema.json``. ``jsonschema`` is not
a dependency, so a small checker below covers the keywords the exported schema uses; it is
enough to show that an editor using the schema accepts the programmes docflow accepts.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.definition.jsonschema import SCHEMA_ID, programme_json_schema
from engine.definition.schema import Programme
from engine.definition.yamlio import read_yaml

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "schema" / "programme.schema.json"
GD2011 = REPO / "workflows" / "gd-2011" / "programme.yaml"
MINIMAL = Path(__file__).parent / "valid" / "minimal.yaml"
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


def test_the_shipped_schema_is_up_to_date() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == programme_json_schema(), (
        "schema/programme.schema.json is stale: run "
        "docflow schema --out schema/programme.schema.json"
    )


def test_the_schema_command_prints_the_same_text() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == programme_json_schema()


def test_the_schema_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "programme.schema.json"
    result = CliRunner().invoke(cli, ["schema", "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


def test_the_schema_is_json_with_the_programme_properties(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert set(schema["properties"]) == set(Programme.model_fields)
    assert set(schema["required"]) == {"programme", "bodies", "phases", "points"}
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_the_2011_programme_points_at_the_shipped_schema() -> None:
    first = GD2011.read_text(encoding="utf-8").splitlines()[0]
    match = _MODELINE.match(first)
    assert match, first
    assert match[1] == "../../schema/programme.schema.json"
    assert (GD2011.parent / match[1]).resolve() == SHIPPED.resolve()


# -- a small checker for the keywords the exported schema uses ------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        schema = root["$defs"][ref.removeprefix("#/$defs/")]
    return schema


def _type_ok(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str | date),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


def problems(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    """Why ``value`` does not match ``schema`` (empty when it does)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        options = [problems(value, option, root, at) for option in schema["anyOf"]]
        return [] if any(not p for p in options) else [f"{at}: no option of anyOf matches"]
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None and not _type_ok(value, kind):
        return [f"{at}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} != {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            found.append(f"{at}: too short")
        if len(value) > schema.get("maxLength", len(value)):
            found.append(f"{at}: too long")
    if isinstance(value, date):
        assert schema.get("format") in ("date", None), at
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            found.append(f"{at}: {value} out of range")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{at}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            found += problems(item, schema.get("items", {}), root, f"{at}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{at}: missing {key}")
        for key, item in value.items():
            if key in properties:
                found += problems(item, properties[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{at}: unknown key {key}")
    return found


@pytest.mark.parametrize("path", [GD2011, MINIMAL], ids=["gd-2011", "minimal"])
def test_valid_programmes_match_the_schema(schema: dict[str, Any], path: Path) -> None:
    data, _ = read_yaml(path.read_text(encoding="utf-8"), str(path))
    assert problems(data, schema, schema) == []


def test_the_schema_rejects_what_the_loader_rejects(schema: dict[str, Any]) -> None:
    data, _ = read_yaml(MINIMAL.read_text(encoding="utf-8"), "minimal.yaml")
    data["bodies"][1]["kind"] = "ministry"
    data["points"]["states"][0]["colour"] = "red"
    data["points"]["transitions"][0]["source"] = "Proposed"
    data["programme"].pop("title")
    found = problems(data, schema, schema)
    assert any(".bodies[1].kind" in p for p in found)
    assert any("unknown key colour" in p for p in found)
    assert any(".points.transitions[0].source" in p for p in found)
    assert any("missing title" in p for p in found)
