"""Context, not memory: a reused order form opens as a new one would (LIMIT, SPOT, the
level's price), whatever the last order from it was, and its title says what it carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Input, Select, Static

from alp_tui.ui.modals.order_form import OrderFormModal
from tests.support.wait import settle


async def test_reused_form_forgets_market_and_margin(harness: Any) -> None:
    async with harness.run_test(size=(120, 50)) as pilot:
        await settle(pilot, rounds=1)
        form = OrderFormModal(harness.trading, harness.pair, "ASK")
        pilot.app.install_screen(form, name="form")
        pilot.app.push_screen("form")
        await settle(pilot, rounds=1)
        # the last order was a cross-margin market sell with auto-borrow
        form.query_one("#order_type", Select).value = "MARKET"
        form.query_one("#wallet_type", Select).value = "CROSS_MARGIN"
        form.query_one("#side_effect", Select).value = "AUTO_BORROW"
        form.query_one("#amount", Input).value = "0.01"
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        assert pilot.app.screen is not form
        # `b` on a book level at 90,829.42
        form.reuse("BID", price=Decimal("90829.42"))
        pilot.app.push_screen("form")
        await settle(pilot, rounds=1)
        values = {name: form.query_one(f"#{name}", Select).value
                  for name in ("side", "order_type", "wallet_type", "side_effect", "tif")}
        assert values == {"side": "BID", "order_type": "LIMIT", "wallet_type": "SPOT",
                          "side_effect": "NO_SIDE_EFFECT", "tif": "GTC"}
        assert form.query_one("#price", Input).value == "90829.42"
        assert form.query_one("#amount", Input).value == ""
        title = str(form.query_one("#form-title", Static).render())
        assert "BUY" in title and "limit" in title and "90,829.42 from the book" in title
