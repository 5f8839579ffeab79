"""What the line-API widgets (book ladder, trade tape, chart canvas) share: an LRU cache of
rendered strips, a component's text style without its background, and a centred message.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["StripCache", "component_fg", "message_line"]


class StripCache:
    """Rendered strips by key, least recently used dropped past ``size``.

    Keys carry everything a strip depends on (row content, width, geometry, flash phase);
    the owner clears the cache when its styles change (``notify_style_update``).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._strips: OrderedDict[Hashable, Strip] = OrderedDict()

    def __len__(self) -> int:
        return len(self._strips)

    def get(self, key: Hashable, render: Callable[[], Strip]) -> Strip:
        """The cached strip for ``key``, or ``render()`` cached under it."""
        strip = self._strips.get(key)
        if strip is None:
            strip = render()
            self._strips[key] = strip
            if len(self._strips) > self.size:
                self._strips.popitem(last=False)
        else:
            self._strips.move_to_end(key)
        return strip

    def clear(self) -> None:
        """Forget every strip (theme or CSS changed, or the content was replaced)."""
        self._strips.clear()


def component_fg(widget: Widget, name: str) -> Style:
    """A component's text colour and attributes, without its background."""
    full = widget.get_component_rich_style(name)
    partial = widget.get_component_rich_style(name, partial=True)
    return Style(color=full.color) + partial.without_color


def message_line(widget: Widget, y: int, text: str, style: Style) -> Strip:
    """Line ``y`` of a widget showing only ``text``, centred on its middle line."""
    width = widget.size.width
    if y == max(0, (widget.size.height - 1) // 2):
        return Strip([Segment(text.center(width)[:width], style)], width)
    return Strip.blank(width, widget.rich_style)
