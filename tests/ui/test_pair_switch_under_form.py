"""The palette's pair switch while a form for one pair is open: the dashboard behind a
form never moves to another pair (the form, its confirm and a quick line's default pair
stay what the trader reads); the palette says why instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from tests.support.dashboard import SIZE, open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until


def _hits(app: Any) -> int:
    lists = app.screen.query("CommandList")
    return lists.first().option_count if lists else 0


async def _palette_pair(pilot: Any, pair: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p", *f"pair: {pair.lower()}")
    await wait_until(pilot, lambda: _hits(app) > 0, what="palette hits")
    await pilot.press("enter")
    await wait_until(pilot, lambda: type(app.screen).__name__ != "CommandPalette",
                     what="palette closed")


def _toasts(app: Any) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def test_the_pair_does_not_move_under_an_open_order_form(
    market_sim: Any, tmp_path: Path
) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot, "B")
        await pilot.press(*"0.01")
        await _palette_pair(pilot, "ETH_USDT")
        await wait_until(pilot, lambda: "Close the order form" in _toasts(app),
                         what="the reason said")
        assert app.market.selected == "BTC_USDT"
        assert app.header_pane.pair == "BTC_USDT"
        assert app.screen is form and isinstance(form, OrderFormModal)
        assert form.query_one("#amount", Input).value == "0.01"  # nothing typed is lost
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="form closed")
        await _palette_pair(pilot, "ETH_USDT")  # with no form open it switches
        await wait_until(pilot, lambda: app.market.selected == "ETH_USDT", what="switched")


async def test_the_quick_line_keeps_the_pair_it_names(market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, QuickOrderModal), what="line")
        await _palette_pair(pilot, "SOL_USDT")
        await wait_until(pilot, lambda: "Close the quick order line" in _toasts(app),
                         what="the reason said")
        assert app.market.selected == "BTC_USDT"
        assert isinstance(app.screen, QuickOrderModal)
