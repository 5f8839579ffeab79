"""Open orders: updated in place, cancel one / all of a pair / all, move a price by a tick."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from alp_tui.api.enums import OrderSide, OrderType
from alp_tui.api.models import Order, PairInfo
from alp_tui.feed.state import format_age
from alp_tui.services.format import format_decimal
from alp_tui.services.market import MarketService
from alp_tui.services.trading import AccountChange, CancelResult, Outcome, TradingService
from alp_tui.session.actions import ActionPort, ServiceActions
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.pane_inputs import MovesMoney, UsesActions, UsesMarket, UsesTrading
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.fit_columns import Column, FitsColumns, FittedTable
from alp_tui.ui.panes.table_rows import cursor_row_key
from alp_tui.ui.trading_messages import AccountChanged
from alp_tui.ui.widgets.displayed import displayed
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.static_text import set_static_text
from alp_tui.ui.widgets.ticks import every_second

COLUMNS = (Column("pair", "Pair", 1), Column("side", "Side", 0), Column("type", "Type", 3),
           Column("price", "Price", 0, right=True), Column("stop", "Stop", 4),
           Column("amount", "Amount", 0, right=True), Column("filled", "Filled", 2, right=True),
           Column("status", "Status", 5), Column("tif", "TIF", 7), Column("age", "Age", 6))
"""In the strip the columns of higher rank go first when narrow (side, price, amount stay)."""
ONE_PAIR_COLUMNS = tuple(replace(c, rank=9) if c.key == "pair" else c for c in COLUMNS)
"""The selected pair's orders only (its name is in the status line): the pair column last."""
PIN_S = 5.0  # how long an order we just placed/cancelled overrides an older poll answer


