"""Markets pane: every pair's last, 24 h change, high, low, volume; sort, filter, watchlist."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable, Input

from alp_tui.services.market import MarketRow, MarketService, SortKey, build_rows
from alp_tui.ui.messages import PairChosen, WatchToggled
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.markets_table import MarketsTable
from alp_tui.ui.widgets.pane_status import PaneStatus

COLUMNS = list(SortKey)


class MarketsPane(DataPane):
    """Every pair, watchlist pinned on top. Enter or a click selects a pair; typing filters."""

    topic: ClassVar[str] = "tickers"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("asterisk", "toggle_watch", "Watch", id="markets.watch",
                tooltip="Pin or unpin the highlighted pair (saved to the config)"),
        Binding("greater_than_sign", "sort_next", "Sort ▸", id="markets.sort_next",
                tooltip="Sort by the next column"),
        Binding("less_than_sign", "sort_prev", "◂ Sort", id="markets.sort_prev",
                tooltip="Sort by the previous column", show=False),
        Binding("tilde", "sort_reverse", "Reverse", id="markets.sort_reverse",
                tooltip="Reverse the sort order"),
        Binding("slash", "focus_filter", "Filter", id="markets.filter",
                tooltip="Filter pairs by name (or just type on the table)"),
    ]

    sort_key: reactive[SortKey] = reactive(SortKey.PAIR)
    sort_reverse: reactive[bool] = reactive(False)
    filter_text: reactive[str] = reactive("")
    selected: reactive[str] = reactive("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.market: MarketService | None = None
        self._rows: list[MarketRow] = []
        self._order: list[str] = []

    def compose(self) -> ComposeResult:
        """Filter box, table and status line."""
        yield Input(placeholder="type to filter…", id="markets-filter", select_on_focus=False)
        table = MarketsTable(id="markets-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Markets"
        yield table
        yield PaneStatus("Markets", id="markets-status")

    def on_mount(self) -> None:
        """Create the columns."""
        table = self.table
        for key in COLUMNS:
            table.add_column(self._label(key), key=key.value)

    @property
    def table(self) -> MarketsTable:
        """The table widget."""
        return self.query_one(MarketsTable)

    @property
    def rows(self) -> list[MarketRow]:
        """The rows on screen, in order."""
        return list(self._rows)

    # --- data -----------------------------------------------------------------------
    def show_data(self, data: MarketService) -> None:
        """Render the market service's latest tickers."""
        self.market = data
        self._render_rows()

    def _label(self, key: SortKey) -> Text:
        arrow = ""
        if key is self.sort_key:
            arrow = " ▼" if self.sort_reverse else " ▲"
        justify = "left" if key is SortKey.PAIR else "right"
        return Text(key.label + arrow, justify=justify)

    def _cells(self, row: MarketRow) -> list[Text]:
        cells: list[Text] = []
        for index, value in enumerate(row.cells):
            if index == 0:
                mark = "★ " if row.watched else "  "
                style = "bold reverse" if row.pair == self.selected else ""
                cells.append(Text(mark + value, style=style))
                continue
            style = ""
            if index == 2 and row.change is not None:
                style = "green" if row.change > 0 else "red" if row.change < 0 else ""
            cells.append(Text(value, style=style, justify="right"))
        return cells

    def _render_rows(self) -> None:
        market = self.market
        if market is None or not self.is_mounted:
            return
        rows = build_rows(
            market.names, market.tickers, market.pairs, market.watchlist,
            sort=self.sort_key, reverse=self.sort_reverse, query=self.filter_text,
        )
        table = self.table
        order = [r.pair for r in rows]
        if order == self._order:
            for old, new in zip(self._rows, rows, strict=True):
                if old == new:
                    continue
                for key, old_cell, new_cell in zip(
                    COLUMNS, self._cells(old), self._cells(new), strict=True
                ):
                    if old_cell != new_cell:
                        table.update_cell(new.pair, key.value, new_cell)
        else:
            highlighted = self._highlighted_pair()
            table.clear()
            for row in rows:
                table.add_row(*self._cells(row), key=row.pair)
            target = highlighted or self.selected
            if target in order:
                table.move_cursor(row=order.index(target), animate=False)
        self._rows = rows
        self._order = order

    def _highlighted_pair(self) -> str | None:
        table = self.table
        if not self._order or table.row_count == 0:
            return None
        row = table.cursor_row
        return self._order[row] if 0 <= row < len(self._order) else None

    def _relabel(self) -> None:
        table = self.table
        for key in COLUMNS:
            table.columns[key.value].label = self._label(key)  # type: ignore[index]
        table.refresh()

    def watch_sort_key(self) -> None:
        """Re-sort on a new column."""
        if self.is_mounted:
            self._relabel()
            self._render_rows()

    def watch_sort_reverse(self) -> None:
        """Re-sort in the other direction."""
        self.watch_sort_key()

    def watch_filter_text(self) -> None:
        """Re-filter."""
        self._render_rows()

    def watch_selected(self, old: str, new: str) -> None:
        """Mark the selected pair and put the cursor on it."""
        if not self.is_mounted:
            return
        self._order = []  # force a rebuild so the marks move
        self._render_rows()
        if new in self._order:
            self.table.move_cursor(row=self._order.index(new), animate=False)

    # --- user intents ---------------------------------------------------------------
    @on(DataTable.RowSelected, "#markets-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(PairChosen(str(event.row_key.value)))

    @on(DataTable.HeaderSelected, "#markets-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = SortKey(str(event.column_key.value))
        self.sort_by(key)

    def sort_by(self, key: SortKey) -> None:
        """Sort by ``key``; the same column again reverses the order."""
        if key is self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_reverse = key is not SortKey.PAIR  # numbers: biggest first
            self.sort_key = key

    @on(Input.Changed, "#markets-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value

    @on(Input.Submitted, "#markets-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()
        if self._order:
            self.table.move_cursor(row=0)

    def on_key(self, event: events.Key) -> None:
        """Type-to-filter: an unbound letter typed on the table goes to the filter box;
        escape in the filter box clears it."""
        filter_box = self.query_one("#markets-filter", Input)
        if filter_box.has_focus and event.key == "escape":
            filter_box.value = ""
            self.table.focus()
            event.stop()
            return
        char = event.character
        if (
            self.table.has_focus
            and char
            and (char.isalnum() or char == "_")
            and event.key not in self.screen.active_bindings
        ):
            filter_box.focus()
            filter_box.insert_text_at_cursor(char)
            event.stop()

    def action_toggle_watch(self) -> None:
        """Pin or unpin the highlighted pair."""
        pair = self._highlighted_pair() or self.selected
        if pair:
            self.post_message(WatchToggled(pair))

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        self.sort_by(COLUMNS[(COLUMNS.index(self.sort_key) + 1) % len(COLUMNS)])

    def action_sort_prev(self) -> None:
        """Sort by the previous column."""
        self.sort_by(COLUMNS[(COLUMNS.index(self.sort_key) - 1) % len(COLUMNS)])

    def action_sort_reverse(self) -> None:
        """Reverse the order."""
        self.sort_reverse = not self.sort_reverse

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#markets-filter", Input).focus()
