"""Pilot tests: the order form, confirm step, open orders and balances against the sim."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import DataTable, Input, Select, Static

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.wait import settle


def form(app: Any) -> OrderFormModal:
    screen = app.screen
    assert isinstance(screen, OrderFormModal), screen
    return screen


async def fill(pilot: Any, **values: str) -> None:
    modal = form(pilot.app)
    for name, value in values.items():
        widget = modal.query_one(f"#{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.pause()


def error_of(app: Any, name: str) -> str:
    return str(form(app).query_one(f"#{name}-error", Static).render())


def order_rows(app: Any) -> int:
    return app.query_one("#orders-table", DataTable).row_count


async def test_limit_buy_through_form_shows_in_open_orders(harness: Any) -> None:
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        assert order_rows(pilot.app) == 0
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, amount="0.01", price="90000")
        assert form(pilot.app).result.ok
        await pilot.press("enter")  # Input.Submitted → review
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        body = str(pilot.app.screen.query_one("#confirm-body", Static).render())
        assert "BUY" in body and "0.010000 BTC" in body and "90,000.00 USDT" in body
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, OrderFormModal | ConfirmModal)
        assert order_rows(pilot.app) == 1
        assert pilot.app.changes, "AccountChanged reached the app"
        # Reserve shows in balances.
        table = pilot.app.query_one("#balances-table", DataTable)
        assert str(table.get_cell("SPOT:USDT", "reserve")) == "900.00"


async def test_escape_backs_out_of_confirm_without_sending(harness: Any) -> None:
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, amount="0.01", price="95000")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, OrderFormModal)
        await pilot.press("escape")
        await settle(pilot)
        assert not await harness.trading.open_orders()


async def test_every_validation_error_under_its_field(harness: Any) -> None:
    async with harness.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, amount="abc", price="1.234")
        assert error_of(pilot.app, "amount") == "Enter a plain number, e.g. 0.5"
        assert error_of(pilot.app, "price") == "At most 2 decimals"
        await fill(pilot, amount="0.000001", price="90000")
        assert error_of(pilot.app, "amount").startswith("Minimum is")
        await fill(pilot, amount="101")
        assert error_of(pilot.app, "amount").startswith("Maximum is")
        await fill(pilot, amount="0.00002", price="100")
        assert "below the minimum" in error_of(pilot.app, "amount")
        await fill(pilot, amount="5", price="90000")
        assert error_of(pilot.app, "amount").startswith("Needs 450,000.00 USDT")
        await fill(pilot, order_type="STOP_LIMIT", amount="0.01", price="95000", stop_price="")
        form(pilot.app).review()
        await pilot.pause()
        assert error_of(pilot.app, "stop_price") == "Stop price is required"
        await fill(pilot, side_effect="AUTO_BORROW")
        assert "margin wallet" in error_of(pilot.app, "side_effect")
        await fill(pilot, side_effect="NO_SIDE_EFFECT", order_type="STOP_MARKET", side="ASK",
                   amount_in="quote", stop_price="80000", amount="100")
        assert "sized in BTC" in error_of(pilot.app, "amount_in")
        # Nothing left the form.
        assert not await harness.trading.open_orders()


async def test_server_field_error_lands_under_field(harness: Any) -> None:
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, amount="0.01", price="90000")
        # Spend the balance behind the form's back (and forget it there): the server refuses.
        form(pilot.app).context = form(pilot.app).context.__class__(pair=harness.pair)
        await harness.trading.client.place_order(
            pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
            base_amount=Decimal("1.09"), limit_price=Decimal("91000"))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OrderFormModal)
        assert "insufficient" in error_of(pilot.app, "amount")


async def test_timeout_after_processing_reports_placed_no_resend(harness: Any,
                                                                 sim_server: Any) -> None:
    from alp_tui.sim.faults import FaultRule

    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, amount="0.01", price="90000")
        sim_server.faults.add(FaultRule(kind="drop_mid", path="/api/v3/trading/order",
                                        method="POST", count=1))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert order_rows(pilot.app) == 1
        assert len(await harness.trading.open_orders()) == 1


async def test_timeout_before_processing_reports_not_placed(harness: Any,
                                                            sim_server: Any) -> None:
    from alp_tui.sim.faults import FaultRule

    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, amount="0.01", price="90000")
        sim_server.faults.add(FaultRule(kind="drop", path="/api/v3/trading/order",
                                        method="POST", count=1))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        modal = form(pilot.app)
        status = str(modal.query_one("#send-status", Static).render())
        assert "not placed" in status.lower()
        assert not await harness.trading.open_orders()


async def test_cancel_selected_and_cancel_all_from_pane(harness: Any, btc: Any) -> None:
    svc = harness.trading
    for price in ("90000", "89000", "88000"):
        await svc.client.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                     base_amount=Decimal("0.01"), limit_price=Decimal(price))
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        assert order_rows(pilot.app) == 3
        pilot.app.query_one("#orders-table").focus()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        body = str(pilot.app.screen.query_one("#confirm-body", Static).render())
        assert "0.010000 BTC at 90,000.00" in body  # grouped, as everywhere on screen
        await pilot.press("enter")
        await settle(pilot)
        assert order_rows(pilot.app) == 2
        result = str(pilot.app.query_one("#orders-result", Static).render())
        assert "1 cancelled" in result
        await pilot.press("X")
        await pilot.pause()
        body = str(pilot.app.screen.query_one("#confirm-body", Static).render())
        assert "ALL 2" in body
        await pilot.press("enter")
        await settle(pilot)
        assert order_rows(pilot.app) == 0
        assert not await svc.open_orders()


async def test_move_price_one_tick_confirms_first_time(harness: Any) -> None:
    svc = harness.trading
    await svc.client.place_order(pair="BTC_USDT", order_side="SELL", order_type="LIMIT",
                                 base_amount=Decimal("0.01"), limit_price=Decimal("95000"))
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        pilot.app.query_one("#orders-table").focus()
        await pilot.press("plus")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        body = str(pilot.app.screen.query_one("#confirm-body", Static).render())
        assert "0.010000 BTC from 95,000.00 to 95,000.01 USDT" in body
        await pilot.press("enter")
        await settle(pilot)
        prices = [o.price for o in await svc.open_orders()]
        assert prices == [Decimal("95000.01")]
        await pilot.press("minus")  # second time: no confirmation
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ConfirmModal)
        prices = [o.price for o in await svc.open_orders()]
        assert prices == [Decimal("95000.00")]


async def test_percent_buttons_fill_amount_from_available(harness: Any) -> None:
    async with harness.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, price="95000")
        modal = form(pilot.app)
        modal.query_one("#pct-50").press()
        await pilot.pause()
        assert modal.query_one("#amount", Input).value == "1.000000"  # half of 2 BTC
        await fill(pilot, side="BID")
        modal.query_one("#pct-25").press()
        await pilot.pause()
        # a quarter of 100000 USDT at 95000, rounded down to the amount step
        assert modal.query_one("#amount", Input).value == "0.263157"


async def test_market_buy_fill_shows_in_balances(harness: Any, counterparty: Any) -> None:
    counterparty.limit("SELL", "91300", "1")
    async with harness.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        table = pilot.app.query_one("#balances-table", DataTable)
        assert str(table.get_row("SPOT:BTC")[2]) == "2.000000"
        await pilot.press("b")
        await settle(pilot)
        await fill(pilot, order_type="MARKET", amount="0.5")
        form(pilot.app).review()
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert str(table.get_row("SPOT:BTC")[2]) == "2.499000"  # 0.5 less the 0.2% taker fee
        assert order_rows(pilot.app) == 0  # filled at once: nothing left open


async def test_keys_typed_after_open_go_to_amount_not_the_prefilled_price(harness: Any) -> None:
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)  # the market context arrives and prefills the last price
        modal = form(pilot.app)
        price = modal.query_one("#price", Input).value
        assert price, "the last price is prefilled"
        await pilot.press("0", ".", "0", "1")
        await pilot.pause()
        assert modal.query_one("#amount", Input).value == "0.01"
        assert modal.query_one("#price", Input).value == price
