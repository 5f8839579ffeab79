"""The open orders' Age counts on while nothing else changes: an answer equal to the last
is not redrawn, so the age stood at what it was when the order last changed ("6s" for
minutes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from textual.widgets import DataTable

from alp_tui.api.enums import OrderSide
from alp_tui.ui.panes.open_orders import OpenOrdersPane
from tests.support.pane_data import BTC_USDT, make_order
from tests.support.panes import PaneHarness
from tests.support.wait import wait_until


async def test_the_age_of_a_resting_order_counts_on_without_new_answers() -> None:
    pane = OpenOrdersPane(id="orders")
    order = make_order(7, OrderSide.BID, Decimal("80000")).model_copy(
        update={"open_at": datetime.now(tz=UTC) - timedelta(seconds=5)})
    async with PaneHarness(pane).run_test(size=(150, 12)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data([order])  # the one answer: the stream has nothing new to say
        table = pane.query_one("#orders-table", DataTable)

        def age() -> str:
            return str(table.get_cell("7", "age"))

        await wait_until(pilot, lambda: age() in ("5s", "6s"), what="the first age")
        first = age()
        await wait_until(pilot, lambda: age() not in ("", first), what="the age moving on",
                         timeout=5)
