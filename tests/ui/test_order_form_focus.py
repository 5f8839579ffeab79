"""A fresh order form takes the amount first, whatever the market context is doing.

The form's context (balances, fees, book, last price) is fetched when it opens and can take
seconds on a loaded machine. Keys typed at once used to land in the empty Limit price that
had the focus (``0.01`` became a passive bid at 0.01); now the amount has the focus from
the start, and the price is filled in with the last price once it is known, never over what
the trader typed into it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.services.format import format_decimal
from tests.support.dashboard import open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)


def _hold_context(app: Any) -> asyncio.Event:
    """The form's market context waits until the returned event is set."""
    release = asyncio.Event()
    service = app.trading
    fetch = service.market_context

    async def held(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await fetch(*args, **kwargs)

    service.market_context = held
    return release


def _without_last(app: Any) -> None:
    """The form opens knowing no last price (the session has none yet)."""
    ui = app.trading_ui
    known = ui._context
    ui._context = lambda info: replace(known(info), last_price=None)


async def test_keys_typed_before_the_context_arrives_go_to_the_amount(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        _without_last(app)
        release = _hold_context(app)
        form = await open_order_form(pilot)
        await pilot.press(*"0.01")  # at once, the context still out
        amount, price = form.query_one("#amount", Input), form.query_one("#price", Input)
        assert amount.value == "0.01" and amount.has_focus
        assert price.value == ""
        assert form.context.book is None  # the test did type before the context arrived
        release.set()
        await wait_until(pilot, lambda: form.context.book is not None, what="context")
        await pilot.pause()
        last = form.context.last_price
        assert last is not None
        assert amount.value == "0.01"
        assert price.value == format_decimal(last, form.pair.price_precision,
                                             thousands=False)


async def test_a_price_typed_before_the_context_arrives_is_kept(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        _without_last(app)
        release = _hold_context(app)
        form = await open_order_form(pilot)
        await pilot.press(*"0.01", "tab", "tab", "tab", "tab", "tab", *"85000")
        price = form.query_one("#price", Input)
        assert price.value == "85000", app.focused
        release.set()
        await wait_until(pilot, lambda: form.context.book is not None, what="context")
        await pilot.pause()
        assert price.value == "85000"
        assert form.query_one("#amount", Input).value == "0.01"


async def test_a_form_opens_with_the_last_price_the_session_knows(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        _hold_context(app)  # never arrives
        form = await open_order_form(pilot)
        last = app.market.ticker().last
        assert form.query_one("#amount", Input).has_focus
        assert form.query_one("#price", Input).value == format_decimal(
            last, form.pair.price_precision, thousands=False)
