"""The last-price line drawn over a built chart's lines, so a price move costs no build.

A plotext build costs 7-45 ms (see PERF-NOTES); the live last price moves every second or
so. The pane builds the chart without the line (``ChartSpec(draw_last=False)``) and
:func:`with_last_price` puts it on the lines the canvas shows: dashes on the row's blank
cells of the plot area and over order lines (candles and order labels stay over them, as
plotext draws them), the label at the right end over everything — the cells and colours
plotext gives, in microseconds.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from alp_tui.ui.chart_render import (
    LAST_DASH_ANSI,
    LAST_LABEL_ANSI,
    LAST_MARKER,
    ChartBuild,
    last_price_label,
)

__all__ = ["with_last_price"]


def _style_of(ansi: str) -> Style | None:
    """The style :func:`~alp_tui.ui.widgets.chart_canvas.ansi_to_strips` gives text after
    ``ansi`` (the same console settings), so the overlay matches plotext's own line."""
    console = Console(width=10, color_system="truecolor", force_terminal=True)
    segments = [s for s in Text.from_ansi(ansi + "x").render(console, end="") if s.text]
    return segments[0].style


_DASH = _style_of(LAST_DASH_ANSI)
_LABEL = _style_of(LAST_LABEL_ANSI)


def with_last_price(strips: list[Strip], build: ChartBuild, price: Decimal,
                    places: int) -> list[Strip]:
    """``strips`` (a build's lines) with the labelled last-price line at ``price``; the
    same list when ``price`` is off the chart."""
    row = build.price_row(price)
    if row is None or row >= len(strips) or build.plot_columns <= 0:
        return strips
    cells = [(ch, seg.style) for seg in strips[row] for ch in seg.text]
    start = build.label_width + 1  # after the y labels and the axis
    end = min(len(cells), start + build.plot_columns)
    for col in range(start, end):
        if _free(*cells[col]):
            cells[col] = (LAST_MARKER, _DASH)
    label = last_price_label(price, places)
    for i, ch in enumerate(label):
        col = end - len(label) + i
        if start <= col < end:
            cells[col] = (ch, _LABEL)
    out = list(strips)
    out[row] = Strip(_segments(cells), len(cells))
    return out


def _free(ch: str, style: Style | None) -> bool:
    """A cell plotext draws the dashes over: blank (not inside a label, which has a
    background), or an order line (``hline`` is drawn before the dashes)."""
    if ch == "─":
        return True
    return ch == " " and (style is None or style.bgcolor is None)


def _segments(cells: list[tuple[str, Style | None]]) -> list[Segment]:
    """Cells back to segments, a run of one style per segment."""
    segments: list[Segment] = []
    text, style = "", None
    for ch, cell_style in cells:
        if text and cell_style != style:
            segments.append(Segment(text, style))
            text = ""
        text += ch
        style = cell_style
    if text:
        segments.append(Segment(text, style))
    return segments
