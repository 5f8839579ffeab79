"""On the dashboard, a withdrawal's address is checked against the regex the exchange gives
for it: a truncated address is an error beside the field and Review goes nowhere (nothing
is sent); the whole address reaches the confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from tests.support.dashboard import open_withdraw_form, trading_app, trading_ready
from tests.support.wait import settle, wait_until

SIZE = (160, 48)
ADDRESS = "T" + "A1b2C3d4E5f6G7h8J9k1M2n3P4q5R6s7T"  # TRC20: T + 33 characters


def _error(form: WithdrawModal) -> str:
    label = form.query_one("#attr-address-error", Static)
    return str(label.render()) if label.display else ""


async def test_a_truncated_address_is_refused_inline_and_the_whole_one_confirms(
        market_sim: Any, tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        form = await open_withdraw_form(pilot)
        assert isinstance(form, WithdrawModal)
        assert form.method().network == "TRC20"  # type: ignore[union-attr]
        form.query_one("#amount", Input).value = "25"
        await wait_until(pilot, lambda: form.query("#attr-address"), what="address field")
        field = form.query_one("#attr-address", Input)
        field.focus()
        field.value = ADDRESS[:-3]  # pasted short
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Not a valid TRC20 address" in _error(form),
                         what="the address error")
        await settle(pilot)
        assert app.screen is form  # Review went nowhere: no confirm
        assert not market_sim.exchange.journal.records_of("withdrawal",
                                                          market_sim.account_id)
        field.value = ADDRESS
        await wait_until(pilot, lambda: not _error(form), what="the error gone")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert ADDRESS in body and "TRC20" in body
