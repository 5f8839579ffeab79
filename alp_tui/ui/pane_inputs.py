"""What panes get from the session, handed in: a pane never reads it off the app.

A pane that needs a part of the session says so by subclassing one of the small interfaces
here (as :class:`~alp_tui.ui.account_display.AccountView` does for the account snapshot);
:func:`hand_in` gives each widget under a root what it asked for. The dashboard calls it
once its panes are mounted (the market, the margin lines) and again once the session has
started (the trading and margin services exist from then on: None without keys). There is
one instance of each service, the session's. A widget that acts (cancel, borrow...) is
handed the session's :class:`~alp_tui.session.actions.ActionPort` (:class:`UsesActions`)
and acts through it, never through a service: the session then re-reads the account.
"""

from __future__ import annotations

from textual.dom import DOMNode

from alp_tui.services.margin_alerts import MarginThresholds
from alp_tui.services.margin_service import MarginService
from alp_tui.services.market import MarketService
from alp_tui.services.trading import TradingService
from alp_tui.session import ActionPort, Session

__all__ = ["MovesMoney", "UsesActions", "UsesMargin", "UsesMarket", "UsesTrading", "hand_in"]


class UsesActions:
    """A widget that acts for the trader (orders, margin): through the session's port."""

    def use_actions(self, actions: ActionPort) -> None:
        """Act through ``actions`` from now on."""
        raise NotImplementedError


class UsesMarket:
    """A widget that reads the known pairs and last prices (precisions, valuations)."""

    def use_market(self, market: MarketService) -> None:
        """Read pairs and tickers from ``market`` from now on."""
        raise NotImplementedError


class UsesTrading:
    """A widget that acts or reads history through the trading service."""

    def use_trading(self, service: TradingService | None) -> None:
        """Use ``service`` (None: no keys, trading off)."""
        raise NotImplementedError


class UsesMargin:
    """A widget that acts or reads history through the margin service, or draws levels
    against the ``[margin]`` lines."""

    def use_margin(self, service: MarginService | None, thresholds: MarginThresholds) -> None:
        """Use ``service`` (None: no keys) and draw bands with ``thresholds``."""
        raise NotImplementedError


class MovesMoney:
    """A widget whose confirms must say when the money is paper (no real money moves)."""

    def use_paper(self, paper: bool) -> None:
        """Say "paper" on this widget's confirms when ``paper``."""
        raise NotImplementedError


def hand_in(root: DOMNode, session: Session, *, paper: bool = False) -> None:
    """Give every widget under ``root`` the parts of ``session`` it asks for (and whether
    the account is a paper one); calling it again hands the current ones."""
    for widget in root.query("*"):
        if isinstance(widget, MovesMoney):
            widget.use_paper(paper)
        if isinstance(widget, UsesMarket):
            widget.use_market(session.market)
        if isinstance(widget, UsesTrading):
            widget.use_trading(session.trading)
        if isinstance(widget, UsesMargin):
            widget.use_margin(session.margin, session.thresholds)
        if isinstance(widget, UsesActions):
            widget.use_actions(session)
