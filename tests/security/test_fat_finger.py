"""Order entry through the real dashboard: the amounts typed are used as Decimal, and the
fat-finger guard flags an order using more than the configured share of the balance or
priced to cross the book far beyond the touch; such an order is sent only once its amount
is typed on the confirm step (Enter alone never passes it). Passive orders never warn."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from alp_tui.api.models import PairInfo
from alp_tui.services.order_draft import (
    FormInput,
    GuardSettings,
    MarketContext,
    build_draft,
)
from alp_tui.sim.server import SimServer
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.dashboard import SIZE, dashboard, trading_app
from tests.support.sim import ledger_orders
from tests.support.wait import wait_until


async def _open_form(pilot: Any, app: Any) -> OrderFormModal:
    await wait_until(pilot, lambda: getattr(app, "trading", None) is not None
                     and app.market.info() is not None
                     and app.topic_states.get("balances") is not None
                     and app.topic_states["balances"].updated_at is not None,
                     what="trading ready")
    await pilot.press("3")  # letters typed on the markets table filter it: trade from the chart
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
    return app.screen


async def _review(pilot: Any, app: Any, amount: str, price: str) -> str:
    form = await _open_form(pilot, app)
    form.query_one("#amount", Input).value = amount
    form.query_one("#price", Input).value = price
    # The form opens with what the session knows and fetches balances, fees and the book
    # (the guard's "would cross the book" needs it); on a loaded machine Enter came first.
    await wait_until(pilot, lambda: form.result is not None and form.result.ok
                     and form.context.book is not None, what="valid, with the book")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                     and bool(app.screen.query("#confirm-body")), what="confirm")
    return str(app.screen.query_one("#confirm-body", Static).render())


async def _back_out(pilot: Any, app: Any) -> None:
    """Esc on the confirm step, then Esc on the form: nothing sent."""
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form")
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, OrderFormModal | ConfirmModal),
                     what="form closed")


async def test_guard_flags_fat_fingers_and_asks_for_the_amount_typed(
        sim_server: SimServer, tmp_path: Path) -> None:
    # default polling, not dashboard()'s 0.2 s: each key press waits for the app to idle
    # (at most 1 s, twice), and polling that fast never let it idle: 60 s instead of 10
    app = trading_app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        # a resting bid far below the market: passive, so no warning at all
        await _open_form(pilot, app)
        last = app.market.ticker()
        low = (last.last * Decimal("0.85")).quantize(Decimal("0.01")) if last else "80000"
        body = await _review(pilot, app, "0.01", str(low))
        assert "⚠" not in body
        assert not app.screen.query("#confirm-typed")
        await _back_out(pilot, app)
        # 1 BTC at 55,000: passive too, but 55 % of the 100,000 USDT balance
        body = await _review(pilot, app, "1", "55000")
        assert "Uses" in body and "USDT" in body and "below last" not in body
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal) and confirm.query("#confirm-typed")
        for _ in range(3):  # no number of Enters sends it
            await pilot.press("enter")
            await pilot.pause()
        assert app.screen is confirm
        assert "type 1" in str(confirm.query_one("#confirm-status", Static).render())
        assert ledger_orders(sim_server) == []
        await pilot.press("9", "enter")  # the wrong amount: still nothing
        await pilot.pause()
        assert ledger_orders(sim_server) == [] and app.screen is confirm
        await _back_out(pilot, app)
        assert ledger_orders(sim_server) == []
        # a buy priced far through the book: flagged; typing the amount sends it, once
        ask = app.market.ticker()
        high = ((ask.last if ask else Decimal("90000")) * 3).quantize(Decimal("0.01"))
        body = await _review(pilot, app, "0.01", str(high))
        assert "would cross the book" in body
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert ledger_orders(sim_server) == []
        await pilot.press("0", ".", "0", "1", "enter")
        await wait_until(pilot, lambda: len(ledger_orders(sim_server)) == 1, what="sent")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmModal),
                         what="confirm closed")
    (order,) = ledger_orders(sim_server)
    assert Decimal(str(order["amount"])) == Decimal("0.01")
    assert Decimal(str(order["price"])) == high


def test_guard_thresholds_come_from_the_config(sim_server: SimServer) -> None:
    from alp_tui.config import TradingConfig
    from tests.support.dashboard import fast_config

    config = fast_config().model_copy(update={"trading": TradingConfig(
        max_balance_share=0.001, max_price_deviation_pct=0.5)})
    app = dashboard(sim_server, keys=True, config=config)
    assert app.trading_ui.guard() == GuardSettings(max_balance_share=Decimal("0.001"),
                                                   max_price_deviation_pct=Decimal("0.5"))
    assert dashboard(sim_server, keys=True).trading_ui.guard() == GuardSettings()


def test_guard_thresholds_are_settings() -> None:
    pair = PairInfo.model_validate({
        "name": "BTC_USDT", "currency1": "BTC", "currency2": "USDT", "price_precision": 2,
        "amount_precision": 6, "minimum_order_size": "0.0001", "maximum_order_size": "1000",
        "minimum_order_value": "1"})
    strict = GuardSettings(max_balance_share=Decimal("0.01"),
                           max_price_deviation_pct=Decimal("0.5"))
    ctx = MarketContext(pair=pair, last_price=Decimal("100000"), guard=strict)
    result = build_draft(FormInput(amount="0.001", price="101000"), ctx)
    assert result.ok and any("cross the book" in w for w in result.preview.guard)
    assert result.preview.needs_typed_confirm
    loose = MarketContext(pair=pair, last_price=Decimal("100000"))
    assert not build_draft(FormInput(amount="0.001", price="101000"), loose).preview.warnings

