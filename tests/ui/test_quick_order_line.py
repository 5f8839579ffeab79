"""The quick-order line (``:``): one line builds the order form's own draft, preview and
confirm; ``cancel all`` asks with the count; a line that cannot be read says why. ``B`` /
``S`` open the form from the start screen (the markets table), as the footer says."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from tests.support.dashboard import trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)




async def _line(pilot: Any, text: str) -> None:
    await pilot.press("colon")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, QuickOrderModal),
                     what="the quick line")
    await pilot.press(*text, "enter")


def _body(app: Any) -> str:
    return str(app.screen.query_one("#confirm-body", Static).render())


async def test_buy_at_bid_from_the_line_is_the_forms_confirm(market_sim: Any,
                                                            tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await _line(pilot, "buy 0.01 @bid")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and bool(app.screen.query("#confirm-body")), what="confirm")
        form = app.screen_stack[-2]
        assert isinstance(form, OrderFormModal)
        bid = form.context.book.buy[0].price
        body = _body(app)
        assert "BUY" in body and "LIMIT" in body and "0.010000 BTC" in body
        assert f"{bid:,.2f} USDT" in body and "SPOT" in body
        title = str(form.query_one("#form-title", Static).render())
        assert "from the line “buy 0.01 @bid”" in title
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmModal | OrderFormModal),
                         what="placed")
        orders = app.main.query("OpenOrdersPane").first()
        await wait_until(pilot, lambda: [o.price for o in orders._orders.values()] == [bid],
                         what="the order at the bid listed")


async def test_sell_share_of_another_pair_at_market(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await _line(pilot, "sell 50% ETH_USDT market")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and bool(app.screen.query("#confirm-body")), what="confirm")
        assert app.market.selected == "ETH_USDT"  # the pair the order is about is on screen
        body = _body(app)
        assert "SELL" in body and "ETH_USDT" in body and "MARKET" in body
        assert "10.00000 ETH" in body  # half of the demo account's 20 ETH
        await pilot.press("escape")  # back in the form, nothing sent
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
        assert app.screen.query_one("#amount", Input).value == "10.00000"


async def test_cancel_all_asks_with_the_count(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    ex = market_sim.exchange
    for price in ("80000", "80001"):
        ex.place_order(market_sim.account_id, {
            "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
            "base_amount": Decimal("0.01"), "limit_price": Decimal(price)})
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        app.action_refresh()
        panes = list(app.main.query("OpenOrdersPane"))
        await wait_until(pilot, lambda: len(panes[0]._orders) == 2, what="orders")
        await _line(pilot, "cancel all BTC_USDT")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and bool(app.screen.query("#confirm-body")), what="confirm")
        assert "all 2" in _body(app) and "BTC_USDT" in _body(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(panes[0]._orders) == 0,
                         what="cancelled")


async def test_a_line_that_cannot_be_read_says_why(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await _line(pilot, "buy 0.01 BTC_USDT")
        # stays open with the reason
        await wait_until(pilot, lambda: isinstance(app.screen, QuickOrderModal) and "Give a price"
                         in str(app.screen.query_one("#quick-hint", Static).render()),
                         what="the reason under the line")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, QuickOrderModal),
                         what="line closed")


async def test_shift_b_opens_buy_from_the_markets_table(market_sim: Any,
                                                       tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        assert app.query_one("#markets-table").has_focus  # the start state
        footer = {getattr(k, "key", ""): getattr(k, "description", "")
                  for k in app.screen.query("FooterKey")}
        assert footer.get("B") == "Buy" and footer.get("S") == "Sell"
        assert footer.get("colon") == "Quick order"
        assert "b" not in footer  # b filters here: the footer does not offer it
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
        assert str(app.screen.query_one("#side").value) == "BID"
