"""Context, not memory: a book level picked for an order is forgotten on Esc, on a pair
switch and once an order form has used it, so no later form opens at a stale price."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.dashboard import trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)




async def _pick_level(pilot: Any) -> None:
    await pilot.press("2", "down")  # the book, best bid
    await wait_until(pilot, lambda: pilot.app.selected_level is not None, what="level")


async def _open_price(pilot: Any, key: str) -> str:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OrderFormModal),
                     what="form")
    form = pilot.app.screen
    await wait_until(pilot, lambda: form.query_one("#price", Input).value != "",
                     what="price shown")
    title = str(form.query_one("#form-title").render())
    price = form.query_one("#price", Input).value
    await pilot.press("escape")
    await pilot.pause()
    return f"{price}|{'from the book' in title}"


async def test_level_forgotten_on_escape_pair_switch_and_use(market_sim: Any,
                                                            tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        # Esc in the book forgets the level: `b` from the chart opens at last, not the level
        await _pick_level(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.selected_level is None
        await pilot.press("3")
        assert (await _open_price(pilot, "b")).endswith("|False")
        # a pair switch forgets it
        await _pick_level(pilot)
        app.select_pair("ETH_USDT")
        await wait_until(pilot, lambda: app.market.info() is not None
                         and app.market.info().name == "ETH_USDT", what="ETH")
        assert app.selected_level is None
        await pilot.press("3")
        assert (await _open_price(pilot, "b")).endswith("|False")
        # used once: the next form from elsewhere opens at last
        await _pick_level(pilot)
        first = await _open_price(pilot, "b")
        assert first.endswith("|True")
        assert app.selected_level is None
        await pilot.press("3")
        assert (await _open_price(pilot, "b")).endswith("|False")
