"""Pure candlestick chart builder on plotext 5: no textual, safe to run in a thread.

:func:`build_chart` turns candles into an ANSI string (price pane with candles, last-price
line, order lines and cursor; a volume pane below sharing the same x mapping; a time axis).
Candles are fitted to the width: only the last N candles that get ``columns_per_candle``
columns each are drawn, never several in one column.

Money stays ``Decimal``: axis labels are formatted from Decimals; plotext gets floats only as
plotting coordinates. plotext keeps global state, so every build holds :data:`PLOTEXT_LOCK`.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import plotext as plt

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import Candle
from alp_tui.services.format import format_compact, format_decimal

__all__ = [
    "PLOTEXT_LOCK",
    "ChartBuild",
    "ChartSpec",
    "OrderLine",
    "build_chart",
    "candle_at",
    "fit_candle_count",
    "last_price_label",
    "nice_ticks",
    "strip_ansi",
]

PLOTEXT_LOCK = threading.Lock()
"""Held around every use of plotext's module-level figure."""

FRAME_COLUMNS = 2
"""Columns plotext spends on the left and right frame lines around the plot area."""

MIN_WIDTH = 20
MIN_HEIGHT = 8

_UP = "green"
_DOWN = "red"
_LAST = "orange+"  # bright yellow (plotext 5 has no "yellow": it drew uncoloured)
LAST_DASH_ANSI = "\x1b[38;5;11m"
LAST_LABEL_ANSI = "\x1b[48;5;11m\x1b[38;5;0m"
"""What plotext writes for the last-price line's dashes and label (for the overlay)."""
_CURSOR = "gray"
_BUY_ORDER = "green"
_SELL_ORDER = "red"
_ANY_ORDER = "blue"
LAST_MARKER = "╌"
"""The last-price line is dashed: solid lines are order lines, and the axis' ticks."""
_LABEL_TEXT = "black"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One of the user's open orders, drawn as a horizontal line at its price.

    ``side`` None (unknown) draws the line in a neutral colour.
    """

    side: OrderSide | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """Everything a build depends on; equal specs give equal charts (the cache key)."""

    width: int
    height: int
    candles: tuple[Candle, ...]
    data_version: int
    price_precision: int
    amount_precision: int
    interval_minutes: int
    cursor: int | None = None
    order_lines: tuple[OrderLine, ...] = ()
    columns_per_candle: int = 2
    last_price: Decimal | None = None
    """The live last price (the header's) for the labelled line; None: the last close.
    The price range always includes it."""
    draw_last: bool = True
    """False: the last-price line is left out (the pane draws it over the build with
    :func:`~alp_tui.ui.chart_overlay.with_last_price`, so a price move costs no build)."""

    def key(self) -> tuple[object, ...]:
        """Hashable identity of the picture (candles identified by ``data_version``)."""
        return (
            self.width,
            self.height,
            self.data_version,
            self.price_precision,
            self.amount_precision,
            self.interval_minutes,
            self.cursor,
            self.order_lines,
            self.columns_per_candle,
            self.last_price,
            self.draw_last,
        )


@dataclass(frozen=True, slots=True)
class ChartBuild:
    """A finished chart: ANSI text plus which candles it shows."""

    ansi: str
    first: int
    """Index (into ``ChartSpec.candles``) of the leftmost candle drawn."""
    count: int
    """How many candles are drawn."""
    plot_columns: int = 0
    """Width of the plot area in columns."""
    label_width: int = 0
    """Width of the y-axis labels; the plot area starts one column (the axis) after them."""
    columns_per_candle: int = 2
    """Columns per candle slot; candle i sits at plot column ``cpc * i + cpc // 2``."""
    notes: tuple[str, ...] = field(default=())
    """Short remarks, e.g. orders whose price is off the chart."""
    price_rows: int = 0
    """Lines of the price pane (the top frame, then the plot's rows)."""
    y_lo: float = 0.0
    y_hi: float = 0.0
    """The price pane's y range (plotting coordinates, not money)."""

    def price_row(self, price: Decimal) -> int | None:
        """The line a horizontal line at ``price`` lands on (plotext's own mapping:
        ``floor(0.5 + (rows - 1) * fraction)`` from the bottom), or None off the chart."""
        rows = self.price_rows
        if rows < 3 or self.y_hi <= self.y_lo:
            return None
        fraction = (float(price) - self.y_lo) / (self.y_hi - self.y_lo)
        from_bottom = math.floor(round(0.5 + (rows - 1) * fraction, 8))
        if not 0 <= from_bottom < rows:
            return None
        # The plot's lowest row is cut to leave room for the volume pane: one row up.
        return min(rows - from_bottom, rows - 1)


def candle_at(build: ChartBuild, x: int) -> int | None:
    """Index (into the spec's candles) of the candle whose slot holds column ``x``."""
    if build.count <= 0:
        return None
    column = x - build.label_width - 1
    if column < 0 or column >= build.plot_columns:
        return None
    slot = column // max(1, build.columns_per_candle)
    return build.first + slot if slot < build.count else None


def fit_candle_count(
    width: int, label_width: int, available: int, columns_per_candle: int = 2
) -> int:
    """How many candles fit: one slot of ``columns_per_candle`` columns each."""
    plot_columns = width - label_width - FRAME_COLUMNS
    if plot_columns <= 0:
        return 0
    return max(0, min(available, plot_columns // max(1, columns_per_candle)))


_NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def nice_ticks(low: Decimal, high: Decimal, max_ticks: int) -> list[Decimal]:
    """Round tick values (1, 2, 2.5, 5 × 10^k steps) inside ``[low, high]``."""
    if max_ticks < 2 or high <= low:
        return [low]
    raw = (high - low) / (max_ticks - 1)
    exponent = raw.adjusted()
    scale = Decimal(1).scaleb(exponent)
    step = next((s * scale for s in _NICE_STEPS if s * scale >= raw), 10 * scale)
    first = (low / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks: list[Decimal] = []
    value = first
    while value <= high and len(ticks) <= max_ticks:
        ticks.append(value)
        value += step
    return ticks or [low]


def _tick_places(ticks: Sequence[Decimal], precision: int) -> int:
    """Decimals needed to show ``ticks`` exactly, at most the pair's precision."""
    needed = 0
    for tick in ticks:
        exponent = tick.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            needed = max(needed, -exponent)
    return min(max(0, precision), needed)


def _time_format(interval_minutes: int, span_seconds: int) -> str:
    """Dates for daily candles; month-day and time when intraday candles span days."""
    if interval_minutes >= 1440:
        return "%m-%d"
    if span_seconds > 86_400:
        return "%m-%d %H:%M"
    return "%H:%M"


_LABEL_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320,
                10_080, 20_160)
"""Minutes between time labels: labels fall on round times (every 6 h, at midnight, …)."""


def _utc_offset(timestamp: int) -> int:
    offset = datetime.fromtimestamp(timestamp).astimezone().utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _x_ticks(
    candles: Sequence[Candle], plot_columns: int, interval_minutes: int
) -> tuple[list[float], list[str]]:
    if not candles:
        return [], []
    span = candles[-1].time - candles[0].time
    fmt = _time_format(interval_minutes, span)
    label_len = len(datetime.fromtimestamp(candles[0].time).strftime(fmt))
    per_label = label_len + 3
    slots = max(1, plot_columns // per_label)
    every = max(1, -(-len(candles) // slots))
    interval = max(1, interval_minutes)
    step = next((m for m in _LABEL_STEPS if m >= every * interval and m % interval == 0), 0)
    indexes: list[int] = []
    if step:
        offset = _utc_offset(candles[0].time)
        indexes = [i for i, c in enumerate(candles) if ((c.time + offset) // 60) % step == 0]
    if len(indexes) < 2:  # no round times among the candles: evenly from the first
        indexes = list(range(0, len(candles), every))
    # a label centred on a candle near the right edge would be pushed off its tick: drop it
    cpc = max(1, plot_columns // len(candles))
    indexes = [i for i in indexes if cpc * i + cpc // 2 + (label_len + 1) // 2 <= plot_columns]
    positions = [float(i) for i in indexes]
    labels = [datetime.fromtimestamp(candles[i].time).strftime(fmt) for i in indexes]
    return positions, labels


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """``text`` without its ANSI colour codes."""
    return _ANSI.sub("", text)


def _drop_blank_tail(lines: list[str]) -> list[str]:
    while lines and not strip_ansi(lines[-1]).strip():
        lines.pop()
    return lines


def _order_colour(line: OrderLine) -> str:
    return {OrderSide.BID: _BUY_ORDER, OrderSide.ASK: _SELL_ORDER}.get(line.side, _ANY_ORDER)


def last_price_label(price: Decimal, places: int) -> str:
    """`` 91,250.00 ``: the last-price line's label."""
    return f" {format_decimal(price, places)} "


def _order_label(line: OrderLine, places: int) -> str:
    """`` BUY 44,500.00 `` (``ORDER`` when the side is unknown)."""
    word = {OrderSide.BID: "BUY", OrderSide.ASK: "SELL"}.get(line.side, "ORDER")
    return f" {word} {format_decimal(line.price, places)} "


def build_chart(spec: ChartSpec) -> ChartBuild:
    """Build the chart for ``spec`` (thread-safe; holds :data:`PLOTEXT_LOCK` for plotext)."""
    width, height = spec.width, spec.height
    candles_all = spec.candles
    if width < MIN_WIDTH or height < MIN_HEIGHT or not candles_all:
        return ChartBuild("", len(candles_all), 0)

    pp, ap = spec.price_precision, spec.amount_precision
    volume_height = max(4, min(10, height // 4))
    price_height = height - volume_height - 1  # - the divider line

    # Fit: a first guess of the label width from recent candles, then refine once.
    guess = candles_all[-max(1, width) :]
    label_width = max(
        len(format_decimal(max(c.high for c in guess), pp)),
        len(format_decimal(min(c.low for c in guess), pp)),
    )
    count = fit_candle_count(width, label_width, len(candles_all), spec.columns_per_candle)
    if count <= 0:
        return ChartBuild("", len(candles_all), 0)
    first = len(candles_all) - count
    shown = candles_all[first:]

    live = spec.last_price
    last = live if live is not None and live > 0 else shown[-1].close
    # The live price may have left the candles' range since their poll: keep it in view.
    low = min(min(c.low for c in shown), last)
    high = max(max(c.high for c in shown), last)
    if high == low:
        pad = max(abs(high) * Decimal("0.001"), Decimal(1).scaleb(-pp))
        low, high = low - pad, high + pad
    rows = max(3, (price_height - 2) // 3)  # at least two labels on a short chart
    price_ticks = nice_ticks(low, high, rows)
    places = _tick_places(price_ticks, pp)
    price_labels = [format_decimal(t, places) for t in price_ticks]

    volume_max = max(c.volume for c in shown)
    volume_labels = ["0", format_compact(volume_max, ap if volume_max < 1 else min(ap, 2))]
    label_width = max(
        label_width, *(len(s) for s in price_labels), *(len(s) for s in volume_labels)
    )
    count = fit_candle_count(width, label_width, len(candles_all), spec.columns_per_candle)
    first = len(candles_all) - count
    shown = candles_all[first:]
    cpc = max(1, spec.columns_per_candle)
    plot_columns = count * cpc
    plot_width = label_width + FRAME_COLUMNS + plot_columns

    # Exact x mapping: candle i lands on column cpc*i + cpc//2 of the plot area.
    xs = [float(i) for i in range(count)]
    x_lo = -(cpc // 2) / cpc
    x_hi = x_lo + (plot_columns - 1) / cpc
    y_pad = (high - low) * Decimal("0.02")
    y_lo, y_hi = float(low - y_pad), float(high + y_pad)

    notes: list[str] = []
    visible_orders: list[OrderLine] = []
    for line in spec.order_lines:
        if low - y_pad <= line.price <= high + y_pad:
            visible_orders.append(line)
        else:
            what = f"{line.side.word.lower()} order" if line.side is not None else "order"
            notes.append(f"{what} {format_decimal(line.price, pp)} off chart")

    cursor = spec.cursor
    cursor_x = (
        float(cursor - first) if cursor is not None and first <= cursor < len(candles_all) else None
    )

    tick_positions, tick_labels = _x_ticks(shown, plot_columns, spec.interval_minutes)
    up = [c.close >= c.open for c in shown]

    with PLOTEXT_LOCK:
        # Price pane: guide lines first so candles draw over them.
        plt.clear_figure()
        plt.theme("clear")
        plt.limit_size(False, False)
        plt.plotsize(plot_width, price_height + 2)  # + bottom frame and empty label row
        plt.xlim(x_lo, x_hi)
        plt.ylim(y_lo, y_hi)
        plt.yticks([float(t) for t in price_ticks], [s.rjust(label_width) for s in price_labels])
        plt.xticks([], [])
        if cursor_x is not None:
            plt.vline(cursor_x, _CURSOR)
        columns = [x_lo + k / cpc for k in range(plot_columns)]
        if spec.draw_last:
            plt.scatter(columns, [float(last)] * plot_columns, marker=LAST_MARKER,
                        color=_LAST)
        for line in visible_orders:
            plt.hline(float(line.price), _order_colour(line))
        plt.candlestick(
            xs,
            {
                "Open": [float(c.open) for c in shown],
                "Close": [float(c.close) for c in shown],
                "High": [float(c.high) for c in shown],
                "Low": [float(c.low) for c in shown],
            },
            colors=[_UP, _DOWN],
        )
        # Labels last, over the candles: orders at the left end, the last price at the right.
        for line in visible_orders:
            plt.text(_order_label(line, pp), x_lo, float(line.price), color=_LABEL_TEXT,
                     background=_order_colour(line), alignment="left")
        if spec.draw_last:
            label = last_price_label(last, pp)
            plt.text(label, x_hi - (len(label) - 1) / cpc, float(last),
                     color=_LABEL_TEXT, background=_LAST, alignment="left")
        # Drop the empty x label row and the bottom frame: the volume pane continues below.
        price_lines = _drop_blank_tail(plt.build().splitlines())[:-1][:price_height]

        # Volume pane: same label width and x range, so columns line up with the candles.
        plt.clear_figure()
        plt.theme("clear")
        plt.limit_size(False, False)
        plt.plotsize(plot_width, volume_height + 1)  # + its top frame (the divider)
        plt.xlim(x_lo, x_hi)
        plt.ylim(0.0, float(volume_max) * 1.05 if volume_max > 0 else 1.0)
        plt.yticks(
            [0.0, float(volume_max)] if volume_max > 0 else [0.0],
            [s.rjust(label_width) for s in (volume_labels if volume_max > 0 else ["0"])],
        )
        if cursor_x is not None:
            plt.vline(cursor_x, _CURSOR)
        for want_up, colour in ((True, _UP), (False, _DOWN)):
            picked = [
                (x, float(c.volume))
                for x, c, u in zip(xs, shown, up, strict=True)
                if u is want_up and c.volume > 0
            ]
            if picked:
                # One scatter filled down to the axis draws every bar in one call.
                plt.scatter(
                    [x for x, _ in picked],
                    [v for _, v in picked],
                    marker="█",
                    color=colour,
                    fillx=True,
                )
        plt.xticks(tick_positions, tick_labels)
        volume_lines = _drop_blank_tail(plt.build().splitlines())
        if volume_lines:  # its top frame becomes the divider under the price pane
            volume_lines[0] = volume_lines[0].replace("┌", "├").replace("┐", "┤")
        plt.clear_figure()

    return ChartBuild(
        ansi="\n".join(price_lines + volume_lines),
        first=first,
        count=count,
        plot_columns=plot_columns,
        label_width=label_width,
        columns_per_candle=cpc,
        notes=tuple(notes),
        price_rows=price_height,
        y_lo=y_lo,
        y_hi=y_hi,
    )
