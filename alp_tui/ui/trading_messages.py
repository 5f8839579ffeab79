"""Messages the trading modals and panes post for the app (and each other)."""

from __future__ import annotations

from textual.message import Message

from alp_tui.services.trading import AccountChange


class AccountChanged(Message):
    """Orders or balances just changed because of the user's own action (an order placed,
    cancelled or moved, a withdrawal requested): the app should refresh the ``orders`` and
    ``balances`` topics now instead of waiting for the next poll."""

    def __init__(self, change: AccountChange) -> None:
        super().__init__()
        self.change = change


class TradeRequested(Message):
    """The user asked for the order form (e.g. from a pane), with an optional price."""

    def __init__(self, side: str, price: object = None) -> None:
        super().__init__()
        self.side = side
        self.price = price
