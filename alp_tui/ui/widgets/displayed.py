"""Whether a widget is displayed: it and every container above it (a closed tab's pane and
the account strip's twin at a small size are not)."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget

__all__ = ["displayed"]


def displayed(widget: Any) -> bool:
    """``widget`` and its containers are all displayed (anything not a widget counts as
    displayed). Cheaper than asking the screen's map: a hidden widget is not in it, and
    asking rebuilds the map of the whole screen (~4 ms at 160x48)."""
    node = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True
