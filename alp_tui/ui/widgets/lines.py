"""What the line-API widgets (book ladder, trade tape, chart canvas) share: an LRU cache of
rendered strips, a component's text style without its background, and a centred message;
and a border subtitle that repaints only the border line it is on.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["StripCache", "component_fg", "message_line", "set_border_subtitle"]


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


def set_border_subtitle(widget: Widget, markup: str) -> bool:
    """Show ``markup`` in ``widget``'s bottom border, repainting that line alone; returns
    whether it changed.

    Textual's ``border_subtitle`` setter refreshes the whole widget, and a refresh without a
    region renders every line of it again: a total that moves with every price (the
    balances strip's) would repaint the pane's every line once a second. This stores what
    the setter stores (Textual 8's ``_border_subtitle``, which its styles cache reads) and
    marks only the bottom line dirty; before the widget has a size it uses the setter.
    """
    if markup == widget.border_subtitle:
        return False
    outer = widget.outer_size
    border = widget.styles.border_bottom[0]
    if not widget.is_mounted or outer.height <= 0 or border in ("", "none", "hidden"):
        widget.border_subtitle = markup
        return True
    widget._border_subtitle = widget.render_str(markup).expand_tabs(4).split()[0]
    offset = widget.content_offset  # refresh regions are in content coordinates
    widget.refresh(Region(-offset.x, outer.height - 1 - offset.y, outer.width, 1))
    return True
