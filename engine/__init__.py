"""docflow: runs a government work programme from its documents.

The public API, for embedding the engine in Python::

    import engine

    with engine.Programme.open("workflows/gd-2011", db="docflow.db", create=True) as gd:
        gd.enrol([engine.NewPoint("guangzhou", "广州市汽车产业转型升级")])
        print(gd.status()["points"])

Names are imported on first use (PEP 562), so that ``docflow`` commands that need little of
the engine do not pay for all of it at start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Programme": "engine.app",
    "NewPoint": "engine.app",
    "MailSettings": "engine.app",
    "verify_store": "engine.app",
    "Definition": "engine.definition.loader",
    "load_definition": "engine.definition.loader",
    "Clock": "engine.clock",
    "FixedClock": "engine.clock",
    "ScaledClock": "engine.clock",
    "SystemClock": "engine.clock",
    "VirtualClock": "engine.clock",
    "choose_clock": "engine.clock",
    "DocflowError": "engine.errors",
    "DefinitionError": "engine.errors",
    "DefinitionChanged": "engine.errors",
    "Refused": "engine.errors",
    "StoreError": "engine.errors",
    "TrailBroken": "engine.errors",
}

__all__ = [
    "Clock",
    "Definition",
    "DefinitionChanged",
    "DefinitionError",
    "DocflowError",
    "FixedClock",
    "MailSettings",
    "NewPoint",
    "Programme",
    "Refused",
    "ScaledClock",
    "StoreError",
    "SystemClock",
    "TrailBroken",
    "VirtualClock",
    "__version__",
    "choose_clock",
    "load_definition",
    "verify_store",
]

if TYPE_CHECKING:
    from engine.app import MailSettings, NewPoint, Programme, verify_store
    from engine.clock import (
        Clock,
        FixedClock,
        ScaledClock,
        SystemClock,
        VirtualClock,
        choose_clock,
    )
    from engine.definition.loader import Definition, load_definition
    from engine.errors import (
        DefinitionChanged,
        DefinitionError,
        DocflowError,
        Refused,
        StoreError,
        TrailBroken,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
