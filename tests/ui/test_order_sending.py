"""An order sent to an exchange that does not answer: the confirm counts the seconds it has
waited (and, past the client's timeout, says the order is being looked up), and when the
wait ends without an answer the form stays open with what was typed, says in words what is
known (not sent again; check open orders), and sends nothing more."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, Static

from alp_tui.sim.faults import FaultRule
from alp_tui.ui.modals.confirm import ConfirmModal
from tests.support.dashboard import fast_config, open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)
TIMEOUT_S = 2.0


def _shown(screen: Any, selector: str) -> str:
    found = screen.query(selector)  # ("" once the screen is gone)
    return str(found.first(Static).render()) if found else ""


async def test_a_frozen_exchange_shows_the_wait_then_keeps_the_form(market_sim: Any,
                                                                    tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path, config=fast_config(TIMEOUT_S))
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_order_form(pilot)
        await wait_until(pilot, lambda: form.context.balances is not None, what="balances")
        await pilot.press(*"0.001")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and app.screen.query("#confirm-body"), what="confirm")
        confirm = app.screen
        # the exchange freezes: every request waits past the client's timeout
        market_sim.faults.add(FaultRule(kind="latency", latency_s=3 * TIMEOUT_S))
        await pilot.press("enter")
        counting = re.compile(r"Sending… (\d+) s")
        await wait_until(pilot, lambda: counting.search(_shown(confirm, "#confirm-status")),
                         what="the wait counted")
        first = int(counting.search(_shown(confirm, "#confirm-status")).group(1))
        await wait_until(pilot, lambda: app.screen is not confirm or (
            (m := counting.search(_shown(confirm, "#confirm-status"))) is not None
            and int(m.group(1)) > first), what="the count going up")
        # past the client's timeout the count says why it goes on (the order is looked up)
        await wait_until(pilot, lambda: app.screen is not confirm or "no answer in 2 s: "
                         "looking it up" in _shown(confirm, "#confirm-status"),
                         what="the lookup said")
        assert app.screen is confirm, "the outcome came before the lookup was said"
        # no answer in time: back on the form, nothing typed lost, no second send
        await wait_until(pilot, lambda: app.screen is form
                         and _shown(form, "#send-status"), what="the outcome on the form")
        market_sim.faults.clear()
        said = _shown(form, "#send-status")
        assert said.startswith("⚠ No answer: the order may or may not have been placed."), said
        assert "not sent again" in said and "Check Open orders" in said, said
        assert form.query_one("#amount", Input).value == "0.001"
        assert form.query_one("#submit", Button).label.plain.startswith("Locked")
