"""What a margin action tells the trader once done (the toast) shows each amount at its
currency's display decimals, like the balances and the loans: ``Borrowed 123.46 USDT``,
not the exact ``123.456789`` typed, nor a remaining ``399.12554011 principal`` to 8
places."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.ui.modals.margin_form import MarginFormModal
from alp_tui.ui.panes.margin import MarginPane
from tests.support.dashboard import trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)
DECIMALS = re.compile(r"\d[\d,]*\.(\d+)")


def _margin_pane(app: Any) -> MarginPane:
    return next(p for p in app.main.query(MarginPane) if p.snapshot is not None)


async def _act(pilot: Any, action: str, **fields: str) -> str:
    """Open the margin dialog for ``action``, fill ``fields``, send: the toast it gave."""
    app = pilot.app
    before = len(app._notifications)
    getattr(_margin_pane(app), f"action_{action}")()
    await wait_until(pilot, lambda: isinstance(app.screen, MarginFormModal), what=action)
    dialog = app.screen
    await pilot.pause()
    for name, value in fields.items():
        widget = dialog.query_one(f"#{name}")
        assert isinstance(widget, Input | Select)
        widget.value = value
        await pilot.pause()
    dialog.action_submit()
    await wait_until(pilot, lambda: len(app.screen_stack) == 1, what=f"{action} done")
    await wait_until(pilot, lambda: len(app._notifications) > before, what=f"{action} toast")
    return str(list(app._notifications)[-1].message)


async def test_margin_toasts_show_amounts_at_the_currency_decimals(market_sim: Any,
                                                                 tmp_path: Path) -> None:
    ex, acc = market_sim.exchange, market_sim.account_id
    ex.margin_transfer(acc, WalletType.CROSS_MARGIN, MarginDirection.ADD, Decimal(1000),
                       "USDT")
    ex.borrow(acc, Decimal("500.123456"), "USDT", WalletType.CROSS_MARGIN)
    ex.step(now=time.time() + 3700)  # an hour of interest: a repay leaves odd amounts
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await wait_until(pilot, lambda: any(p.snapshot is not None and p.snapshot.loans
                                            for p in app.main.query(MarginPane)),
                         what="the loan")
        told = {
            "borrow": await _act(pilot, "borrow", wallet="CROSS_MARGIN", currency="USDT",
                                 amount="123.456789"),
            "repay": await _act(pilot, "repay", wallet="CROSS_MARGIN", currency="USDT",
                                amount="100.5"),
            "transfer": await _act(pilot, "transfer", wallet="CROSS_MARGIN",
                                   currency="USDT", amount="10.123456"),
        }
    assert told["borrow"].startswith("Borrowed 123.46 USDT"), told
    assert told["repay"].startswith("Repaid 100.50 USDT"), told
    assert "principal" in told["repay"], told  # what remains is said, in cents too
    assert told["transfer"].startswith("Transferred 10.12 USDT"), told
    too_fine = [t for t in told.values() for d in DECIMALS.findall(t) if len(d) > 2]
    assert not too_fine, told
