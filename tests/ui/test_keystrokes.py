"""Keystroke counts of the trader's common paths, counted as pressed (reported in #13):
buy 0.01 BTC at the best bid by the book path whatever the previous order was; cancel all
orders of the pair; move an order one tick."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.dashboard import trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)
COUNTS: dict[str, int] = {}


class Keys:
    """Presses keys through the pilot and counts them."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)




def _rest(server: Any, *prices: str) -> None:
    for price in prices:
        server.exchange.place_order(server.account_id, {
            "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
            "base_amount": Decimal("0.01"), "limit_price": Decimal(price)})


def _orders(app: Any) -> dict[int, Any]:
    return app.main.query("OpenOrdersPane").first()._orders


async def test_buy_at_best_bid_by_the_book_is_9_keys_whatever_came_before(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        # the previous order: a cross-margin market sell with auto-borrow, closed unsent
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
        form = app.screen
        form.query_one("#order_type", Select).value = "MARKET"
        form.query_one("#wallet_type", Select).value = "CROSS_MARGIN"
        form.query_one("#side_effect", Select).value = "AUTO_BORROW"
        form.query_one("#amount", Input).value = "0.02"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, OrderFormModal), what="shut")
        keys = Keys(pilot)
        await keys.press("2", "down")  # the book, its best bid
        await wait_until(pilot, lambda: app.selected_level is not None, what="best bid")
        side, bid = app.selected_level
        assert side.value == "BID"
        await keys.press("b")  # buy there
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal)
                         and app.screen.query_one("#amount", Input).has_focus, what="form")
        await keys.press(*"0.01", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await keys.press("enter")
        await wait_until(pilot, lambda: len(_orders(app)) == 1, what="placed")
        (order,) = _orders(app).values()
        assert (order.side.value, order.type.value, order.price, order.amount) == (
            "BID", "LIMIT", bid, Decimal("0.01"))
        assert order.wallet_type.value == "SPOT"
        COUNTS["buy at best bid"] = keys.count
        assert keys.count == 9


async def test_cancel_all_of_the_pair_and_move_one_tick(market_sim: Any,
                                                       tmp_path: Path) -> None:
    _rest(market_sim, "80000", "80001")
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await wait_until(pilot, lambda: len(_orders(app)) == 2, what="two open orders")
        # move one tick: to the open orders, + on the order under the cursor, confirm once
        keys = Keys(pilot)
        await keys.press("5", "5")
        await wait_until(pilot, lambda: getattr(app.focused, "id", "") == "orders-table",
                         what="orders table")
        pane = next(p for p in app.main.query("OpenOrdersPane")
                    if app.focused in p.query("*"))
        before = pane.selected_order()
        await keys.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="move?")
        await keys.press("enter")
        await wait_until(pilot, lambda: before.price + Decimal("0.01") in {
            o.price for o in _orders(app).values()}, what="moved one tick")
        COUNTS["move one tick (first of the session)"] = keys.count
        assert keys.count == 4
        # cancel all of the pair, from where the trader is (the open orders)
        keys = Keys(pilot)
        await keys.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="cancel?")
        assert "all 2" in str(app.screen.query_one("#confirm-body").render())
        await keys.press("enter")
        await wait_until(pilot, lambda: not _orders(app), what="cancelled")
        COUNTS["cancel all of the pair (in open orders)"] = keys.count
        assert keys.count == 2
