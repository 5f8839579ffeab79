"""Markets pane: every pair's last, 24 h change, high, low, volume; sort, filter, watchlist."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import Input

from alp_tui.services.market import MarketRow, MarketService, SortKey, build_rows
from alp_tui.ui.messages import PairChosen, WatchToggled
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.markets_table import MarketsTable
from alp_tui.ui.widgets.pane_status import PaneStatus

# Upper-case letters left to the app's bindings (B / S: buy / sell, A: price alert) instead
# of the filter.
TABLE_PASSTHROUGH = frozenset({"A", "B", "S"})

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

    def compose(self) -> ComposeResult:
        """Filter box, table and status line."""
        yield Input(placeholder="type to filter…", id="markets-filter", select_on_focus=False)
        yield MarketsTable(id="markets-table")
        yield PaneStatus("Markets", id="markets-status")

    def on_mount(self) -> None:
        """Title and first marks."""
        self.border_title = "Markets"
        self._marks()

    @property
    def table(self) -> MarketsTable:
        """The table widget."""
        return self.query_one(MarketsTable)

    @property
    def rows(self) -> list[MarketRow]:
        """The rows on screen, in order."""
        return list(self.table.rows)

    # --- data -----------------------------------------------------------------------
    def show_data(self, data: MarketService) -> None:
        """Render the market service's latest tickers."""
        self.market = data
        self._render_rows()

    def _render_rows(self) -> None:
        market = self.market
        if market is None or not self.is_mounted:
            return
        rows = build_rows(
            market.names, market.tickers, market.pairs, market.watchlist,
            sort=self.sort_key, reverse=self.sort_reverse, query=self.filter_text,
        )
        query = self.filter_text.strip()
        self.table.empty_text = (f"no matches for “{query}” (Esc clears)"
                                 if query and not rows else "")
        self.table.set_rows(rows)

    def _marks(self) -> None:
        if self.is_mounted:
            self.table.set_marks(self.selected, self.sort_key, self.sort_reverse)

    def _highlighted_pair(self) -> str | None:
        return self.table.highlighted

    def watch_sort_key(self) -> None:
        """Re-sort on a new column."""
        self._marks()
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
        self._marks()
        order = [r.pair for r in self.table.rows]
        if new in order:
            self.table.move_cursor(row=order.index(new))

    # --- user intents ---------------------------------------------------------------
    @on(MarketsTable.RowSelected)
    def _row_selected(self, event: MarketsTable.RowSelected) -> None:
        event.stop()
        self._choose(event.pair)

    def _choose(self, pair: str) -> None:
        """Pick ``pair``: the filter has done its job, so it is cleared (the next letters
        typed start a new search instead of running on from the old one)."""
        self.post_message(PairChosen(pair))
        self.query_one("#markets-filter", Input).value = ""
        self.filter_text = ""

    @on(MarketsTable.HeaderSelected)
    def _header_selected(self, event: MarketsTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.key)

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
        self.table.move_cursor(row=0)
        first = self.table.highlighted
        if first and event.value and self.table.rows:
            self._choose(first)  # Enter in the filter picks the top match

    def on_key(self, event: events.Key) -> None:
        """Type-to-filter: any letter typed on the table goes to the filter box, even one
        the app binds (``s`` of ``sol`` must not open a SELL form), and so does an unbound
        digit (1-5 keep focusing the panes); escape in the filter box clears it."""
        filter_box = self.query_one("#markets-filter", Input)
        if filter_box.has_focus and event.key == "escape":
            filter_box.value = ""
            self.table.focus()
            event.stop()
            return
        char = event.character
        if not (self.table.has_focus and char and len(char) == 1):
            return
        if char in TABLE_PASSTHROUGH and event.key in self.screen.active_bindings:
            return  # B / S: buy / sell from the start screen (lower case still filters)
        if (char.isascii() and char.isalpha()) or (
                (char.isdigit() or char == "_")
                and event.key not in self.screen.active_bindings):
            filter_box.focus()
            filter_box.insert_text_at_cursor(char)
            event.stop()
            event.prevent_default()

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
        """Put the cursor in the filter box, its text selected so typing replaces it."""
        box = self.query_one("#markets-filter", Input)
        box.focus()
        box.select_all()
