"""Topic answers reach the panes mounted now: one mounted later gets them, one removed
does not (the list of panes is cached between mounts, issue #12)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical

from alp_tui.ui.panes.base import mounted_panes
from alp_tui.ui.panes.placeholder import PlaceholderPane


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield PlaceholderPane("trades", "Trades", id="first")


async def test_panes_mounted_and_removed_later_are_seen() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        assert [p.id for p in mounted_panes(app.screen, "trades")] == ["first"]
        await app.query_one("#box").mount(PlaceholderPane("trades", "Trades", id="later"))
        await pilot.pause()
        assert [p.id for p in mounted_panes(app.screen, "trades")] == ["first", "later"]
        assert mounted_panes(app.screen, "orderbook") == []
        await app.query_one("#first").remove()
        await pilot.pause()
        assert [p.id for p in mounted_panes(app.screen, "trades")] == ["later"]
