"""An AUTO_BORROW order says, before it is sent, how much it borrows and the wallet's margin
level after."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Input, Select, Static

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.wait import wait_until


async def test_auto_borrow_previews_the_loan_and_the_level_after(harness: Any,
                                                                 sim_server: Any) -> None:
    sim_server.exchange.margin_transfer(sim_server.account_id, WalletType.CROSS_MARGIN,
                                        MarginDirection.ADD, Decimal(1000), "USDT")
    async with harness.run_test(size=(120, 50)) as pilot:
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, OrderFormModal),
                         what="form")
        form = pilot.app.screen
        await wait_until(pilot, lambda: form.context.balances is not None, what="balances")
        form.query_one("#wallet_type", Select).value = "CROSS_MARGIN"
        await pilot.pause()
        form.query_one("#side_effect", Select).value = "AUTO_BORROW"
        form.query_one("#price", Input).value = "90000"
        form.query_one("#amount", Input).value = "0.05"  # 4,500 USDT with 1,000 held
        preview = form.query_one("#preview", Static)
        await wait_until(pilot, lambda: "→" in str(preview.render()), what="level after")
        text = str(preview.render())
        assert "Borrows ≈ 3,500.00 USDT" in text
        assert "margin level no debt → 1.286" in text  # (1,000 + 3,500) / 3,500
        form.review()
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal)
                         and pilot.app.screen.query("#confirm-body"), what="confirm")
        body = str(pilot.app.screen.query_one("#confirm-body", Static).render())
        assert "Auto borrow" in body and "3,500.00 USDT" in body and "1.286" in body
