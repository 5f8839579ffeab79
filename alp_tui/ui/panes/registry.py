"""Which pane class shows which topic; each pane's module is imported when it is built.

To add a pane: write ``alp_tui/ui/panes/<name>.py`` with a :class:`DataPane` subclass whose
``topic`` names a feed topic (``alp_tui/session/topics.py``), then list it here. A pane module
that fails to import fails the app's start with its own error: a broken pane never turns
quietly into a placeholder. A :class:`PlaceholderPane` stands in only where asked (the
account tabs without API keys).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.placeholder import PlaceholderPane


@dataclass(frozen=True, slots=True)
class PaneSlot:
    """Where a topic's pane lives: module, class name, title and widget id."""

    topic: str
    module: str
    cls: str
    title: str
    pane_id: str


MARKET_SLOTS = (
    PaneSlot("orderbook", "alp_tui.ui.panes.orderbook", "OrderBookPane", "Order book", "orderbook"),
    PaneSlot("chart", "alp_tui.ui.panes.chart", "ChartPane", "Chart", "chart"),
    PaneSlot("trades", "alp_tui.ui.panes.trades", "TradesPane", "Trades", "trades"),
)

ACCOUNT_SLOTS = (
    PaneSlot("balances", "alp_tui.ui.panes.balances", "BalancesPane", "Balances", "balances-pane"),
    PaneSlot("orders", "alp_tui.ui.panes.open_orders", "OpenOrdersPane", "Open orders",
             "orders-pane"),
    PaneSlot("history", "alp_tui.ui.panes.history", "HistoryPane", "History", "history-pane"),
    PaneSlot("margin", "alp_tui.ui.panes.margin", "MarginPane", "Margin", "margin-pane"),
    PaneSlot("margin_history", "alp_tui.ui.panes.margin_history", "MarginHistoryPane",
             "Margin history", "margin-history-pane"),
)


def pane_class(slot: PaneSlot) -> type[DataPane]:
    """The pane class for ``slot``; the module's own ImportError if it does not import, a
    TypeError if it has no such :class:`DataPane` class."""
    module = importlib.import_module(slot.module)
    cls = getattr(module, slot.cls, None)
    if not (isinstance(cls, type) and issubclass(cls, DataPane)):
        raise TypeError(f"{slot.module} has no DataPane class {slot.cls}")
    return cls


def make_pane(slot: PaneSlot, *, use_placeholder: bool = False) -> DataPane:
    """An instance of the slot's pane (a placeholder if ``use_placeholder``), with its id."""
    if use_placeholder:
        return PlaceholderPane(slot.topic, slot.title, id=slot.pane_id)
    return pane_class(slot)(id=slot.pane_id)
