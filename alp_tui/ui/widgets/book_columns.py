"""A book level line's geometry and styling, without the widget: where the own-order mark,
price, amount and total go in a given width, and how a styled line is cut into segments
(spans over the row style, the depth bar's background from its start to the end)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from rich.segment import Segment
from rich.style import Style

__all__ = ["LevelColumns", "level_segments"]


def level_segments(
    text: str,
    width: int,
    row_style: Style,
    spans: list[tuple[int, int, Style]],
    bar_start: int,
    bar_style: Style,
) -> list[Segment]:
    """Cut ``text`` into styled segments: span styles over the row style, and the depth bar's
    background from ``bar_start`` to the end."""
    cuts = {0, width, max(0, min(width, bar_start))}
    for start, end, _ in spans:
        cuts.add(max(0, min(width, start)))
        cuts.add(max(0, min(width, end)))
    edges = sorted(cuts)
    segments: list[Segment] = []
    for a, b in pairwise(edges):
        if a >= b:
            continue
        style = row_style
        if a >= bar_start:
            style = style + bar_style
        for start, end, span_style in spans:
            if start <= a and b <= end:
                style = style + span_style
        segments.append(Segment(text[a:b], style))
    return segments


@dataclass(frozen=True, slots=True)
class LevelColumns:
    """Column geometry of a level line: ``[mark][price]  [amount]  [total]``.

    Price is left-aligned after the mark; amount and total are right-aligned in their fields.
    """

    width: int
    price_start: int
    price_end: int
    amount_start: int
    amount_end: int
    total_start: int
    total_end: int
    show_total: bool
    price_title: str
    amount_title: str
    total_title: str

    @classmethod
    def fit(cls, width: int, pw: int, aw: int, tw: int, quote: str, base: str) -> LevelColumns:
        """Lay out the three columns in ``width``, dropping Total when it does not fit."""
        price_title = f"Price {quote}".strip()
        amount_title = f"Amount {base}".strip()
        total_title = f"Total {base}".strip()
        if width < 24:
            price_title, amount_title, total_title = "Price", "Amount", "Total"
        pw = max(pw, len("Price"))
        aw = max(aw, len("Amount"))
        tw = max(tw, len("Total"))
        room = width - 1  # the own-order mark column
        show_total = pw + aw + tw + 2 <= room
        if not show_total:
            tw = 0
        used = pw + aw + tw
        gaps = 2 if show_total else 1
        spare = max(gaps, room - used)
        gap = spare // gaps
        price_start = 1
        price_end = price_start + pw
        amount_end = price_end + gap + aw
        if not show_total:
            amount_end = min(width, price_end + spare + aw)
        amount_start = amount_end - aw
        total_end = width if show_total else amount_end
        total_start = total_end - tw
        return cls(
            width,
            price_start,
            price_end,
            amount_start,
            amount_end,
            total_start,
            total_end,
            show_total,
            price_title,
            amount_title,
            total_title,
        )

    def header(self) -> str:
        """The column titles laid out like the levels, never touching: titles with their
        currencies when they fit, else the amount and total without, else plain titles."""
        choices = (
            (self.price_title, self.amount_title, self.total_title),
            (self.price_title, "Amount", "Total"),
            ("Price", "Amount", "Total"),
        )
        for titles in choices:
            line = self._header_line(*titles)
            if line is not None:
                return line
        return self._header_line(*choices[-1], force=True) or ""

    def _header_line(self, price: str, amount: str, total: str, *,
                     force: bool = False) -> str | None:
        """The header with these titles, or None when two would run together."""
        amount_start = self.amount_end - len(amount)
        total_start = self.total_end - len(total)
        if not force and (
            self.price_start + len(price) >= amount_start
            or (self.show_total and self.amount_end >= total_start)
        ):
            return None
        line = [" "] * self.width
        _put(line, self.price_start, price)
        _put(line, amount_start, amount)
        if self.show_total:
            _put(line, total_start, total)
        return "".join(line)

    def line(self, price: str, amount: str, total: str, mark: str) -> str:
        """A level line of exactly ``width`` cells."""
        line = [" "] * self.width
        line[0] = mark
        _put(line, self.price_start, price)
        _put(line, self.amount_end - len(amount), amount)
        if self.show_total:
            _put(line, self.total_end - len(total), total)
        return "".join(line)


def _put(line: list[str], start: int, text: str) -> None:
    for i, ch in enumerate(text):
        x = start + i
        if 0 <= x < len(line):
            line[x] = ch
