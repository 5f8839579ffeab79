"""The alert log screen, handed a log of alerts (as the session keeps them)."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App
from textual.widgets import DataTable

import alp_tui.ui as ui_pkg
from alp_tui.session.events import AlertFired, AlertKind
from alp_tui.ui.screens.alert_log import AlertLogScreen


class Host(App[None]):
    CSS_PATH = [Path(ui_pkg.__file__).with_name("app.tcss")]


def _rows(screen: AlertLogScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_alert_log_lists_alerts_oldest_first_and_follows_new_ones() -> None:
    log: deque[AlertFired] = deque(maxlen=100)
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = AlertLogScreen(log)
        await app.push_screen(screen)
        await pilot.pause()
        assert _rows(screen) == [["", "", "", "no alerts so far"]]
        at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
        log.append(AlertFired(AlertKind.PRICE, "BTC_USDT at 100,000 (above 100,000)",
                              "BTC_USDT", at=at))
        log.append(AlertFired(AlertKind.MARGIN, "isolated BTC_USDT margin level 1.15",
                              "BTC_USDT", danger=True, at=at))
        screen.refresh_table()
        await pilot.pause()
        rows = _rows(screen)
        assert [r[1] for r in rows] == ["price", "margin"]
        assert rows[1][3] == "isolated BTC_USDT margin level 1.15"
        assert "Alerts: 2, 1 danger" in str(screen.query_one("#alerts-body").border_title)
        await pilot.press("f4")
        await pilot.pause()
        assert not isinstance(app.screen, AlertLogScreen)
