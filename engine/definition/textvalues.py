"""The one-line text and e-mail values of the programme definition (``schema`` uses them).

Line breaks and other control characters: a name with one could end a mail header early
(header injection) or break a table row, so names, labels and phrases are single lines.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

__all__ = ["Email", "Line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _single_line(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise PydanticCustomError(
            "single_line",
            "must be one line without control characters",
            {"char": f"U+{ord(found.group()):04X}", "at": found.start() + 1},
        )
    return value


def _email_address(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("email_address", "not an e-mail address", {})
    return value


#: A name, label or phrase: one line of text, no control characters.
Line = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        # For editors checking as the administrator types (JSON Schema regex dialect).
        json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$"},
    ),
    AfterValidator(_single_line),
]
#: An e-mail address (``local@domain``, ASCII), as mail headers take it.
Email = Annotated[
    str,
    Field(min_length=3, max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_single_line),
    AfterValidator(_email_address),
]
