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


def test_fee_and_cost_round_the_safe_way() -> None:
    """A fee and what a buy costs round up, what a sell brings in rounds down: the form
    never promises less cost (0.0609824 USDT of fee read 0.06, 60.9824 USDT of cost 60.98)."""
    from decimal import Decimal

    from alp_tui.api.models import FeeInfo, PairInfo
    from alp_tui.services.order_draft import FormInput, MarketContext, build_draft
    from alp_tui.ui.modals.order_text import confirm_text, preview_text

    pair = PairInfo(name="ETH_USDT", currency1="ETH", currency2="USDT", amount_precision=5,
                    price_precision=2, minimum_order_size=Decimal("0.0001"),
                    maximum_order_size=Decimal("1000"), minimum_order_value=Decimal("10"))
    ctx = MarketContext(pair=pair, balances=None, last_price=Decimal("3050"),
                        fees=[FeeInfo(taker_fee_rate=Decimal("0.002"),
                                      maker_fee_rate=Decimal("0.001"))])
    places = {"ETH": 5, "USDT": 2}
    buy = build_draft(FormInput(side="BUY", amount="0.02", price="3049.12"), ctx)
    assert buy.ok and buy.draft is not None, buy.errors
    assert str(preview_text(pair, buy, places)).startswith(
        "Total ≈ 60.99 USDT   fee ≈ 0.07 USDT")
    shown = str(confirm_text(pair, buy.draft, buy, places))
    assert "Total ≈  60.99 USDT" in shown and "Fee ≈  0.07 USDT" in shown
    sell = build_draft(FormInput(side="SELL", amount="0.02", price="3051.12"), ctx)
    assert sell.ok, sell.errors
    assert str(preview_text(pair, sell, places)).startswith(
        "Total ≈ 61.02 USDT   fee ≈ 0.07 USDT")  # 61.0224 in, 0.0610224 fee
