"""The order book ladder: a line-API widget drawing asks above bids with depth bars.

Only the levels that fit the height are laid out; each line is a cached :class:`Strip`,
and a new book repaints only the lines whose content changed. The ladder is a view: the
owning pane moves the cursor, sets own-order marks and posts the user's intents.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import OrderBook, PairInfo
from alp_tui.services.format import format_decimal, format_mid, format_percent
from alp_tui.ui.book_model import BookSnapshot, LadderLevel, LevelKey, changed_levels, snapshot
from alp_tui.ui.widgets.book_columns import LevelColumns, level_segments
from alp_tui.ui.widgets.lines import StripCache, component_fg
from alp_tui.ui.widgets.ticks import every_second

__all__ = ["BookLadder"]

RowKind = Literal["header", "level", "spread", "blank", "message"]

OWN_MARK = "●"
FLASH_SECONDS = 0.5
"""At least this long a changed level stays highlighted; it goes on the next whole second
(see :func:`flash_end`), so between 0.5 and 1.5 s."""
_STRIP_CACHE_SIZE = 512
_BEAT_SLACK = 0.05


@dataclass(frozen=True, slots=True)
class _Row:
    """One laid-out line: what it shows, independent of cursor/flash/own marks."""

    kind: RowKind
    text: str = ""
    level: LadderLevel | None = None
    price: str = ""
    amount: str = ""
    total: str = ""
    depth: int = 0
    """Depth bar length in cells."""
    cols: LevelColumns | None = None
    """Column geometry of level lines."""


class BookLadder(Widget):
    """Asks (highest at the top) above a spread/mid line above bids, with depth bars.

    Feed it with :meth:`set_book`; it flashes levels whose amount changed, marks own orders
    (:meth:`set_own_levels`) and highlights :attr:`cursor`. :meth:`level_at` maps a line to a
    level for mouse selection; :meth:`visible_levels` lists the levels on screen, top first.
    """

    COMPONENT_CLASSES = {
        "book-ladder--header",
        "book-ladder--ask",
        "book-ladder--bid",
        "book-ladder--ask-depth",
        "book-ladder--bid-depth",
        "book-ladder--spread",
        "book-ladder--cursor",
        "book-ladder--flash",
        "book-ladder--own",
        "book-ladder--message",
    }

    DEFAULT_CSS = """
    BookLadder {
        height: 1fr;
        width: 1fr;
        min-height: 3;
    }
    BookLadder > .book-ladder--header { color: $text-muted; text-style: bold; }
    BookLadder > .book-ladder--ask { color: $error; }
    BookLadder > .book-ladder--bid { color: $success; }
    BookLadder > .book-ladder--ask-depth { background: $error 22%; }
    BookLadder > .book-ladder--bid-depth { background: $success 22%; }
    BookLadder > .book-ladder--spread { color: $text-muted; }
    BookLadder > .book-ladder--cursor { background: $accent 40%; text-style: bold; }
    BookLadder > .book-ladder--flash { background: $primary 45%; text-style: bold; }
    BookLadder > .book-ladder--own { color: $warning; text-style: bold; }
    BookLadder > .book-ladder--message { color: $text-muted; text-style: italic; }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._pair: PairInfo | None = None
        self._book: BookSnapshot | None = None
        self._amounts: dict[LevelKey, Decimal] = {}
        self._flash_until: dict[LevelKey, float] = {}
        self._own: frozenset[LevelKey] = frozenset()
        self._own_amounts: dict[LevelKey, frozenset[Decimal]] = {}
        self._own_rows: frozenset[LadderLevel] = frozenset()
        self._cursor: LevelKey | None = None
        self._waiting_text = "waiting for the order book…"
        self._rows: list[_Row] = []
        self._rows_key: tuple[object, ...] | None = None
        self._strips = StripCache(_STRIP_CACHE_SIZE)
        self._version = 0
        self.flash_seconds = FLASH_SECONDS
        """How long a changed level stays highlighted."""
        self.layout_count = 0
        """How many times rows were laid out (for tests and benchmarks)."""

    # ------------------------------------------------------------------ feeding

    def clear(self, waiting_text: str = "waiting for the order book…") -> None:
        """Forget the book, flashes and cursor; show ``waiting_text`` until a book comes."""
        self._book = None
        self._amounts = {}
        self._flash_until = {}
        self._cursor = None
        self._waiting_text = waiting_text
        self._changed()

    def set_pair(self, pair: PairInfo) -> None:
        """Format for ``pair`` and drop the previous pair's book."""
        self._pair = pair
        self.clear(f"waiting for the {pair.name} order book…")

    def set_book(self, book: OrderBook) -> set[LevelKey]:
        """Show ``book``; returns the levels that changed (they flash for a moment).

        The first book after :meth:`clear` flashes nothing.
        """
        snap = snapshot(book)
        changed = changed_levels(self._amounts, snap) if self._book is not None else set()
        self._book = snap
        self._amounts = snap.amounts()
        self._own_rows = self._find_own_rows()
        if changed:
            now = time.monotonic()
            until = flash_end(now, self.flash_seconds)
            for key in changed:
                self._flash_until[key] = until
        self._changed()
        return changed

    def set_own_levels(self, keys: Iterable[LevelKey],
                       amounts: Mapping[LevelKey, Iterable[Decimal]] | None = None) -> None:
        """Mark these levels as holding one of the user's open orders.

        ``amounts`` (the orders' remaining amounts per level) picks the rows in an ungrouped
        book, where each resting order is its own row: only a row of one of those amounts is
        marked, unless none at that price matches (then every row at the price is).
        """
        own = frozenset(keys)
        own_amounts = {k: frozenset(v) for k, v in (amounts or {}).items() if k in own}
        if own != self._own or own_amounts != self._own_amounts:
            self._own = own
            self._own_amounts = own_amounts
            self._own_rows = self._find_own_rows()
            self._repaint_changed_lines()

    def _find_own_rows(self) -> frozenset[LadderLevel]:
        book = self._book
        if book is None or not self._own:
            return frozenset()
        at_price: dict[LevelKey, list[LadderLevel]] = {}
        for lv in (*book.asks, *book.bids):
            if lv.key in self._own:
                at_price.setdefault(lv.key, []).append(lv)
        rows: set[LadderLevel] = set()
        for key, levels in at_price.items():
            wanted = self._own_amounts.get(key)
            exact = [lv for lv in levels if wanted and lv.amount in wanted]
            rows.update(exact if exact and len(levels) > 1 else levels)
        return frozenset(rows)

    @property
    def book(self) -> BookSnapshot | None:
        """The book shown (None before the first one)."""
        return self._book

    @property
    def own_levels(self) -> frozenset[LevelKey]:
        """Levels marked as holding own orders."""
        return self._own

    @property
    def cursor(self) -> LevelKey | None:
        """The selected level, or None."""
        return self._cursor

    @cursor.setter
    def cursor(self, key: LevelKey | None) -> None:
        if key != self._cursor:
            self._cursor = key
            self._repaint_changed_lines()

    def is_flashing(self, key: LevelKey) -> bool:
        """True while the level at ``key`` is highlighted as changed."""
        until = self._flash_until.get(key)
        return until is not None and until > time.monotonic()

    @property
    def flashing(self) -> frozenset[LevelKey]:
        """Levels currently highlighted as changed."""
        now = time.monotonic()
        return frozenset(k for k, until in self._flash_until.items() if until > now)

    def on_mount(self) -> None:
        """Flashes go on the app's once-a-second beat, in the same frame as the ages."""
        every_second(self, self._expire_flashes)

    def _expire_flashes(self) -> None:
        # a timer may wake a hair before the whole second its flashes end on
        now = time.monotonic() + _BEAT_SLACK
        expired = [k for k, until in self._flash_until.items() if until <= now]
        for key in expired:
            del self._flash_until[key]
        if expired:
            self._repaint_changed_lines()

    # ------------------------------------------------------------------ layout

    def levels_per_side(self, height: int | None = None) -> int:
        """How many levels of each side fit ``height`` lines (header and spread lines aside)."""
        height = self.size.height if height is None else height
        return max(0, (height - 2) // 2)

    def visible_levels(self) -> list[LevelKey]:
        """Levels on screen, top to bottom (asks highest first, then bids best first)."""
        return [row.level.key for row in self._layout() if row.level is not None]

    def level_at(self, y: int) -> LevelKey | None:
        """The level drawn on content line ``y``, or None for other lines."""
        rows = self._layout()
        if 0 <= y < len(rows) and rows[y].level is not None:
            level = rows[y].level
            assert level is not None
            return level.key
        return None

    def line_of(self, key: LevelKey) -> int | None:
        """The content line showing ``key``, or None when it is not on screen."""
        for y, row in enumerate(self._layout()):
            if row.level is not None and row.level.key == key:
                return y
        return None

    def row_texts(self) -> list[str]:
        """The plain text of every laid-out line (for tests and screenshots)."""
        width = self.size.width
        return [self._plain(row, width) for row in self._layout()]

    def depth_cells(self) -> list[tuple[LevelKey, int]]:
        """Each visible level with its depth bar length in cells, top to bottom."""
        return [(row.level.key, row.depth) for row in self._layout() if row.level is not None]

    def _changed(self) -> None:
        self._version += 1
        self._repaint_changed_lines()

    def _repaint_changed_lines(self) -> None:
        """Refresh only lines whose strip would differ from what is on screen."""
        if not self.is_mounted:
            return
        old_keys = getattr(self, "_line_keys", None)
        new_keys = self._line_keys_now()
        if old_keys is None or len(old_keys) != len(new_keys):
            self.refresh()
        else:
            width = self.size.width
            for y, (a, b) in enumerate(zip(old_keys, new_keys, strict=True)):
                if a != b:
                    self.refresh(Region(0, y, width, 1))
        self._line_keys = new_keys

    def _line_keys_now(self) -> list[tuple[object, ...]]:
        width = self.size.width
        now = time.monotonic()
        keys: list[tuple[object, ...]] = []
        for row in self._layout():
            keys.append(self._strip_key(row, width, now))
        height = self.size.height
        keys.extend([("blank", width)] * max(0, height - len(keys)))
        return keys

    def _strip_key(self, row: _Row, width: int, now: float) -> tuple[object, ...]:
        if row.level is None:
            return (row, width)
        key = row.level.key
        until = self._flash_until.get(key)
        return (
            row,
            width,
            key == self._cursor,
            until is not None and until > now,
            row.level in self._own_rows,
        )

    def _layout(self) -> list[_Row]:
        width, height = self.size.width, self.size.height
        key = (self._version, width, height)
        if key != self._rows_key:
            self._rows = self._build_rows(width, height)
            self._rows_key = key
            self.layout_count += 1
        return self._rows

    def _build_rows(self, width: int, height: int) -> list[_Row]:
        if height <= 0 or width <= 0:
            return []
        book = self._book
        if book is None or book.is_empty:
            text = self._waiting_text if book is None else "empty book"
            rows = [_Row("blank")] * max(0, (height - 1) // 2)
            return [*rows, _Row("message", text=text)]
        pair = self._pair
        pp = pair.price_precision if pair else 8
        ap = pair.amount_precision if pair else 8
        n = self.levels_per_side(height)
        n_bids = max(0, height - 2 - n)  # the bids get an odd line
        asks = book.asks[:n]
        bids = book.bids[:n_bids]
        shown = (*asks, *bids)
        prices = {lv: format_decimal(lv.price, pp) for lv in shown}
        amounts = {lv: format_decimal(lv.amount, ap) for lv in shown}
        totals = {lv: format_decimal(lv.total, ap) for lv in shown}
        base = pair.base if pair else ""
        quote = pair.quote if pair else ""
        cols = LevelColumns.fit(
            width,
            max((len(s) for s in prices.values()), default=0),
            max((len(s) for s in amounts.values()), default=0),
            max((len(s) for s in totals.values()), default=0),
            quote,
            base,
        )
        max_total = max(asks[-1].total if asks else 0, bids[-1].total if bids else 0)
        bar_room = width - 1

        def level_row(lv: LadderLevel) -> _Row:
            depth = 0
            if max_total > 0:
                depth = int((lv.total * bar_room / max_total).to_integral_value())
                depth = max(1, min(bar_room, depth))
            return _Row(
                "level",
                level=lv,
                price=prices[lv],
                amount=amounts[lv],
                total=totals[lv] if cols.show_total else "",
                depth=depth,
                cols=cols,
            )

        rows: list[_Row] = [_Row("header", text=cols.header())]
        rows.extend([_Row("blank")] * (n - len(asks)))
        rows.extend(level_row(lv) for lv in reversed(asks))
        rows.append(_Row("spread", text=_spread_text(book, pp, width)))
        rows.extend(level_row(lv) for lv in bids)
        return rows

    # ------------------------------------------------------------------ rendering

    def _plain(self, row: _Row, width: int) -> str:
        if row.cols is not None:
            mark = OWN_MARK if row.level in self._own_rows else " "
            return row.cols.line(row.price, row.amount, row.total, mark=mark)
        if row.kind in ("message", "spread"):
            return row.text.center(width)[:width]
        return row.text.ljust(width)[:width]

    def render_line(self, y: int) -> Strip:
        """Draw content line ``y`` from the strip cache."""
        width = self.size.width
        rows = self._layout()
        if y >= len(rows):
            return Strip.blank(width, self.rich_style)
        row = rows[y]
        key = self._strip_key(row, width, time.monotonic())
        return self._strips.get(key, lambda: self._render_row(row, width))

    def notify_style_update(self) -> None:
        """Theme or CSS changed: cached strips carry old colours."""
        super().notify_style_update()
        self._strips.clear()

    def _component_fg(self, name: str) -> Style:
        """A component's text colour and attributes, without its background."""
        return component_fg(self, name)

    def _component_bg(self, name: str) -> Style:
        """A component's background (blended as the theme says) and text attributes."""
        full = self.get_component_rich_style(name)
        partial = self.get_component_rich_style(name, partial=True)
        return Style(bgcolor=full.bgcolor) + partial.without_color

    def _render_row(self, row: _Row, width: int) -> Strip:
        base = self.rich_style
        if row.kind == "blank":
            return Strip.blank(width, base)
        if row.kind == "header":
            style = base + self._component_fg("book-ladder--header")
            return Strip([Segment(row.text.ljust(width)[:width], style)], width)
        if row.kind in ("spread", "message"):
            part = "book-ladder--spread" if row.kind == "spread" else "book-ladder--message"
            style = base + self._component_fg(part)
            return Strip([Segment(row.text.center(width)[:width], style)], width)
        level, cols = row.level, row.cols
        assert level is not None and cols is not None
        is_ask = level.side is OrderSide.ASK
        own = level in self._own_rows
        text = cols.line(row.price, row.amount, row.total, mark=OWN_MARK if own else " ")
        fg, bg = self._component_fg, self._component_bg
        side = fg("book-ladder--ask" if is_ask else "book-ladder--bid")
        spans: list[tuple[int, int, Style]] = [(cols.price_start, cols.price_end, side)]
        if own:
            spans.append((0, 1, fg("book-ladder--own")))
        if self.is_flashing(level.key):
            spans.append((cols.amount_start, cols.amount_end, bg("book-ladder--flash")))
        row_style = base
        if level.key == self._cursor:
            row_style = base + bg("book-ladder--cursor")
        depth = bg("book-ladder--ask-depth" if is_ask else "book-ladder--bid-depth")
        segments = level_segments(text, width, row_style, spans, width - row.depth, depth)
        return Strip(segments, width)


def flash_end(now: float, seconds: float) -> float:
    """When a flash started at ``now`` ends: ``seconds`` later, rounded up to the next whole
    second of the monotonic clock: the app's once-a-second beat (:mod:`alp_tui.ui.widgets.
    ticks`) takes the flashes off with the status lines' ages, in one frame."""
    if seconds <= 0:
        return now
    return float(math.ceil(now + seconds))


def _spread_text(book: BookSnapshot, pp: int, width: int) -> str:
    spread, mid = book.spread, book.mid
    if spread is None or mid is None:
        side = "no bids" if book.best_bid is None else "no asks"
        return f"— {side} —"
    pct = format_percent(book.spread_percent, 3)
    long = f"spread {format_decimal(spread, pp)} ({pct})   mid {format_mid(mid, pp)}"
    if len(long) <= width:
        return long
    short = f"{format_decimal(spread, pp)} · {format_mid(mid, pp)}"
    return short
