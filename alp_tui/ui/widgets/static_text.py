"""Updating a :class:`~textual.widgets.Static` without redrawing (or re-laying out) for nothing.

``Static.update`` always repaints and, by default, asks for a layout pass of the whole screen
(~35 ms at 160x48 on a 2-core box). Panes that rewrite a status line on every answer would
pay that many times a minute for text that did not change (issue #12, CPU at rest).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["set_static_text"]

_LAST = "_alp_static_text"


def _shape(content: str | Text) -> tuple[int, int]:
    """Lines and the widest line's cells: what a ``Static``'s auto size follows."""
    text = content if isinstance(content, Text) else Text(content)
    lines = text.plain.split("\n")
    return len(lines), max((Text(line).cell_len for line in lines), default=0)


def set_static_text(widget: Static, content: str | Text, *, layout: bool | None = None) -> bool:
    """Show ``content`` in ``widget`` unless it already shows exactly that; returns whether
    it was updated. A layout pass is asked only when the text's shape (lines, widest line)
    changed, since only then can an auto-sized widget change size (``layout=False``: never,
    for a widget of fixed size)."""
    last: tuple[str | Text, tuple[int, int]] | None = getattr(widget, _LAST, None)
    if last is not None and type(last[0]) is type(content) and last[0] == content:
        return False
    shape = _shape(content)
    if layout is None:
        layout = last is None or last[1] != shape
    widget.update(content, layout=layout)
    setattr(widget, _LAST, (content.copy() if isinstance(content, Text) else content, shape))
    return True
