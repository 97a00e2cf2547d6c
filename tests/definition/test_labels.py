"""Every code the schema allows has its one Chinese label."""

from __future__ import annotations

import typing

from engine.definition import labels
from engine.definition.schema import Body, Transition


def literal_values(model: type, field: str) -> set[str]:
    annotation = model.model_fields[field].annotation  # type: ignore[attr-defined]
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    found: set[str] = set()
    for arg in typing.get_args(annotation):  # Literal[...] | None
        found |= {v for v in typing.get_args(arg) if isinstance(v, str)}
    return found


def test_every_body_kind_has_a_label() -> None:
    assert literal_values(Body, "kind") == set(labels.BODY_KIND_LABELS)


def test_every_outcome_takes_and_extension_has_a_label() -> None:
    assert literal_values(Transition, "outcome") == set(labels.OUTCOME_LABELS)
    assert literal_values(Transition, "takes") == set(labels.TAKES_LABELS)
    assert literal_values(Transition, "extension") == set(labels.EXTENSION_LABELS)


def test_colour_labels_are_built_from_one_table() -> None:
    assert labels.COLOUR_LABELS["red"] == "红灯（已逾期）"
    assert set(labels.COLOUR_LAMPS) == set(labels.COLOUR_MEANINGS) == set(labels.COLOUR_NAMES)
