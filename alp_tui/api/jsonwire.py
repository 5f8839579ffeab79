"""JSON with exact decimals, shared by the client (request bodies) and the simulator
(responses). Textual-free; the simulator may import it, it imports nothing of the sim.

:func:`dumps_exact` writes a ``Decimal`` with exactly its digits, through ``format(d, "f")``
(no exponent, trailing zeros kept, never a binary float), enums as their wire values, and
any ``Mapping``/``list``/``tuple`` structurally. What is not plain JSON is the caller's
policy: ``decimal`` turns a ``Decimal`` into its JSON text (the client refuses a non-finite
one, the simulator writes ``null``), ``other`` turns anything else (floats included) into
its JSON text or raises.

:func:`loads` is the lenient reader for answers: every non-integer number becomes an exact
``Decimal``. (The simulator reads request bodies more strictly: ``alp_tui.sim.wire``.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["dumps_exact", "json_string", "loads"]

json_string = json.JSONEncoder(ensure_ascii=False).encode
"""A ``str`` as JSON text (non-ASCII kept as is)."""


def loads(raw: bytes | str) -> Any:
    """Decode JSON keeping every non-integer number as an exact ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def dumps_exact(value: Any, *, decimal: Callable[[Decimal], str],
                other: Callable[[Any], str]) -> bytes:
    """Compact UTF-8 JSON for ``value``; see the module docstring for ``decimal``/``other``."""
    out: list[str] = []

    def encode(item: Any) -> None:
        if item is None:
            out.append("null")
        elif item is True:
            out.append("true")
        elif item is False:
            out.append("false")
        elif isinstance(item, Enum):
            encode(item.value)
        elif isinstance(item, str):
            out.append(json_string(item))
        elif isinstance(item, int):
            out.append(str(int(item)))
        elif isinstance(item, Decimal):
            out.append(decimal(item))
        elif isinstance(item, Mapping):
            out.append("{")
            for i, (key, inner) in enumerate(item.items()):
                if i:
                    out.append(",")
                out.append(json_string(str(key.value if isinstance(key, Enum) else key)))
                out.append(":")
                encode(inner)
            out.append("}")
        elif isinstance(item, list | tuple):
            out.append("[")
            for i, inner in enumerate(item):
                if i:
                    out.append(",")
                encode(inner)
            out.append("]")
        else:
            out.append(other(item))

    encode(value)
    return "".join(out).encode()
