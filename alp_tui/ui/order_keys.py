"""Order-entry keys for the app: buy / sell and the quick-order line.

The app adds :data:`ORDER_BINDINGS` to its bindings and routes ``action_quick_order`` to
:func:`open_quick_order`. ``b`` / ``s`` work wherever no pane or field takes letters (the
markets table filters on letters); ``B`` / ``S`` work everywhere, the markets table
included, so buy and sell are one key from the start screen. The quick line builds its
order through the order form, so it gets the form's draft, preview, guard and confirm.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from alp_tui.services.quick_order import QuickCancel, QuickOrder
from alp_tui.ui.commands import PaletteCommand
from alp_tui.ui.key_model import shown_first
from alp_tui.ui.modals.quick_order import QuickOrderModal

ORDER_BINDINGS = [
    Binding("B", "trade('BID')", "Buy", id="app.buy_anywhere",
            tooltip="Open the order form to BUY the selected pair (at the book's selected "
                    "level, else last)"),
    Binding("S", "trade('ASK')", "Sell", id="app.sell_anywhere",
            tooltip="Open the order form to SELL the selected pair (at the book's selected "
                    "level, else last)"),
    Binding("colon", "quick_order", "Quick order", id="app.quick_order",
            tooltip="Type an order: buy 0.01 @bid, sell 50% ETH_USDT market, cancel all"),
    Binding("b", "trade('BID')", "Buy", id="app.buy", show=False,
            tooltip="Open the order form to BUY the selected pair"),
    Binding("s", "trade('ASK')", "Sell", id="app.sell", show=False,
            tooltip="Open the order form to SELL the selected pair"),
]


def open_quick_order(app: Any, text: str = "") -> None:
    """Show the quick-order line; what it reads goes to :func:`run_quick`."""
    market = app.market
    modal = QuickOrderModal(market.selected, market.names, text)
    app.push_screen(modal, lambda parsed: run_quick(app, parsed, modal))


def run_quick(app: Any, parsed: QuickOrder | QuickCancel | None,
              modal: QuickOrderModal | None = None) -> None:
    """An order opens the order form filled from the line and goes to its review; a cancel
    asks the open-orders pane's confirm for the pair (with the count)."""
    if parsed is None:
        return
    line = modal.line if modal is not None else ""
    if parsed.pair != app.market.selected:
        app.select_pair(parsed.pair)  # the book and chart the order is about are on screen
    if isinstance(parsed, QuickCancel):
        panes = shown_first(list(app.main.query("OpenOrdersPane")))
        if not panes:
            app.notify("Open orders need an API key and secret.", severity="warning")
            return
        panes[0].action_cancel_pair(parsed.pair)
        return
    form = app.open_order_form(parsed.side)
    if form is not None:
        form.prepare_quick(parsed, line)


def order_palette_commands(app: Any) -> list[PaletteCommand]:
    """Palette entries for the quick line."""
    pair = app.market.selected
    return [
        PaletteCommand("Quick order…", f"Type an order for {pair}: buy 0.01 @bid, "
                       "sell 50% market, cancel all", lambda: open_quick_order(app), True),
    ]
