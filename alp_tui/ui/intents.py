"""What the user asks for, carried out for the app: pair, interval, grouping, watchlist,
focus, and the help, health and error screens. A plain helper the app holds."""

from __future__ import annotations

import time
from typing import Any

from textual.screen import Screen
from textual.widget import Widget

from alp_tui.api.enums import ChartInterval
from alp_tui.config import VALID_INTERVALS, save_watchlist
from alp_tui.ui.key_model import account_focus_target
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.margin_form import MarginFormModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.price_alert import PriceAlertModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from alp_tui.ui.screens.alert_log import AlertLogScreen
from alp_tui.ui.screens.error_log import ErrorLogScreen
from alp_tui.ui.screens.health import HealthScreen
from alp_tui.ui.screens.help import HelpScreen, help_groups

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any

INTERVALS = [ChartInterval(v) for v in VALID_INTERVALS]

# Forms made for the selected pair (or holding what the trader typed), by the name the
# refusal gives them: the pair never moves under one of them.
_FORMS: tuple[tuple[type[Screen[Any]], str], ...] = (
    (OrderFormModal, "order form"), (QuickOrderModal, "quick order line"),
    (ConfirmModal, "confirmation"), (PriceAlertModal, "price alert form"),
    (MarginFormModal, "margin form"), (WithdrawModal, "withdrawal form"))


def open_form(app: AlpApp) -> str | None:
    """The name of the topmost open form (None when none is open)."""
    for screen in reversed(app.screen_stack):
        for kind, name in _FORMS:
            if isinstance(screen, kind):
                return name
    return None


class Intents:
    """Carries out the app's user intents on the session and the panes."""

    def __init__(self, app: AlpApp) -> None:
        self.app = app
        self.session = app.session

    def select_pair(self, pair: str) -> None:
        """Make ``pair`` the selected pair everywhere; old data is dropped at once.

        Refused, and said, while a form is open (the palette reaches the dashboard from
        over a form): the form, its preview and the confirm are for the pair on screen,
        and what the trader typed there must not end up on another pair."""
        app, market = self.app, self.session.market
        form = open_form(app)
        if form is not None and pair != market.selected:
            app.notify(f"Close the {form} first (esc): it is for {market.selected}; the "
                       f"dashboard stays on {market.selected}.", severity="warning",
                       timeout=5)
            return
        self.session.set_params(pair=pair)
        app.router.pair_changed()
        header = app.header_pane
        header.pair = pair
        header.info = market.info()
        header.ticker = market.ticker()
        app.markets_pane.selected = pair
        app.router.push_pair()

    def toggle_watch(self, pair: str) -> None:
        """Pin or unpin ``pair`` and save the watchlist to the config file."""
        market = self.session.market
        watched = market.toggle_watch(pair)
        self.app.markets_pane.show_data(market)
        self.app.notify(f"{pair} {'pinned to' if watched else 'removed from'} the watchlist")
        if self.app.config_path is not None:
            self.app.run_worker(self._save(list(market.watchlist)), group="config",
                                exclusive=True, exit_on_error=False)

    async def _save(self, watchlist: list[str]) -> None:
        import asyncio

        try:
            await asyncio.to_thread(save_watchlist, self.app.config_path, watchlist)
        except Exception as exc:
            self.app.notify(f"Could not save the watchlist: {exc}", severity="error")

    def set_chart_interval(self, interval: ChartInterval, *, notify: bool = True) -> None:
        """Switch the chart's candle interval."""
        self.session.set_params(interval=interval.value)
        self.push_interval()
        if notify:
            self.app.notify(f"Chart interval {interval.label}", timeout=2)

    def step_interval(self, step: int) -> None:
        """Next / previous chart interval."""
        current = self.session.interval
        index = INTERVALS.index(current) if current in INTERVALS else 3
        self.set_chart_interval(INTERVALS[(index + step) % len(INTERVALS)])

    def push_interval(self) -> None:
        """The chart shows the session's interval."""
        for chart in self.app.data_panes("chart"):
            if hasattr(chart, "interval"):
                chart.interval = self.session.interval  # type: ignore[attr-defined]

    def layout(self, width: int, height: int) -> None:
        """Compact and wide layouts, as classes on the app."""
        app = self.app
        app.set_class(width < 130, "-narrow")  # the markets table fits its columns itself
        app.set_class(height < 40, "-short")
        app.set_class(width >= 200, "-wide")
        app.set_class(height >= 60, "-tall")

    def focus_pane(self, name: str) -> None:
        """Move the focus to a pane."""
        main = self.app.main
        target: Widget | None
        if name == "markets":
            target = main.query_one("#markets-table")
        elif name == "account":
            target = account_focus_target(self.app)
        else:
            panes = self.app.data_panes(name)
            target = panes[0] if panes else None
            if target is not None and not target.focusable:
                target = next((w for w in target.query("*") if w.focusable), target)
        if target is not None:
            target.focus()

    def help(self) -> None:
        """Show the key map."""
        self.app.push_screen(HelpScreen(help_groups(self.app)))

    def health(self) -> None:
        """Show the API-health view."""
        if self.session.feed is not None:
            self.app.push_screen(HealthScreen(self.session.feed, self.session.stats,
                                              time.time))

    def errors(self) -> None:
        """Show the error log."""
        self.app.push_screen(ErrorLogScreen(self.session.errors))

    def alerts(self) -> None:
        """Show the alert log (every alert the session raised)."""
        self.app.push_screen(AlertLogScreen(self.session.alert_log))
