"""The dashboard in paper mode: PAPER in the header at all times, in DEMO's colour, and the
order form and its confirm step say "paper"."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from alp_tui.config import Config
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.panes.open_orders import OpenOrdersPane
from tests.support.wait import wait_until

from .conftest import Recorder
from .test_paper_trading import seed_book


async def test_paper_badge_and_the_order_form_say_paper(
        upstream: tuple[SimServer, Recorder], make_paper: Any, tmp_path: Any) -> None:
    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    app = create_app(Config(), base_url=paper.base_url, api_key=paper.api_key,
                     api_secret=paper.api_secret, mode="paper")
    app.journal_path = tmp_path / "journal.sqlite3"
    async with app.run_test(size=(160, 48)) as pilot:
        badge = app.query_one("#header-badge", Static)
        assert str(badge.render()).strip() == "PAPER"
        assert badge.has_class("-demo") and not badge.has_class("-live")
        assert "PAPER" in app.title

        def ready() -> bool:
            state = app.topic_states.get("balances")
            return bool(state is not None and state.updated_at is not None)

        await wait_until(pilot, ready, what="balances")
        await pilot.press("3")  # letters typed on the markets table filter it: trade from the chart
        await pilot.press("b")
        await wait_until(pilot, lambda: bool(app.screen.query("#form-title")), what="order form")
        assert "paper order" in str(app.screen.query_one("#form-title", Static).render())


async def test_cancel_confirms_say_paper(
        upstream: tuple[SimServer, Recorder], make_paper: Any, tmp_path: Any) -> None:
    """Cancelling from the open-orders pane moves paper money too: its confirm says so, as
    the order form's does (the flag is handed to the pane, no modal reads the app)."""
    up, _ = upstream
    seed_book(up)
    paper = make_paper(up.base_url)
    app = create_app(Config(), base_url=paper.base_url, api_key=paper.api_key,
                     api_secret=paper.api_secret, mode="paper")
    app.journal_path = tmp_path / "journal.sqlite3"
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.session.client is not None, what="session")
        await app.session.client.place_order("BTC_USDT", "BID", "LIMIT",
                                             base_amount="0.001", limit_price="80000")
        app.session.after_action()
        panes = list(app.main.query(OpenOrdersPane))
        await wait_until(pilot, lambda: any(p.selected_order() for p in panes), what="order")
        pane = next(p for p in panes if p.selected_order() and p.region.width)
        pane.query_one(DataTable).focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        assert "paper" in str(app.screen.query_one("#confirm-title", Static).render())
