"""What a string must be to be stored and sent back: UTF-8 encodable, no NUL, bounded.

JSON lets a client send a lone surrogate (``"\\ud800"``) that Python reads into a ``str``
but that no UTF-8 writer (the state file, the response encoder) can write; a NUL breaks
C-string consumers. Every free-text field the simulator keeps (client order ids, notes,
withdrawal attributes, names) passes :func:`text_problem` first.
"""

from __future__ import annotations

from alp_tui.sim.errors import SimError

MAX_TEXT = 256


def text_problem(value: str, max_len: int = MAX_TEXT) -> str | None:
    """Why ``value`` can't be stored (a sentence for the field), or None when it can."""
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    if "\x00" in value:
        return "must not contain NUL"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def check_text(field: str, value: str, max_len: int = MAX_TEXT) -> str:
    """``value`` unchanged, or a 400 naming ``field``."""
    problem = text_problem(value, max_len)
    if problem is not None:
        raise SimError.field(field, problem)
    return value
