"""q and a form: ``q`` (on a form's buttons or pickers; in a text field it is a letter)
asks first when the form holds what the trader typed, ``ctrl+q`` quits at once, and a form
closed by Esc keeps nothing: its typed input is dropped, so q no longer has it to ask about
and the next form starts clean. A prefilled price is not typed input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.dashboard import open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)


async def test_q_in_a_form_with_typed_input_asks_and_ctrl_q_does_not(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot, "3", "B")  # from the chart
        await pilot.press(*"0.5")  # the amount has the focus
        await pilot.press("q")  # a letter in a text field: typed, refused by the field
        assert isinstance(app.screen, OrderFormModal)
        form.query_one("#amount", Input).value = "0.5"
        form.query_one("#close").focus()
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked")
        body = str(app.screen.query_one("#confirm-body").render())
        assert "typed input" in body
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form, what="back in the form")
        assert form.query_one("#amount", Input).value == "0.5"
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, what="quit at once")


async def test_q_in_an_untouched_form_quits_without_asking(market_sim: Any,
                                                          tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)  # no open orders
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot, "3", "B")  # from the chart
        await wait_until(pilot, lambda: form.query_one("#price", Input).value != "",
                         what="the prefilled price")
        form.query_one("#close").focus()
        await pilot.press("q")  # the prefilled price is not the trader's input
        await wait_until(pilot, lambda: not app.is_running, what="quit")


async def test_esc_drops_what_the_form_held(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot, "3", "B")  # from the chart
        await pilot.press(*"0.5")
        form.query_one("#price", Input).value = "85000"
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="closed")
        await pilot.pause()
        # the closed form (kept installed for the next order) holds nothing typed
        assert [form.query_one(f"#{n}", Input).value for n in ("amount", "price",
                                                               "stop_price")] == ["", "", ""]
        await pilot.press("q")  # nothing at stake any more: no question
        await wait_until(pilot, lambda: not app.is_running, what="quit")


async def test_q_asks_about_orders_placed_elsewhere_while_their_tab_is_hidden(
        market_sim: Any, tmp_path: Path) -> None:
    """The open orders the quit question counts are the account's (watched whether or not
    a pane shows them), not a hidden pane's copy: at 100x30 with History open, an order
    placed from another device is asked about, in words that agree with the count."""
    from decimal import Decimal

    from textual.widgets import TabbedContent

    from alp_tui.api.client import AlpClient

    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await trading_ready(pilot)
        app.query_one("#account-tabs", TabbedContent).active = "history"
        async with AlpClient(market_sim.base_url, market_sim.api_key, market_sim.api_secret,
                             10) as client:
            await client.place_order(pair="BTC_USDT", order_side="SELL", order_type="LIMIT",
                                     base_amount=Decimal("0.01"),
                                     limit_price=Decimal("150000"))
        await wait_until(pilot, lambda: len(app.session.account.open_orders) == 1,
                         what="the order seen by the account watch", timeout=30)
        await pilot.press("3", "q")  # from the chart (the markets filter takes letters)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="asked")
        body = str(app.screen.query_one("#confirm-body").render())
        assert "1 open order stays on the exchange" in body
