"""Which pane class shows which topic. Panes built by other modules are found by import.

To add a pane: write ``alp_tui/ui/panes/<name>.py`` with a :class:`DataPane` subclass whose
``topic`` names a feed topic (``alp_tui/feed/topics.py``), then list it here. Until the
module exists, a :class:`PlaceholderPane` stands in, so the app always starts.
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


def pane_class(slot: PaneSlot) -> type[DataPane] | None:
    """The real pane class for ``slot``, or None while it does not exist yet."""
    try:
        module = importlib.import_module(slot.module)
    except ImportError:
        return None
    cls = getattr(module, slot.cls, None)
    return cls if isinstance(cls, type) and issubclass(cls, DataPane) else None


def make_pane(slot: PaneSlot, *, use_placeholder: bool = False) -> DataPane:
    """An instance of the slot's pane (or a placeholder), with the slot's id."""
    cls = None if use_placeholder else pane_class(slot)
    if cls is None:
        return PlaceholderPane(slot.topic, slot.title, id=slot.pane_id)
    return cls(id=slot.pane_id)
