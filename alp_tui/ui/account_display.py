"""Handing the account to what shows it: every :class:`AccountView` on the dashboard gets
each :class:`~alp_tui.session.events.AccountSnapshot` through :func:`push_account`.

The panes never reach into the app for the account: the header's margin chip, the
balances' net equity, the book's own-order marks and the chart's order lines are all drawn
from the snapshot handed in. The session holds the account state; the app's pane router
(``ui/pane_router.py``) calls :func:`push_account` with each snapshot it publishes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from textual.dom import DOMNode

from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.widgets.displayed import displayed

__all__ = ["ACCOUNT_TOPICS", "AccountView", "push_account"]

log = logging.getLogger(__name__)

ACCOUNT_TOPICS = frozenset({"tickers", "balances", "orders", "margin"})
"""Feed topics the account state is built from."""


class AccountView:
    """A widget that shows (part of) the account: it gets every snapshot handed in.

    While hidden (a tab not open, the strip's twin at a small size) it only keeps the
    latest snapshot and shows it when it is shown again."""

    _held: AccountSnapshot | None = None

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Show what this widget shows of ``snapshot`` (for the selected pair)."""
        raise NotImplementedError

    def _on_show(self) -> None:
        # Textual dispatches events along the MRO: this runs for every view shown again
        held, self._held = self._held, None
        if held is not None:
            _show(self, held)


def push_account(root: DOMNode, snapshot: AccountSnapshot) -> None:
    """Hand ``snapshot`` to every :class:`AccountView` under ``root`` that is displayed;
    a hidden one gets it when shown (a view choking on odd data is logged, never takes the
    others down)."""
    # walk_children, not a CSS query of "*": a tenth of the cost, on every snapshot
    views: Iterable[Any] = root.walk_children(AccountView)
    for view in views:
        if displayed(view):
            view._held = None
            _show(view, snapshot)
        else:
            # A hidden widget repainted costs the screen a rebuild of its whole map
            # (~4 ms at 160x48) in the next frame: with prices moving, the hidden
            # Balances twin did that 36 times a minute (issue #12, CPU at rest).
            view._held = snapshot


def _show(view: Any, snapshot: AccountSnapshot) -> None:
    try:
        view.show_account(snapshot)
    except Exception:  # a display bug must not stop the account reaching other panes
        log.exception("account view %s failed", type(view).__name__)
