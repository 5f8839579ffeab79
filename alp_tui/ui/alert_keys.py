"""Price alerts from the UI: the keys, the palette entries and the two forms' results.

``A`` (everywhere, the markets table included, like ``B`` / ``S``) and ``a`` (where no
pane or field takes letters, e.g. on a book level) open :class:`PriceAlertModal` for the
selected pair at the book's selected level, else at the last price. The rule it answers
goes to ``session.add_price_alert``, which saves ``[[alerts.price]]`` to the config file;
removing goes through :class:`RemovePriceAlertModal` and ``session.remove_price_alert``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.binding import Binding

from alp_tui.session import PriceRule
from alp_tui.ui.commands import PaletteCommand
from alp_tui.ui.modals.price_alert import PriceAlertModal
from alp_tui.ui.modals.remove_price_alert import RemovePriceAlertModal

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any

ALERT_BINDINGS = [
    Binding("A", "add_price_alert", "Alert", id="app.alert_anywhere", show=False,
            tooltip="Add a price alert for the selected pair (at the book's selected level, "
                    "else last)"),
    Binding("a", "add_price_alert", "Alert", id="app.alert", show=False,
            tooltip="Add a price alert for the selected pair (on a book level: its price)"),
]


def open_add_alert(app: AlpApp) -> None:
    """The add form, prefilled with the selected pair and the level (book, else last)."""
    market = app.session.market
    ticker = market.ticker()
    last = ticker.last if ticker is not None and ticker.has_trades else None
    level = app.selected_level
    price = level[1] if isinstance(level, tuple) and len(level) == 2 else None
    modal = PriceAlertModal(market.selected, price if isinstance(price, Decimal) else None,
                            last, market.names)
    app.push_screen(modal, lambda rule: _add(app, rule))


def open_remove_alert(app: AlpApp) -> None:
    """The list of price alerts, to remove one."""
    rules = list(app.session.alerts.rules)
    if not rules:
        app.notify("No price alerts to remove.", timeout=3)
        return
    app.push_screen(RemovePriceAlertModal(rules), lambda rule: _remove(app, rule))


def _add(app: AlpApp, rule: PriceRule | None) -> None:
    if rule is not None:
        app.run_worker(_add_rule(app, rule), group="price-alerts", exit_on_error=False)


def _remove(app: AlpApp, rule: PriceRule | None) -> None:
    if rule is not None:
        app.run_worker(_remove_rule(app, rule), group="price-alerts", exit_on_error=False)


async def _add_rule(app: AlpApp, rule: PriceRule) -> None:
    if await app.session.add_price_alert(rule):
        app.notify(f"Price alert added: {rule.label}", timeout=4)
    else:
        app.notify(f"That alert exists already: {rule.label}", severity="warning", timeout=4)


async def _remove_rule(app: AlpApp, rule: PriceRule) -> None:
    if await app.session.remove_price_alert(rule):
        app.notify(f"Price alert removed: {rule.label}", timeout=4)


def alert_palette_commands(app: AlpApp) -> list[PaletteCommand]:
    """Palette entries: add and remove a price alert."""
    pair = app.session.market.selected
    return [
        PaletteCommand("Add price alert…", f"Alert when {pair} reaches a level",
                       lambda: open_add_alert(app), True),
        PaletteCommand("Remove price alert…", "Pick one of the price alerts to remove",
                       lambda: open_remove_alert(app)),
    ]
