"""A margin action sent to an exchange that does not answer: the form counts the seconds it
has waited, and an answer that never came leaves the form open with what was typed, says
so, and will not send it again (a second Ctrl+S could borrow twice)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, Select, Static

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.sim.faults import FaultRule
from alp_tui.ui.modals.borrow import BorrowModal
from alp_tui.ui.panes.margin import MarginPane
from tests.support.dashboard import fast_config, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)
TIMEOUT_S = 2.0


def _said(screen: Any) -> str:
    found = screen.query("#form-error")  # ("" once the form is gone)
    return str(found.first(Static).render()) if found else ""


async def test_a_frozen_exchange_shows_the_wait_then_locks_the_margin_form(
        market_sim: Any, tmp_path: Path) -> None:
    market_sim.exchange.margin_transfer(market_sim.account_id, WalletType.CROSS_MARGIN,
                                        MarginDirection.ADD, Decimal(1000), "USDT")
    app = trading_app(market_sim, tmp_path, config=fast_config(TIMEOUT_S))
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await wait_until(pilot, lambda: any(p.snapshot is not None
                                            for p in app.main.query(MarginPane)),
                         what="margin")
        pane = next(p for p in app.main.query(MarginPane) if p.snapshot is not None)
        pane.action_borrow()
        await wait_until(pilot, lambda: isinstance(app.screen, BorrowModal), what="borrow")
        form = app.screen
        form.query_one("#wallet", Select).value = "CROSS_MARGIN"
        await pilot.pause()
        form.query_one("#currency", Select).value = "USDT"
        form.query_one("#amount", Input).value = "100"
        await pilot.pause()
        market_sim.faults.add(FaultRule(kind="latency", latency_s=3 * TIMEOUT_S))
        await pilot.press("ctrl+s")
        counting = re.compile(r"Sending… (\d+) s")
        await wait_until(pilot, lambda: counting.search(_said(form)), what="the wait counted")
        await wait_until(pilot, lambda: not form.busy, what="the outcome")
        market_sim.faults.clear()
        said = _said(form)
        assert app.screen is form and "No answer from the exchange" in said, said
        assert form.query_one("#amount", Input).value == "100"
        submit = form.query_one("#submit", Button)
        assert submit.disabled and str(submit.label) == "Locked", submit.label
        await pilot.press("ctrl+s")  # nothing goes out again from this form
        await pilot.pause()
        assert not form.busy and "No answer from the exchange" in _said(form)
