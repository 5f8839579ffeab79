"""A hidden account view (a closed tab, the strip's twin) waits for the screen: it keeps the
latest snapshot and shows it when opened (issue #12, CPU at rest: a hidden widget repainted
cost the screen a rebuild of its whole map, ~4 ms at 160x48, 36 times a minute)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from alp_tui.ui.account_display import push_account
from alp_tui.ui.panes.balances import BalancesPane
from tests.support.pane_data import BTC_USDT
from tests.ui_panes.test_account_panes import _text, account


class _Tabs(App[None]):
    def compose(self) -> ComposeResult:
        with TabbedContent(id="tabs"):
            with TabPane("Orders", id="orders"):
                yield Static("orders")
            with TabPane("Balances", id="balances"):
                yield BalancesPane(id="balances-pane")


async def test_a_closed_tab_shows_the_latest_account_when_opened() -> None:
    app = _Tabs()
    async with app.run_test(size=(150, 20)) as pilot:
        pane = app.query_one(BalancesPane)
        pane.set_pair(BTC_USDT)
        total = pane.query_one("#balances-total", Static)
        before = _text(total)
        push_account(app.screen, account("90000"))
        push_account(app.screen, account("95000"))
        await pilot.pause()
        assert _text(total) == before  # closed: not drawn
        app.query_one(TabbedContent).active = "balances"
        await pilot.pause()
        await pilot.pause()
        assert _text(total).startswith("Net equity ≈ 11,163.06 USDT"), _text(total)
        push_account(app.screen, account("90000"))  # open: drawn at once
        assert _text(total).startswith("Net equity ≈ 10,996.56 USDT"), _text(total)
