"""A withdrawal sent to an exchange that does not answer: the form counts the seconds it
has waited, then says the outcome is unknown and keeps Withdraw disabled (never twice)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, Static

from alp_tui.sim.faults import FaultRule
from alp_tui.ui.modals.confirm import ConfirmModal
from tests.support.dashboard import fast_config, open_withdraw_form, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)
TIMEOUT_S = 2.0


def _status(screen: Any) -> str:
    found = screen.query("#withdraw-status")
    return str(found.first(Static).render()) if found else ""


async def test_a_frozen_exchange_shows_the_withdrawal_waiting(market_sim: Any,
                                                              tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path, config=fast_config(TIMEOUT_S))
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_withdraw_form(pilot)
        form.query_one("#amount", Input).value = "25"
        await wait_until(pilot, lambda: form.query("#attr-address"), what="address field")
        form.query_one("#attr-address", Input).value = "T" + "b" * 33
        await pilot.pause()
        form.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        market_sim.faults.add(FaultRule(kind="latency", latency_s=3 * TIMEOUT_S))
        await pilot.press("enter")
        counting = re.compile(r"Sending… (\d+) s")
        await wait_until(pilot, lambda: app.screen is form and counting.search(_status(form)),
                         what="the wait counted")
        await wait_until(pilot, lambda: not form._sending, what="the outcome")
        market_sim.faults.clear()
        said = _status(form)
        assert "nothing was resent" in said and "withdrawals history" in said, said
        assert form.query_one("#submit", Button).disabled
        assert form.query_one("#amount", Input).value == "25"
