"""Handing the account to what shows it: every :class:`AccountView` on the dashboard gets
each :class:`~alp_tui.session.events.AccountSnapshot` through :func:`push_account`.

The panes never reach into the app for the account: the header's margin chip, the
balances' net equity, the book's own-order marks and the chart's order lines are all drawn
from the snapshot handed in. Whoever holds the account state (the session, or until the
app subscribes to it the interim :class:`AccountBridge`) calls :func:`push_account`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from textual.dom import DOMNode

from alp_tui.api.models import Balance, Loan, Order
from alp_tui.services.margin_alerts import MarginThresholds
from alp_tui.services.margin_math import MarginSnapshot
from alp_tui.services.market import MarketSnapshot
from alp_tui.session.account import AccountState
from alp_tui.session.events import AccountSnapshot

__all__ = ["ACCOUNT_TOPICS", "AccountBridge", "AccountView", "push_account"]

log = logging.getLogger(__name__)

ACCOUNT_TOPICS = frozenset({"tickers", "balances", "orders", "margin"})
"""Feed topics the account state is built from."""


class AccountView:
    """A widget that shows (part of) the account: it gets every snapshot handed in."""

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Show what this widget shows of ``snapshot`` (for the selected pair)."""
        raise NotImplementedError


def push_account(root: DOMNode, snapshot: AccountSnapshot) -> None:
    """Hand ``snapshot`` to every :class:`AccountView` under ``root`` (a view choking on
    odd data is logged, never takes the others down)."""
    views: Iterable[Any] = (w for w in root.query("*") if isinstance(w, AccountView))
    for view in views:
        try:
            view.show_account(snapshot)
        except Exception:  # a display bug must not stop the account reaching other panes
            log.exception("account view %s failed", type(view).__name__)


class AccountBridge:
    """Interim: the account state worked out from the app's own feed data.

    The session (:class:`alp_tui.session.Session`) does the same and publishes the snapshot;
    once the app subscribes to it, this class goes and the app calls :func:`push_account`
    with the session's :class:`AccountSnapshot` events.
    """

    def __init__(self, thresholds: MarginThresholds | None = None, pair: str = "") -> None:
        self.state = AccountState(thresholds)
        self.state.pair = pair

    @classmethod
    def from_config(cls, config: Any, pair: str = "") -> AccountBridge:
        """With the ``[margin]`` bands of ``config`` (the defaults when they are unusable)."""
        try:
            thresholds = MarginThresholds.from_mapping(config.margin.model_dump())
        except (AttributeError, ValueError):
            thresholds = MarginThresholds()
        return cls(thresholds, pair)

    @property
    def snapshot(self) -> AccountSnapshot:
        """The latest snapshot."""
        return self.state.snapshot

    def set_pair(self, pair: str) -> AccountSnapshot:
        """The selected pair changed (liquidation distances and own orders follow it)."""
        self.state.pair = pair
        return self.state.build()

    def take(self, topic: str, data: Any) -> AccountSnapshot | None:
        """Feed one topic's data; the new snapshot, or None when nothing account-wise moved."""
        state = self.state
        if topic == "tickers" and isinstance(data, MarketSnapshot):
            state.set_tickers(data.tickers)
            return state.build() if state.known else None
        if topic == "balances" and isinstance(data, list | tuple):
            state.set_balances(b for b in data if isinstance(b, Balance))
        elif topic == "orders" and isinstance(data, list | tuple):
            state.set_open_orders(o for o in data if isinstance(o, Order))
        elif topic == "margin" and isinstance(data, MarginSnapshot):
            state.set_margin(data)
        elif topic == "margin" and isinstance(data, list | tuple):
            state.set_loans(x for x in data if isinstance(x, Loan))
        else:
            return None
        return state.build()
