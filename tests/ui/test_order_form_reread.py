"""A form left open reads balances, book and price again before its review: its estimates,
crossing warning and "Needs … available" check used what was read when it opened."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.widgets import Input

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import CONTEXT_FRESH_S
from tests.support.dashboard import open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until


async def test_a_review_after_a_while_reads_the_market_again(sim_server: Any,
                                                            tmp_path: Path) -> None:
    app = trading_app(sim_server, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot)
        await wait_until(pilot, lambda: form.context.balances is not None, what="balances")
        reads: list[float] = []
        read = form.service.market_context

        async def counted(*args: Any, **kwargs: Any) -> Any:
            reads.append(time.monotonic())
            return await read(*args, **kwargs)

        form.service.market_context = counted  # type: ignore[method-assign]
        form.query_one("#amount", Input).value = "0.001"
        later = time.monotonic() + CONTEXT_FRESH_S + 1
        form.clock = lambda: later  # type: ignore[method-assign]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        assert len(reads) == 1  # read again, then reviewed
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form, what="form again")
        await pilot.press("enter")  # just read: straight to the review
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        assert len(reads) == 1
