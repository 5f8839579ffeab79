"""The narrow interfaces the simulator's desks talk to each other through.

The order desk, the margin desk, funding and market life each get only what they need:
prices and pair lookup (:class:`Prices`), the order desk's cancel/list operations
(:class:`OrderPort`), the margin desk's order side effects (:class:`MarginHooks`), and the
market-life entry points (:class:`MarketPort`). None of them sees the exchange facade, so
there is no import cycle and each desk can be built and tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from alp_tui.api.enums import OrderType, WalletType
from alp_tui.sim.catalog import PairSpec
from alp_tui.sim.engine import Order, OrderBook

Clock = Callable[[], float]


class Prices(Protocol):
    """Pair lookup and valuation at last prices."""

    def spec(self, pair: str | None) -> PairSpec:
        """The listed pair (any spelling), or a 400 "pair not found"."""
        ...

    def rate(self, currency: str) -> Decimal | None:
        """Value of one unit of ``currency`` in USDT, or None without a price."""
        ...

    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair``."""
        ...


class OrderPort(Protocol):
    """What the margin desk may do with orders."""

    def orders_of(self, account_id: int) -> list[Order]:
        """Every order of the account, oldest first."""
        ...

    def cancel(self, order: Order, now: float) -> None:
        """Cancel an open order (no-op when it is done)."""
        ...

    def force_market(self, account_id: int, wallet_type: WalletType,
                     wallet_pair: str | None, pair: str, is_bid: bool, net: Decimal,
                     now: float) -> Order | None:
        """The exchange's own market order for a margin wallet, through the book (no
        validation): it buys or sells so the wallet receives ``net`` after the taker fee,
        as far as the book and the wallet go (liquidation, closing a position)."""
        ...


class MarginHooks(Protocol):
    """The margin side effects of a margin order."""

    def auto_borrow(self, order: Order, currency: str, amount: Decimal, now: float) -> None:
        """Borrow what the order's hold lacks."""
        ...

    def auto_repay(self, order: Order, currency: str, now: float) -> None:
        """Repay debt in ``currency`` from what a fill brought in."""
        ...


class MarketPort(Protocol):
    """What market life (makers and takers) may do."""

    books: dict[str, OrderBook]
    pair_specs: tuple[PairSpec, ...]

    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair``."""
        ...

    def system_order(self, account_id: int, pair: str, is_bid: bool, type: OrderType,
                     amount: Decimal, price: Decimal | None, now: float) -> Order | None:
        """Place an order without validation or history; None if unfunded."""
        ...

    def cancel_system_order(self, order: Order, now: float) -> None:
        """Cancel a market-life order."""
        ...
