"""The dashboard in paper mode: PAPER in the header at all times, in DEMO's colour, and the
order form and its confirm step say "paper"."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from alp_tui.config import Config
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
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
