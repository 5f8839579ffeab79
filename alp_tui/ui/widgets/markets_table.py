"""The markets table: a line-API view (``render_line`` + cached strips) with a pinned header.

A DataTable redraws every visible cell whenever any cell changes (~80 ms for 100 ticking
pairs); this view re-renders only the rows whose content changed, from a cache of strips.
A click on a row selects it; a click on a header cell asks to sort by that column.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from alp_tui.services.market import MarketRow, SortKey

COLUMNS = list(SortKey)
_ALWAYS = (COLUMNS.index(SortKey.PAIR), COLUMNS.index(SortKey.LAST),
           COLUMNS.index(SortKey.CHANGE))
_OPTIONAL = ((COLUMNS.index(SortKey.VOLUME),), (COLUMNS.index(SortKey.HIGH),
                                                 COLUMNS.index(SortKey.LOW)))
"""Columns added while the width allows, in this order (high and low together)."""
_GREEN = Style(color="green")
_RED = Style(color="red")
_CACHE_LIMIT = 2000


class MarketsTable(ScrollView, can_focus=True):
    """Rows of :class:`MarketRow`; row 0 on screen is the header, pinned while scrolling."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "markets-table--header",
        "markets-table--cursor",
        "markets-table--selected",
        "markets-table--odd",
    }

    DEFAULT_CSS = """
    MarketsTable { background: $surface; scrollbar-size-vertical: 1; }
    MarketsTable > .markets-table--header { text-style: bold; background: $panel; }
    MarketsTable > .markets-table--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; text-style: bold; }
    MarketsTable:blur > .markets-table--cursor { background: $block-cursor-blurred-background;
        text-style: none; }
    MarketsTable > .markets-table--selected { text-style: bold; }
    MarketsTable > .markets-table--odd { background: $surface-lighten-1 20%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, id="markets.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="markets.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="markets.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="markets.page_down"),
        Binding("home", "edge(0)", "First", show=False, id="markets.first"),
        Binding("end", "edge(1)", "Last", show=False, id="markets.last"),
        Binding("enter", "select", "Select", id="markets.select",
                tooltip="Show the highlighted pair in every pane"),
    ]

    cursor_row: reactive[int] = reactive(0)

    class RowSelected(Message):
        """A pair was chosen (Enter or a click)."""

        def __init__(self, table: MarketsTable, pair: str) -> None:
            super().__init__()
            self.table = table
            self.pair = pair

        @property
        def control(self) -> MarketsTable:
            """The table."""
            return self.table

    class HeaderSelected(Message):
        """A column header was clicked."""

        def __init__(self, table: MarketsTable, key: SortKey) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> MarketsTable:
            """The table."""
            return self.table

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[MarketRow] = []
        self.selected = ""
        self.sort_key = SortKey.PAIR
        self.sort_reverse = False
        self.shown: list[int] = list(range(len(COLUMNS)))  # indexes into COLUMNS
        self.widths: list[int] = [len(k.label) + 2 for k in COLUMNS]
        self._cache: dict[tuple[object, ...], Strip] = {}
        self._style_cache: dict[str, Style] | None = None
        self._empty_text = ""

    @property
    def empty_text(self) -> str:
        """What the table says when it has no rows (e.g. "no matches for …")."""
        return self._empty_text

    @empty_text.setter
    def empty_text(self, text: str) -> None:
        if text != self._empty_text:
            self._empty_text = text
            self.refresh_line(1)

    # --- data ---------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        """Rows (pairs) in the table."""
        return len(self.rows)

    def set_rows(self, rows: list[MarketRow]) -> None:
        """Show ``rows``; only changed lines are redrawn when the order is unchanged."""
        old = self.rows
        highlighted = self.highlighted
        self.rows = rows
        shown, widths = self._fit(rows)
        if widths != self.widths or shown != self.shown:
            self.shown, self.widths = shown, widths
            self._cache.clear()
            self.refresh()
        elif len(old) != len(rows):
            self.refresh()
        else:
            self._refresh_changed(old, rows)
        size = Size(sum(self.widths), len(rows) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        order = [r.pair for r in rows]
        if highlighted in order and [r.pair for r in old] != order:
            self.move_cursor(row=order.index(highlighted))
        else:
            self.move_cursor(row=min(self.cursor_row, max(0, len(rows) - 1)))

    def _refresh_changed(self, old: list[MarketRow], rows: list[MarketRow]) -> None:
        """Repaint the rows on screen whose content changed, and no other line: a refresh
        of the whole table re-renders every visible line (Textual keeps no line of a widget
        refreshed as a whole), though on a price beat only some rows move. Rows off screen
        are drawn when scrolled to."""
        top = int(self.scroll_y)
        bottom = min(len(rows), top + max(0, self.scrollable_content_region.height - 1))
        for index in range(top, bottom):
            if old[index] != rows[index]:
                self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        """Repaint row ``index`` where :meth:`render_line` draws it (below the pinned header,
        ``int(scroll_y)`` rows scrolled; ``refresh_line`` rounds a scroll mid-animation)."""
        y = index + 1 - int(self.scroll_y)
        if y >= 1:
            self.refresh(Region(0, y, max(self.virtual_size.width, self.size.width), 1))

    def set_marks(self, selected: str, sort_key: SortKey, reverse: bool) -> None:
        """Selected pair (shown bold) and the sort arrow in the header."""
        self.selected, self.sort_key, self.sort_reverse = selected, sort_key, reverse
        self._cache.clear()
        self.refresh()

    @property
    def highlighted(self) -> str | None:
        """The pair under the cursor."""
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row].pair
        return None

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on ``row`` and scroll it into view."""
        if not self.rows:
            self.cursor_row = 0
            return
        self.cursor_row = max(0, min(row, len(self.rows) - 1))
        self._scroll_to_cursor(animate)

    def column_x(self, index: int) -> int:
        """Left edge of column ``index`` in content coordinates (for mouse tests)."""
        return sum(self.widths[:index])

    def on_resize(self) -> None:
        """Show the columns that fit the new width."""
        self._refit()

    def _refit(self) -> None:
        shown, widths = self._fit(self.rows)
        if shown != self.shown or widths != self.widths:
            self.shown, self.widths = shown, widths
            self._cache.clear()
            self.virtual_size = Size(sum(widths), len(self.rows) + 1)
            self.refresh()

    def _fit(self, rows: list[MarketRow]) -> tuple[list[int], list[int]]:
        """The columns shown (whole, never cut) and their widths for the current width.

        Pair, last and 24 h change always; then volume, then high and low, while they fit.
        """
        room = self.scrollable_content_region.width if self.is_mounted else 0
        every = list(range(len(COLUMNS)))
        if room <= 0:
            return every, self._widths(rows, every)
        widths = dict(zip(every, self._widths(rows, every), strict=True))
        shown = list(_ALWAYS)
        for group in _OPTIONAL:
            wanted = sorted([*shown, *group])
            if sum(widths[c] for c in wanted) > room:
                break
            shown = wanted
        return shown, [widths[c] for c in shown]

    @staticmethod
    def _widths(rows: list[MarketRow], shown: list[int]) -> list[int]:
        widths = [len(COLUMNS[c].label) + 2 for c in shown]  # room for the sort arrow
        for row in rows:
            for i, c in enumerate(shown):
                size = len(row.cells[c]) + (2 if c == 0 else 0)
                if size > widths[i]:
                    widths[i] = size
        return [w + 1 for w in widths]

    # --- rendering ----------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        """Redraw the two lines whose cursor mark changed."""
        self._refresh_row(old)
        self._refresh_row(new)

    def _scroll_to_cursor(self, animate: bool) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=animate)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=animate)

    def _cell(self, text: str, width: int, left: bool) -> str:
        body = text[: width - 1]  # one space separates the columns
        return f" {body.ljust(width - 1)}" if left else f" {body.rjust(width - 1)}"

    def _header_strip(self) -> Strip:
        key = ("header", self.sort_key, self.sort_reverse, tuple(self.widths), tuple(self.shown))
        strip = self._cache.get(key)
        if strip is None:
            style = self.get_component_rich_style("markets-table--header")
            segments = []
            for i, c in enumerate(self.shown):
                column = COLUMNS[c]
                label = column.label
                if column is self.sort_key:
                    label += " ▼" if self.sort_reverse else " ▲"
                segments.append(Segment(self._cell(label, self.widths[i], i == 0), style))
            strip = self._cache[key] = Strip(segments, sum(self.widths))
        return strip

    def _row_strip(self, index: int) -> Strip:
        row = self.rows[index]
        cursor = index == self.cursor_row
        key = (row, cursor, row.pair == self.selected, index % 2, tuple(self.widths),
               tuple(self.shown))
        strip = self._cache.get(key)
        if strip is not None:
            return strip
        styles = self._styles()
        base = styles["base"]
        if index % 2:
            base = base + styles["odd"]
        if row.pair == self.selected:
            base = base + styles["selected"]
        if cursor:
            base = base + styles["cursor"]
        segments = []
        for i, c in enumerate(self.shown):
            value = row.cells[c]
            if c == 0:
                text = ("★ " if row.watched else "  ") + value
                segments.append(Segment(self._cell(text, self.widths[0], True), base))
                continue
            style = base
            if c == 2 and row.change is not None and not cursor:
                if row.change > 0:
                    style = base + _GREEN
                elif row.change < 0:
                    style = base + _RED
            segments.append(Segment(self._cell(value, self.widths[i], False), style))
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        strip = self._cache[key] = Strip(segments, sum(self.widths))
        return strip

    def _styles(self) -> dict[str, Style]:
        if self._style_cache is None:
            self._style_cache = {
                "base": self.rich_style,
                "odd": self.get_component_rich_style("markets-table--odd"),
                "selected": self.get_component_rich_style("markets-table--selected"),
                "cursor": self.get_component_rich_style("markets-table--cursor"),
            }
        return self._style_cache

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the widget: the header, a row, the empty note, or blank."""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            strip = self._header_strip()
        else:
            index = int(self.scroll_y) + y - 1
            if 0 <= index < len(self.rows):
                strip = self._row_strip(index)
            elif y == 1 and not self.rows and self.empty_text:
                note = Segment(f" {self.empty_text}"[:width].ljust(width),
                               self.rich_style + Style(dim=True, italic=True))
                return Strip([note], width)
            else:
                return Strip.blank(width, self.rich_style)
        return strip.crop_extend(scroll_x, scroll_x + width, self._styles()["base"])

    def notify_style_update(self) -> None:
        """Theme change: styles cached in strips are stale."""
        super().notify_style_update()
        self._cache.clear()
        self._style_cache = None

    # --- input ----------------------------------------------------------------------------
    async def _on_click(self, event: events.Click) -> None:
        x = event.x + int(self.scroll_x)
        if event.y == 0:
            edge = 0
            for i, width in enumerate(self.widths):
                if edge <= x < edge + width:
                    self.post_message(self.HeaderSelected(self, COLUMNS[self.shown[i]]))
                    break
                edge += width
            return
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.move_cursor(row=index)
            self.post_message(self.RowSelected(self, self.rows[index].pair))

    def action_cursor(self, step: int) -> None:
        """Move the cursor by ``step`` rows."""
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        """Move the cursor by a page."""
        height = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(row=self.cursor_row + direction * height)

    def action_edge(self, end: int) -> None:
        """First or last row."""
        self.move_cursor(row=(len(self.rows) - 1) if end else 0)

    def action_select(self) -> None:
        """Select the highlighted pair."""
        pair = self.highlighted
        if pair:
            self.post_message(self.RowSelected(self, pair))

    def region_of_row(self, index: int) -> Region:
        """Where row ``index`` is, in widget coordinates (for tests and tooltips)."""
        return Region(0, index + 1 - int(self.scroll_y), self.size.width, 1)