class OpenOrdersPane(FitsColumns, UsesMarket, UsesTrading, UsesActions, MovesMoney,
                     DataPane):
    """The account's open orders (topic ``orders``: a list of :class:`Order`), cancelled
    and moved through the session's actions handed in (:meth:`use_actions`; built alone
    with a trading service, through that)."""

    topic = "orders"

    BINDINGS = [
        Binding("c", "cancel_selected", "Cancel", id="orders.cancel",
                tooltip="Cancel the selected order (asks first)"),
        Binding("x", "cancel_pair", "Cancel pair", id="orders.cancel_pair",
                tooltip="Cancel every open order of the selected pair (asks first)"),
        Binding("X", "cancel_all", "Cancel ALL", id="orders.cancel_all",
                tooltip="Cancel every open order of the account (asks first)"),
        Binding("a", "toggle_all", "All pairs", id="orders.toggle_all",
                tooltip="Show the selected pair's orders or every pair's"),
        Binding("plus,equals_sign", "move(1)", "Price +1 tick", id="orders.tick_up",
                tooltip="Move the selected order's price one tick up (cancel and replace)"),
        Binding("minus,underscore", "move(-1)", "Price −1 tick", id="orders.tick_down",
                tooltip="Move the selected order's price one tick down (cancel and replace)"),
    ]

    def __init__(self, service: TradingService | None = None, *,
                 pairs: dict[str, PairInfo] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.pairs: dict[str, PairInfo] = dict(pairs or {})
        self.show_all = False
        self._orders: dict[int, Order] = {}
        self._paper = False  # a paper account: the confirms say so
        self._pinned: dict[int, float] = {}  # id → monotonic time we learned it exists
        self._gone: dict[int, float] = {}  # id → monotonic time we learned it is gone
        self._table: FittedTable | None = None
        self._replace_confirmed = False
        self._busy = False
        self._listening: TradingService | None = None
        self._market: MarketService | None = None
        self._actions: ActionPort | None = None
        self._ages_tick = False  # orders shown: their Age column counts on

    def compose(self) -> ComposeResult:
        """Status line, the table, and the last action's result."""
        with Horizontal(classes="pane-bar"):
            yield PaneStatus("Open orders")
            yield Static(id="orders-info", classes="pane-info")
        yield DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="orders-result", classes="pane-result")

    def fitted_tables(self) -> list[FittedTable]:
        """The orders table (columns fitted to the pane in the strip)."""
        if self._table is None and self.children:
            self._table = FittedTable(self.query_one("#orders-table", DataTable), COLUMNS,
                                      fitted=self.fit_columns, changed=_cell_changed)
        return [self._table] if self._table is not None else []

    def on_mount(self) -> None:
        """Show the key hints; listen to the service once it exists; keep the ages
        counting (an answer equal to the last is not redrawn, so nothing else would)."""
        self._refresh_info()
        self.attach_service()
        # on the app's once-a-second beat: the ages change in the frame the rest of the
        # screen's once-a-second changes take anyway (issue #12, CPU at rest)
        every_second(self, self._tick_ages)

    def _tick_ages(self) -> None:
        if self._ages_tick and displayed(self):  # only changed cells are redrawn
            self._render_rows()

    def use_trading(self, service: TradingService | None) -> None:
        """Act through ``service`` (None: no keys, trading off)."""
        self.attach_service(service)

    def use_paper(self, paper: bool) -> None:
        """Say "paper" on the cancel and move confirms when ``paper``."""
        self._paper = paper

    def use_actions(self, actions: ActionPort) -> None:
        """Cancel and move orders through ``actions`` (the session): it also hands in our
        own placed and cancelled orders at once, so the service is no longer listened to."""
        self._actions = actions
        self.on_unmount()

    @property
    def actions(self) -> ActionPort:
        """The session's actions; built alone, the trading service's own."""
        return self._actions or ServiceActions(trading=self.service)

    def use_market(self, market: MarketService) -> None:
        """Precisions of pairs not handed in with :meth:`set_pairs`, from ``market``."""
        self._market = market

    def attach_service(self, service: TradingService | None = None) -> None:
        """Use ``service`` (default: the one given before) and learn about our own actions
        from it at once, not at the next poll."""
        service = service or self.service
        if service is None or service is self._listening:
            return
        self.on_unmount()  # stop listening to the one before
        self.service = service
        if self._actions is not None:  # the session tells (the orders topic, at once)
            return
        service.add_listener(self._on_service_change)
        self._listening = service

    def on_unmount(self) -> None:
        """Stop listening."""
        if self._listening is not None:
            self._listening.remove_listener(self._on_service_change)
            self._listening = None

    # --- DataPane contract ------------------------------------------------------------

    def set_pair(self, pair: PairInfo) -> None:
        """Show ``pair``'s orders (unless showing all)."""
        super().set_pair(pair)
        self.pairs[pair.name] = pair
        self._render_rows()

    def set_pairs(self, pairs: list[PairInfo]) -> None:
        """Pair precisions for formatting prices and amounts of every pair."""
        self.pairs.update({p.name: p for p in pairs})

    def show_data(self, data: Any) -> None:
        """A fresh list of open orders (all pairs)."""
        now = time.monotonic()
        fresh = {o.id: o for o in data if o.status.is_open}
        for oid, pinned_at in list(self._pinned.items()):
            if oid in fresh or now - pinned_at > PIN_S:
                self._pinned.pop(oid, None)
            elif oid in self._orders:
                fresh[oid] = self._orders[oid]
        for oid, gone_at in list(self._gone.items()):
            if now - gone_at > PIN_S or oid not in fresh:
                self._gone.pop(oid, None)
            else:
                fresh.pop(oid, None)
        self._orders = fresh
        self._render_rows()

    @property
    def settled(self) -> bool:
        """No order of our own held on screen against the answers (pinned, or hidden for a
        moment after an action): only then does an answer equal to the last change nothing
        (the router skips it)."""
        return not self._pinned and not self._gone

    def apply_change(self, change: AccountChange) -> None:
        """Show our own placed/cancelled orders now (the next poll confirms)."""
        now = time.monotonic()
        for order in change.orders:
            if order.status.is_open:
                self._orders[order.id] = order
                self._pinned[order.id] = now
        for oid in change.gone_ids:
            self._orders.pop(oid, None)
            self._gone[oid] = now
        self._render_rows()

    def _on_service_change(self, change: AccountChange) -> None:
        self.apply_change(change)

    # --- rendering --------------------------------------------------------------------

    def visible_orders(self) -> list[Order]:
        """The orders shown: the selected pair's, or all when toggled."""
        orders = sorted(self._orders.values(), key=lambda o: o.id)
        if self.show_all or self.pair is None:
            return orders
        return [o for o in orders if o.pair == self.pair.name]

    def _info(self, pair: str) -> PairInfo | None:
        info = self.pairs.get(pair)
        if info is None and self._market is not None and pair in self._market.pairs:
            info = self.pairs[pair] = self._market.pairs[pair]
        return info

    def _cells(self, order: Order) -> tuple[Any, ...]:
        info = self._info(order.pair)
        pp = info.price_precision if info else 8
        ap = info.amount_precision if info else 8
        side = Text(order.side.word, style="bold green" if order.side is OrderSide.BID
                    else "bold red")
        price = format_decimal(order.price, pp) if order.price is not None else "market"
        stop = "" if order.stop_price is None else (
            f"{'≥' if order.stop_operator and order.stop_operator.value == 'GTE' else '≤'}"
            f"{format_decimal(order.stop_price, pp)}")
        filled = f"{order.filled_fraction * 100:.1f}%"
        created = order.open_at or order.date
        age = format_age((datetime.now(tz=UTC) - created).total_seconds()) if created else ""
        return (order.pair, side, order.type.value.replace("_", " "), Text(price, justify="right"),
                stop, Text(format_decimal(order.amount, ap), justify="right"),
                Text(filled, justify="right"), order.status.value,
                order.tif.value if order.tif else "", age)

    def _render_rows(self) -> None:
        tables = self.fitted_tables()
        if not tables:
            return
        tables[0].columns = COLUMNS if self.show_all or self.pair is None else ONE_PAIR_COLUMNS
        visible = self.visible_orders()
        tables[0].show({str(o.id): self._cells(o) for o in visible})
        self._refresh_info()
        self._ages_tick = bool(visible)  # only while there are ages to count

    def _refresh_info(self) -> None:
        scope = "all pairs" if self.show_all or self.pair is None else self.pair.name
        count = len(self._table.rows) if self._table else 0
        # orders of other pairs are out of view here: say so, or they would be forgotten
        others = len(self._orders) - count
        elsewhere = f"+{others} on other pairs: a" if others > 0 else ""
        if self.fit_columns:  # the strip's bar has room for the count only: the border
            if self.border_subtitle != elsewhere:
                self.border_subtitle = elsewhere
            elsewhere = ""
        scope += f" ({elsewhere})" if elsewhere else ""
        set_static_text(self.query_one("#orders-info", Static),
                        f"{count} open · {scope} · c cancel · x pair · X all · +/− tick")

    def _result(self, text: str | Text) -> None:
        self.query_one("#orders-result", Static).update(text)
        self.query_one("#orders-result", Static).display = bool(str(text))

    def selected_order(self) -> Order | None:
        """The order under the cursor."""
        if self._table is None or not self._table.rows:
            return None
        key = cursor_row_key(self.query_one("#orders-table", DataTable))
        return self._orders.get(int(key)) if key else None

    # --- actions ----------------------------------------------------------------------

    def action_toggle_all(self) -> None:
        """Selected pair ↔ all pairs."""
        self.show_all = not self.show_all
        self._render_rows()

    def _ready(self) -> bool:
        self.attach_service()
        if self.service is None:
            self._result(Text("Trading needs an API key and secret in the config.",
                              style="yellow"))
            return False
        if self._busy:
            self._result(Text("Still working on the previous action…", style="yellow"))
            return False
        return True

    def action_cancel_selected(self) -> None:
        """Cancel the selected order after confirming."""
        order = self.selected_order()
        if order is None or not self._ready():
            return
        body = Text.assemble("Cancel order ", (f"#{order.id}", "bold"), "\n\n",
                             _describe(order, self._info(order.pair)))
        self.app.push_screen(
            ConfirmModal("Cancel order", body, confirm_label="Cancel order", tone="danger",
                         paper=self._paper),
            lambda ok: self._run_cancel([order.id], order.pair, None) if ok else None)

    def action_cancel_pair(self, pair: str | None = None) -> None:
        """Cancel every open order of ``pair`` (default: the selected order's pair, or the
        selected pair) after confirming with the count."""
        if not self._ready():
            return
        order = self.selected_order()
        if pair is None:
            pair = order.pair if order else (self.pair.name if self.pair else None)
        if pair is None:
            return
        ids = [o.id for o in self._orders.values() if o.pair == pair]
        if not ids:
            self._result(f"No open orders of {pair}.")
            return
        body = Text.assemble("Cancel ", (f"all {len(ids)}", "bold"),
                             f" open orders of {pair}?")
        self.app.push_screen(
            ConfirmModal(f"Cancel all of {pair}", body, confirm_label="Cancel all",
                         tone="danger", paper=self._paper),
            lambda ok: self._run_cancel(ids, pair, "pair") if ok else None)

    def action_cancel_all(self) -> None:
        """Cancel every open order of the account after confirming with the count."""
        if not self._ready():
            return
        ids = list(self._orders)
        if not ids:
            self._result("No open orders.")
            return
        pairs = sorted({o.pair for o in self._orders.values()})
        body = Text.assemble("Cancel ", (f"ALL {len(ids)}", "bold red"),
                             f" open orders on {len(pairs)} pair(s): {', '.join(pairs)}?")
        self.app.push_screen(
            ConfirmModal("Cancel ALL orders", body, confirm_label="Cancel all",
                         tone="danger", paper=self._paper),
            lambda ok: self._run_cancel(ids, None, "all") if ok else None)

    def _run_cancel(self, ids: list[int], pair: str | None, scope: str | None) -> None:
        self._busy = True
        self._result(Text("Cancelling…", style="cyan"))
        self._cancel_worker(ids, pair, scope)

    @work(exclusive=True, group="orders_action", exit_on_error=False)
    async def _cancel_worker(self, ids: list[int], pair: str | None, scope: str | None) -> None:
        try:
            if scope == "pair" and pair is not None:
                result = await self.actions.cancel(ids, pair=pair, scope="pair")
            elif scope == "all":
                result = await self.actions.cancel(ids, scope="all")
            else:
                result = await self.actions.cancel(ids, pair=pair)
        except Exception as exc:
            result = CancelResult(Outcome.UNKNOWN, f"Unexpected error: {type(exc).__name__}; "
                                  "check open orders.")
        finally:
            self._busy = False
        self._show_cancel(result)
        self.app.post_message(AccountChanged(AccountChange(
            "cancel", pair, (), tuple(result.cancelled_ids))))

    def _show_cancel(self, result: CancelResult) -> None:
        text = Text(result.message, style="green" if result.cancelled_ids else "yellow")
        if result.statuses and len(result.statuses) <= 8:
            text.append("  " + " · ".join(result.lines()), style="dim")
        self._result(text)

    def action_move(self, ticks: int) -> None:
        """Move the selected order's price by ``ticks`` (cancel, then place)."""
        order = self.selected_order()
        if order is None or not self._ready():
            return
        if order.type not in (OrderType.LIMIT, OrderType.STOP_LIMIT) or order.price is None:
            self._result("Only limit and stop-limit orders have a price to move.")
            return
        info = self._info(order.pair)
        if info is None:
            self._result(f"Precision of {order.pair} unknown yet; try again in a moment.")
            return
        new_price = order.price + info.price_tick * ticks
        if new_price <= 0:
            return
        pp, ap = info.price_precision, info.amount_precision
        move = Text.assemble(f"Move #{order.id} ", (order.side.word, "bold green"
                             if order.side is OrderSide.BID else "bold red"),
                             f" {format_decimal(order.remaining, ap)} {info.base}"
                             f" from {format_decimal(order.price, pp)} to ",
                             (format_decimal(new_price, pp), "bold"),
                             f" {info.quote}")
        if self._replace_confirmed:
            self._run_move(order, new_price, info, move)
            return
        body = move + Text("\n\nThe order is cancelled first; the remaining amount is placed "
                           "at the new price only once the cancel is confirmed. You will not "
                           "be asked again this session.", style="dim")
        self.app.push_screen(ConfirmModal("Move order price", body, confirm_label="Move",
                                          paper=self._paper),
                             lambda ok: self._confirm_move(ok, order, new_price, info, move))

    def _confirm_move(self, ok: bool | None, order: Order, price: Decimal, info: PairInfo,
                      move: Text) -> None:
        if ok:
            self._replace_confirmed = True
            self._run_move(order, price, info, move)

    def _run_move(self, order: Order, price: Decimal, info: PairInfo, move: Text) -> None:
        self._busy = True
        self._result(move + Text("  sending…", style="cyan"))
        self._move_worker(order, price, info)

    @work(exclusive=True, group="orders_action", exit_on_error=False)
    async def _move_worker(self, order: Order, price: Decimal, info: PairInfo) -> None:
        try:
            result = await self.actions.replace(order, price, info)
            text = Text(result.message, style="green" if result.replaced else "yellow")
        except Exception as exc:
            text = Text(f"Unexpected error: {type(exc).__name__}", style="red")
        finally:
            self._busy = False
        self._result(text)
        self.app.post_message(AccountChanged(AccountChange("replace", order.pair)))


def _describe(order: Order, info: PairInfo | None) -> Text:
    pp = info.price_precision if info else 8
    ap = info.amount_precision if info else 8
    base = info.base if info else order.pair.split("_")[0]
    price = format_decimal(order.price, pp) if order.price is not None else "market"
    return Text.assemble(
        (order.side.word, "bold green" if order.side is OrderSide.BID else "bold red"),
        f" {format_decimal(order.remaining, ap)} {base} at {price}"
        f" ({order.type.value}, {order.pair})")


def _cell_changed(new: Any, before: Any) -> bool:
    """A cell needs redrawing when its text or its style changed."""
    return str(new) != str(before) or getattr(new, "style", None) != getattr(
        before, "style", None)
