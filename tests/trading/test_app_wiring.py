"""The real dashboard with keys: b opens the form, the order lands in open orders, and an
unanswered journal entry from a previous session is reconciled on start."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, TabbedContent

from alp_tui.config import Config
from alp_tui.services.journal import Journal, default_journal_path
from alp_tui.ui.app import create_app
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.panes.open_orders import OpenOrdersPane
from tests.support.wait import wait_until


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


async def test_buy_key_to_open_orders_and_reconcile_on_start(sim_server: Any,
                                                             data_home: Path) -> None:
    # A previous session journaled an order and died before the answer: it was placed.
    journal = Journal(default_journal_path())
    assert str(default_journal_path()).startswith(str(data_home))
    summary = {"pair": "BTC_USDT", "side": "BUY", "type": "LIMIT", "wallet": "SPOT",
               "base_amount": "0.010000", "limit_price": "80000.00", "tif": "GTC"}
    app = create_app(Config(), base_url=sim_server.base_url, api_key=sim_server.api_key,
                     api_secret=sim_server.api_secret, mode="demo")
    venue = sim_server.base_url.rstrip("/")
    entry = journal.begin("place", summary, client_order_id="tui-previous", venue=venue)
    sim_server.exchange.place_order(sim_server.account_id, {
        "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
        "base_amount": Decimal("0.01"), "limit_price": Decimal("80000"),
        "client_order_id": "tui-previous"})
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.trading is not None, what="trading service")
        await wait_until(pilot, lambda: app.market.info() is not None, what="pairs")
        await wait_until(pilot, lambda: not Journal(default_journal_path()).unanswered(),
                         what="reconcile")
        assert Journal(default_journal_path()).get(entry).response["order_ids"]
        app.query_one("#account-tabs", TabbedContent).active = "orders"
        await pilot.pause()
        pane = app.query_one(OpenOrdersPane)
        table = pane.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the previous order listed")
        await pilot.press("3")  # letters typed on the markets table filter it: trade from the chart
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="order form")
        form = app.screen
        form.query_one("#amount", Input).value = "0.01"
        form.query_one("#price", Input).value = "85000"
        await pilot.pause()
        form.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await pilot.press("enter")
        await wait_until(pilot, lambda: table.row_count == 2, what="the new order listed")
        assert not isinstance(app.screen, OrderFormModal | ConfirmModal)
        # The second order reuses the installed form: fields are fresh, and it works.
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal), what="form again")
        assert app.screen is form
        assert form.query_one("#amount", Input).value == ""
        assert str(form.query_one("#side").value) == "ASK"
        form.query_one("#amount", Input).value = "0.01"
        form.query_one("#price", Input).value = "99000"
        await pilot.pause()
        form.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: table.row_count == 3, what="the third order listed")
