"""Order book pane: asks over bids with spread and mid, depth bars, level cursor, grouping.

The pane never fetches: the app calls :meth:`OrderBookPane.show_data` with each
:class:`OrderBook` and the pane posts the user's intents as messages
(:class:`OrderBookPane.LevelSelected`, :class:`OrderBookPane.OrderRequested`,
:class:`OrderBookPane.GroupingToggled`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import Order, OrderBook, PairInfo
from alp_tui.feed.state import FeedState
from alp_tui.services.format import format_decimal
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.account_display import AccountView
from alp_tui.ui.book_model import LevelKey
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.book_ladder import BookLadder
from alp_tui.ui.widgets.pane_status import PaneStatus

__all__ = ["OrderBookPane"]


class OrderBookPane(AccountView, DataPane):
    """The selected pair's order book, sized to the pane, with a keyboard/mouse level cursor.

    Keys (when focused): ↑/↓ move over levels, ``b``/``s`` request a buy/sell order at the
    selected level's price, ``g`` toggles price grouping, ``escape`` clears the selection.
    """

    topic: ClassVar[str] = "orderbook"

    can_focus = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Level ↑", id="orderbook.up", show=False,
                tooltip="Select the level above"),
        Binding("down", "cursor(1)", "Level ↓", id="orderbook.down", show=False,
                tooltip="Select the level below"),
        Binding("b", "order('BID')", "Buy here", id="orderbook.buy",
                tooltip="Open the order form to buy at the selected level's price"),
        Binding("s", "order('ASK')", "Sell here", id="orderbook.sell",
                tooltip="Open the order form to sell at the selected level's price"),
        Binding("g", "toggle_grouping", "Group", id="orderbook.group",
                tooltip="Group the book's orders by price (asks the exchange again)"),
        Binding("escape", "clear_selection", "Unselect", id="orderbook.unselect", show=False,
                tooltip="Clear the selected level"),
    ]  # fmt: skip

    grouped: reactive[bool] = reactive(True)
    """Whether the book is requested grouped by price (the API's ``group=1``); grouped by
    default, as the feed asks for it (``FeedParams.grouped``): the stream serves it live."""

    class LevelSelected(Message):
        """The user selected a level with the cursor keys or the mouse."""

        def __init__(self, pane: OrderBookPane, side: OrderSide, price: Decimal, pair: str) -> None:
            super().__init__()
            self.pane = pane
            self.side = side
            """The level's side: ``ASK`` (sell orders) or ``BID`` (buy orders)."""
            self.price = price
            self.pair = pair

        @property
        def control(self) -> OrderBookPane:
            """The pane that posted the message."""
            return self.pane

    class OrderRequested(Message):
        """``b``/``s`` on a selected level: open the order form prefilled."""

        def __init__(
            self,
            pane: OrderBookPane,
            side: OrderSide,
            price: Decimal,
            pair: str,
            level_side: OrderSide,
        ) -> None:
            super().__init__()
            self.pane = pane
            self.side = side
            """The order's side: ``BID`` to buy (key ``b``), ``ASK`` to sell (key ``s``)."""
            self.price = price
            """The selected level's price (exact, as the book sent it)."""
            self.pair = pair
            self.level_side = level_side
            """Which side of the book the selected level is on."""

        @property
        def control(self) -> OrderBookPane:
            """The pane that posted the message."""
            return self.pane

    class GroupingToggled(Message):
        """The user toggled grouping; the feed should re-request with ``group`` set so."""

        def __init__(self, pane: OrderBookPane, grouped: bool) -> None:
            super().__init__()
            self.pane = pane
            self.grouped = grouped

        @property
        def control(self) -> OrderBookPane:
            """The pane that posted the message."""
            return self.pane

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._own_orders: list[Order] = []
        self._pending_book: OrderBook | None = None
        self._feed_state: FeedState | None = None

    def compose(self) -> ComposeResult:
        """The ladder and the status line."""
        yield BookLadder(id="orderbook-ladder")
        yield PaneStatus(self._status_title(), id="orderbook-status")

    def on_mount(self) -> None:
        """Title the pane; apply a pair set before mounting."""
        if self.pair is not None:
            self.ladder.set_pair(self.pair)
        if self._pending_book is not None:
            self.ladder.set_book(self._pending_book)
            self._pending_book = None
            self._mark_own()
        if self._feed_state is not None:
            self.query_one(PaneStatus).state = self._feed_state
        self._update_titles()

    @property
    def ladder(self) -> BookLadder:
        """The ladder widget."""
        return self.query_one(BookLadder)

    # ------------------------------------------------------------------ DataPane contract

    def set_pair(self, pair: PairInfo) -> None:
        """Switch pair: the old book, selection and flashes go at once."""
        super().set_pair(pair)
        self._own_orders = []
        self._pending_book = None
        if self.is_mounted:
            self.ladder.set_pair(pair)
            self.ladder.set_own_levels(())
            self._update_titles()

    def show_data(self, data: OrderBook) -> None:
        """Show a new book for the current pair (changed levels flash)."""
        if not self.is_mounted:
            self._pending_book = data
            return
        self.ladder.set_book(data)
        self._mark_own()

    def set_feed_state(self, state: FeedState) -> None:
        """Show where the book's data stands (kept until mounted)."""
        self._feed_state = state
        super().set_feed_state(state)

    # ------------------------------------------------------------------ own orders

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Mark the levels holding the user's open orders of the selected pair."""
        self.set_own_orders(snapshot.open_orders)

    def set_own_orders(self, orders: Iterable[Order]) -> None:
        """Mark the levels holding the user's open orders of the current pair."""
        self._own_orders = [
            o
            for o in orders
            if o.status.is_open
            and o.price is not None
            and (self.pair is None or o.pair == self.pair.name)
        ]
        self._mark_own()

    def _mark_own(self) -> None:
        if not self.is_mounted:
            return
        ladder = self.ladder
        book = ladder.book
        if book is None:
            ladder.set_own_levels(())
            return
        remaining: dict[LevelKey, set[Decimal]] = {}
        for o in self._own_orders:
            if o.price is not None:
                remaining.setdefault((o.side, o.price), set()).add(o.remaining)
        keys = [key for key in book.level_keys() if key in remaining]
        ladder.set_own_levels(keys, remaining)

    # ------------------------------------------------------------------ selection

    @property
    def selected(self) -> LevelKey | None:
        """The selected level as (side, price), or None."""
        return self.ladder.cursor if self.is_mounted else None

    def select_level(self, key: LevelKey | None) -> None:
        """Select ``key`` and announce it (None clears the selection)."""
        ladder = self.ladder
        ladder.cursor = key
        if key is not None and self.pair is not None:
            self.post_message(self.LevelSelected(self, key[0], key[1], self.pair.name))

    def action_cursor(self, delta: int) -> None:
        """Move the selection ``delta`` levels down (negative: up)."""
        levels = self.ladder.visible_levels()
        if not levels:
            return
        current = self.ladder.cursor
        if current is None:
            # First press: down picks the best bid, up the best ask.
            side = OrderSide.BID if delta > 0 else OrderSide.ASK
            start = next((k for k in levels if k[0] is side), None)
            self.select_level(start or (levels[-1] if delta > 0 else levels[0]))
            return
        index = levels.index(current) if current in levels else _nearest(levels, current)
        index = max(0, min(len(levels) - 1, index + delta))
        if levels[index] != current:
            self.select_level(levels[index])

    def action_clear_selection(self) -> None:
        """Forget the selected level."""
        self.ladder.cursor = None

    def action_order(self, side: str) -> None:
        """Ask for an order at the selected level's price (``side`` BID or ASK)."""
        key = self.ladder.cursor
        if key is None or self.pair is None:
            self.notify("Select a level first (↑/↓ or a click)", severity="warning", timeout=3)
            return
        self.post_message(
            self.OrderRequested(self, OrderSide(side), key[1], self.pair.name, key[0])
        )

    def on_click(self, event: events.Click) -> None:
        """A click on a level selects it."""
        ladder = self.ladder
        offset = event.get_content_offset(ladder)
        if offset is None:
            return
        key = ladder.level_at(offset.y)
        if key is not None:
            self.focus()
            self.select_level(key)

    # ------------------------------------------------------------------ grouping

    def action_toggle_grouping(self) -> None:
        """Toggle grouping and tell the feed."""
        self.grouped = not self.grouped
        self.post_message(self.GroupingToggled(self, self.grouped))

    def watch_grouped(self, _grouped: bool) -> None:
        """Show the grouping in the status line and title."""
        self._update_titles()

    def _status_title(self) -> str:
        return "grouped" if self.grouped else "ungrouped"

    def _update_titles(self) -> None:
        if not self.is_mounted:
            return
        name = self.pair.name if self.pair else ""
        self.border_title = f"Order book {name}".strip()
        self.border_subtitle = "grouped" if self.grouped else ""
        self.query_one(PaneStatus).title = self._status_title()
        status = self.query_one(PaneStatus)
        status.state = status.state  # redraw with the new title

    def describe_selection(self) -> str:
        """The selection in words, e.g. ``bid 44,999.50`` (empty without one)."""
        key = self.selected
        if key is None:
            return ""
        places = self.pair.price_precision if self.pair else 8
        return f"{'ask' if key[0] is OrderSide.ASK else 'bid'} {format_decimal(key[1], places)}"


def _nearest(levels: list[LevelKey], key: LevelKey) -> int:
    """Index of the visible level closest in price to ``key`` (used when it vanished)."""
    side, price = key
    best, best_distance = 0, None
    for index, (s, p) in enumerate(levels):
        distance = abs(p - price) + (0 if s is side else Decimal(10) ** 30)
        if best_distance is None or distance < best_distance:
            best, best_distance = index, distance
    return best
