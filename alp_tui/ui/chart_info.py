"""The chart's info line: one candle's OHLCV, shedding its least useful parts to fit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from alp_tui.api.enums import ChartInterval
from alp_tui.api.models import Candle, PairInfo
from alp_tui.services.format import format_decimal, format_percent

__all__ = ["candle_info"]


def candle_info(candle: Candle | None, label: str, interval: ChartInterval,
                pair: PairInfo | None, notes: Sequence[str], width: int) -> Text:
    """``1h last 12-07 15:00 O … H … L … C … +0.36% V …`` for ``candle`` (``label``:
    ``last`` or ``cursor``), with the build's ``notes``; parts go, least useful first,
    until it fits ``width`` (0: no limit)."""
    # (text, style, drop rank): the highest rank goes first when the line is too long.
    parts: list[tuple[str, str, int]] = [(f"{interval.label} ", "bold", 0)]
    if candle is not None:
        pp = pair.price_precision if pair else 8
        ap = pair.amount_precision if pair else 8
        when = datetime.fromtimestamp(candle.time)
        fmt = "%Y-%m-%d" if interval.value >= 1440 else "%m-%d %H:%M"
        colour = "green" if candle.close >= candle.open else "red"
        parts += [
            (f"{label} ", "dim", 5),
            (f"{when.strftime(fmt)} ", "dim", 7),
            (f"O {format_decimal(candle.open, pp)} ", "", 6),
            (f"H {format_decimal(candle.high, pp)} ", "", 3),
            (f"L {format_decimal(candle.low, pp)} ", "", 3),
            (f"C {format_decimal(candle.close, pp)} ", f"bold {colour}", 0),
        ]
        if candle.open > 0:
            change = (candle.close - candle.open) / candle.open * 100
            sign = "+" if change > 0 else "-" if change < 0 else ""
            parts.append((f"{sign}{format_percent(abs(change))} ", colour, 1))
        parts.append((f"V {format_decimal(candle.volume, ap)}", "", 2))
        if notes:
            parts.append(("  " + "; ".join(notes), "yellow", 4))
    if width > 0:
        for rank in range(7, 0, -1):
            if sum(len(t) for t, _, _ in parts) <= width:
                break
            parts = [p for p in parts if p[2] != rank]
    text = Text(no_wrap=True, overflow="ellipsis")
    for chunk, style, _ in parts:
        text.append(chunk, style=style)
    text.rstrip()
    return text
