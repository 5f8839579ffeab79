"""The app's key bindings and its command-palette entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.binding import Binding

from alp_tui.services.market import SortKey
from alp_tui.ui.alert_keys import ALERT_BINDINGS, alert_palette_commands
from alp_tui.ui.commands import PaletteCommand
from alp_tui.ui.intents import INTERVALS
from alp_tui.ui.key_model import QUIT_BINDING
from alp_tui.ui.messages import WatchToggled

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any

FOCUS_TARGETS = {"markets": "Markets", "orderbook": "Order book", "chart": "Chart",
                 "trades": "Trades", "account": "Account tabs"}

APP_BINDINGS = [
    QUIT_BINDING,
    Binding("question_mark", "help", "Help", id="app.help",
            tooltip="Show every key and mouse action"),
    Binding("f2", "health", "Health", id="app.health",
            tooltip="API health: latency, request rate, errors, data ages"),
    Binding("f3", "errors", "Errors", id="app.errors", tooltip="Recent errors"),
    Binding("f4", "alerts", "Alerts", id="app.alerts",
            tooltip="Every alert raised: price, margin, liquidation, fills, stream",
            show=False),
    Binding("f5", "refresh", "Refresh", id="app.refresh", tooltip="Refresh every pane now"),
    Binding("left_square_bracket", "interval(-1)", "Interval-", id="app.interval_prev",
            tooltip="Shorter chart candles", show=False),
    Binding("right_square_bracket", "interval(1)", "Interval+", id="app.interval_next",
            tooltip="Longer chart candles"),
    Binding("ctrl+r", "retry_auth", "Retry auth", id="app.retry_auth",
            tooltip="Resume account polling after an authentication failure", show=False),
    Binding("1", "focus_pane('markets')", "Markets", id="app.focus_markets",
            tooltip="Focus the markets pane", show=False),
    Binding("2", "focus_pane('orderbook')", "Book", id="app.focus_orderbook",
            tooltip="Focus the order book", show=False),
    Binding("3", "focus_pane('chart')", "Chart", id="app.focus_chart",
            tooltip="Focus the chart", show=False),
    Binding("4", "focus_pane('trades')", "Trades", id="app.focus_trades",
            tooltip="Focus the trades pane", show=False),
    Binding("5", "focus_pane('account')", "Account", id="app.focus_account",
            tooltip="Focus the account tabs", show=False),
    *ALERT_BINDINGS,
]


def palette(app: AlpApp) -> Iterable[PaletteCommand]:
    """Every action of the dashboard, for the command palette."""
    intents, market = app.intents, app.session.market
    yield PaletteCommand("Help: keys and mouse", "Show the key map", intents.help, True)
    yield PaletteCommand("API health", "Latency, request rate, errors per endpoint",
                         intents.health, True)
    yield PaletteCommand("Error log", "Recent errors", intents.errors, True)
    yield PaletteCommand("Alert log", "Every alert raised since start", intents.alerts, True)
    yield PaletteCommand("Refresh now", "Refresh every pane", app.action_refresh, True)
    yield PaletteCommand("Retry authentication", "Resume account polling",
                         app.action_retry_auth)
    yield PaletteCommand(
        f"Watchlist: toggle {market.selected}", "Pin or unpin the selected pair",
        lambda: app.post_message(WatchToggled(market.selected)), True)
    for name, label in FOCUS_TARGETS.items():
        yield PaletteCommand(f"Focus: {label}", f"Move the focus to {label.lower()}",
                             lambda n=name: intents.focus_pane(n))
    for interval in INTERVALS:
        yield PaletteCommand(f"Chart interval: {interval.label}",
                             f"{interval.value}-minute candles",
                             lambda i=interval: intents.set_chart_interval(i))
    for key in SortKey:
        yield PaletteCommand(f"Sort markets by {key.label}", "Sort the markets pane",
                             lambda k=key: app.markets_pane.sort_by(k))
    for theme in sorted(app.available_themes):
        yield PaletteCommand(f"Theme: {theme}", "Change the colours",
                             lambda t=theme: setattr(app, "theme", t))
    watch = set(market.watchlist)
    for pair in sorted(market.names, key=lambda p: (p not in watch, p)):
        yield PaletteCommand(f"Pair: {pair}", f"Switch every pane to {pair}",
                             lambda p=pair: intents.select_pair(p), pair in watch)
    yield from alert_palette_commands(app)  # add / remove a price alert: the forms
    yield from app.trading_ui.palette()
    yield PaletteCommand("Quit", "Leave the dashboard", app.exit)
