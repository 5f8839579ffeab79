"""Borrow says how much may be borrowed and at what rate before anything is sent (45,000
BTC once went to the exchange to be refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from margin_support import MarginHost
from textual.widgets import Static

from alp_tui.api.client import AlpClient
from alp_tui.services.journal import Journal
from alp_tui.services.margin import MarginService
from alp_tui.ui.modals.borrow import BorrowModal
from alp_tui.ui.modals.margin_transfer import MarginTransferModal
from alp_tui.ui.panes.margin import MarginPane
from tests.support.wait import wait_until

ISO = "ISOLATED_MARGIN:BTC_USDT"


@pytest.fixture
async def client(sim_server: Any) -> AsyncIterator[AlpClient]:
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         10) as c:
        yield c


def _preview(app: Any) -> str:
    return str(app.screen.query_one("#margin-preview", Static).render())


async def _open(pilot: Any, app: Any, key: str, modal: type, **values: str) -> Any:
    app.query_one("#margin-loans").focus()
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, modal), what=modal.__name__)
    for name, value in values.items():
        app.screen.query_one(f"#{name}").value = value
        await pilot.pause()
    return app.screen


async def _send(pilot: Any, app: Any, modal: type) -> None:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(app.screen, modal), what="sent")


async def test_borrow_shows_the_maximum_and_the_rate(client: AlpClient,
                                                     tmp_path: Path) -> None:
    service = MarginService(client, journal=Journal(tmp_path / "journal.sqlite3"))
    app = MarginHost(service, export_dir=tmp_path)
    async with app.run_test(size=(130, 60)) as pilot:
        app.query_one(MarginPane).show_data(await service.fetch_snapshot())
        await _open(pilot, app, "t", MarginTransferModal, wallet=ISO, currency="USDT",
                    amount="1000")
        await _send(pilot, app, MarginTransferModal)
        app.query_one(MarginPane).show_data(await service.fetch_snapshot())
        await _open(pilot, app, "l", BorrowModal, wallet=ISO, currency="USDT")
        # 1,000 USDT of equity at 10x: the debt may reach 9 x 1,000
        await wait_until(pilot, lambda: "Maximum now ≈ 9,000" in _preview(app)
                         and "looking up" not in _preview(app), what="maximum")
        assert "10x leverage" in _preview(app)
        assert "no earlier USDT borrow" in _preview(app)
        app.screen.query_one("#amount").value = "500"
        await _send(pilot, app, BorrowModal)
        app.query_one(MarginPane).show_data(await service.fetch_snapshot())
        await _open(pilot, app, "l", BorrowModal, wallet=ISO, currency="USDT")
        # assets 1,500, debt 500: (10 - 1) x 1,000 - 500
        await wait_until(pilot, lambda: "Maximum now ≈ 8,500" in _preview(app)
                         and "Rate: 0.00125 % an hour" in _preview(app), what="rate")
