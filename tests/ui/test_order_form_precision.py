"""The order form's money at each currency's own precision, not the pair's price precision.

AVAX_USDT prices carry 3 decimals, but USDT is money counted in cents: the form's
"Available" line once showed ``98,621.653 USDT`` there (the price's places on a balance).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual.widgets import Static

from tests.support.dashboard import open_order_form, trading_app, trading_ready
from tests.support.wait import wait_until

SIZE = (160, 48)


async def test_available_shows_each_currency_at_its_own_places(market_sim: Any,
                                                               tmp_path: Path) -> None:
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        app.select_pair("AVAX_USDT")
        await wait_until(pilot, lambda: (info := app.market.info()) is not None
                         and info.name == "AVAX_USDT", what="AVAX_USDT selected")
        form = await open_order_form(pilot)
        line = form.query_one("#available", Static)
        await wait_until(pilot, lambda: "loading" not in str(line.render())
                         and form.context.balances is not None, what="balances")
        shown = str(line.render())
        # USDT at cents (2 places, as the balances pane shows it), AVAX at its 2
        assert re.search(r"Available: \d{1,3}(,\d{3})*\.\d{2} USDT · [\d,]+\.\d{2} AVAX",
                         shown), shown
