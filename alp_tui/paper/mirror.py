"""The live market inside the paper exchange: a market account mirrors the upstream book,
and upstream trade prints cross the paper account's resting orders.

Everything here runs as one exchange call (``Exchange.transact``), so the paper account's
orders match through the simulator's own engine and ledger:

- :meth:`BookMirror.apply_book` makes the market account's resting orders equal the last
  upstream book (one order per level, the size the market showed). A user's market order
  then walks exactly those levels (real slippage); a crossing limit order fills at once as
  a taker; when the upstream's opposite best price moves through a resting user order, the
  market account's new level crosses it and the user fills as maker at their own price, by
  at most that level's size.
- :meth:`BookMirror.apply_prints` turns each new upstream trade at or through a resting user
  order's price into a crossing order of the print's size from the market account (with
  the mirrored levels on that side lifted first, so only user orders are met).

The market account is the simulator's market-maker account (funded at start far beyond any
book); it pays no fees, so the paper account's fees are exactly its schedule's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import OrderType
from alp_tui.sim.engine import Order
from alp_tui.sim.ledger import MAKER_ID

ZERO = Decimal(0)
LIMIT = OrderType.LIMIT
Level = tuple[Decimal, Decimal]  # (price, amount)


@dataclass(frozen=True)
class Print:
    """One upstream public trade."""

    id: int
    price: Decimal
    amount: Decimal


def clean_book(bids: Iterable[Level], asks: Iterable[Level]) -> tuple[list[Level], list[Level]]:
    """Usable levels only: positive prices and amounts, one per price, bids best first and
    asks best first, and no bid at or above the best ask (dead pairs on the live exchange
    show stub quotes that may cross; mirroring them would trade the market with itself)."""
    def side(levels: Iterable[Level], descending: bool) -> list[Level]:
        merged: dict[Decimal, Decimal] = {}
        for price, amount in levels:
            if price > 0 and amount > 0:
                merged[price] = merged.get(price, ZERO) + amount
        return sorted(merged.items(), key=lambda lv: lv[0], reverse=descending)

    clean_asks = side(asks, False)
    clean_bids = side(bids, True)
    if clean_asks:
        best_ask = clean_asks[0][0]
        clean_bids = [lv for lv in clean_bids if lv[0] < best_ask]
    return clean_bids, clean_asks


@dataclass
class _PairMirror:
    """The market account's resting orders for one pair, by (is_bid, price)."""

    orders: dict[tuple[bool, Decimal], Order] = field(default_factory=dict)
    book: tuple[tuple[Level, ...], tuple[Level, ...]] | None = None
    last_print_id: int | None = None


class BookMirror:
    """Keeps the exchange's books in step with the upstream market, pair by pair."""

    def __init__(self, exchange: Any, account_id: int = MAKER_ID) -> None:
        self.ex = exchange
        self.account_id = account_id
        self._pairs: dict[str, _PairMirror] = {}

    def _state(self, pair: str) -> _PairMirror:
        return self._pairs.setdefault(pair, _PairMirror())

    def has_book(self, pair: str) -> bool:
        """True once an upstream book was mirrored for ``pair``."""
        return self._state(pair).book is not None

    # --- what the user has resting ------------------------------------------------------
    def user_pairs(self) -> set[str]:
        """Pairs where a paper order rests or a stop waits (they need the live market)."""
        def collect() -> set[str]:
            out = {name for name, stops in self.ex.stops.items() if stops}
            for name, book in self.ex.books.items():
                if any(o.account_id != self.account_id and not o.system
                       for o in book.orders.values()):
                    out.add(name)
            return out
        return self.ex.transact(collect)  # type: ignore[no-any-return]

    def _user_orders(self, pair: str, is_bid: bool) -> list[Order]:
        return [o for o in self.ex.books[pair].orders.values()
                if not o.system and o.is_bid is is_bid]

    # --- the book -----------------------------------------------------------------------
    def apply_book(self, pair: str, bids: Iterable[Level], asks: Iterable[Level]) -> bool:
        """Mirror the upstream book (levels as the market showed them); returns False when
        it is the book already mirrored (then nothing changes: liquidity a paper order
        took stays taken until the market shows a new book)."""
        clean_bids, clean_asks = clean_book(bids, asks)
        snapshot = (tuple(clean_bids), tuple(clean_asks))
        state = self._state(pair)
        if state.book == snapshot:
            return False
        state.book = snapshot
        self.ex.transact(lambda: self._sync(pair, state))
        return True

    def _sync(self, pair: str, state: _PairMirror) -> None:
        assert state.book is not None
        ex = self.ex
        now = ex._now()
        want = {(True, p): a for p, a in state.book[0]}
        want.update({(False, p): a for p, a in state.book[1]})
        # Lift what no longer matches first, so a new level never meets a stale one.
        for key, order in list(state.orders.items()):
            if not ex.is_resting(order) or want.get(key) != order.remaining:
                if ex.is_resting(order):
                    ex.cancel_system_order(order, now)
                del state.orders[key]
        for key, amount in want.items():
            if key in state.orders:
                continue
            is_bid, price = key
            order = ex.system_order(self.account_id, pair, is_bid, LIMIT, amount, price, now)
            # A level that crossed a paper order filled it (in part or whole); what is
            # left rests like the market's level.
            if order is not None and ex.is_resting(order):
                state.orders[key] = order

    def _lift_side(self, pair: str, state: _PairMirror, is_bid: bool, now: float) -> None:
        for key, order in list(state.orders.items()):
            if key[0] is is_bid:
                if self.ex.is_resting(order):
                    self.ex.cancel_system_order(order, now)
                del state.orders[key]
        # The next book re-places them, even if it is the same book.
        state.book = None

    # --- trade prints -------------------------------------------------------------------
    def apply_prints(self, pair: str, prints: Iterable[Print]) -> int:
        """Cross resting paper orders with the upstream's new trades; returns how many
        prints were new. The first call for a pair only notes where the tape is (earlier
        trades happened before any paper order could have been there)."""
        state = self._state(pair)
        rows = sorted(prints, key=lambda p: p.id)
        if state.last_print_id is None:
            state.last_print_id = rows[-1].id if rows else 0
            return 0
        fresh = [p for p in rows if p.id > state.last_print_id]
        if not fresh:
            return 0
        state.last_print_id = fresh[-1].id
        self.ex.transact(lambda: self._cross_prints(pair, state, fresh))
        return len(fresh)

    def _cross_prints(self, pair: str, state: _PairMirror, prints: list[Print]) -> None:
        ex = self.ex
        now = ex._now()
        for trade in prints:
            if trade.price <= 0 or trade.amount <= 0:
                continue
            # Someone sold at or below a paper bid: that bid would have been hit.
            if any(o.price is not None and o.price >= trade.price
                   for o in self._user_orders(pair, True)):
                self._cross(pair, state, False, trade, now)
            # Someone bought at or above a paper ask.
            if any(o.price is not None and o.price <= trade.price
                   for o in self._user_orders(pair, False)):
                self._cross(pair, state, True, trade, now)

    def _cross(self, pair: str, state: _PairMirror, is_bid: bool, trade: Print,
               now: float) -> None:
        """The market account trades ``trade.amount`` at ``trade.price`` against the paper
        orders on the other side (the mirrored levels there are lifted first)."""
        self._lift_side(pair, state, not is_bid, now)
        order = self.ex.system_order(self.account_id, pair, is_bid, LIMIT, trade.amount,
                                     trade.price, now)
        if order is not None and self.ex.is_resting(order):
            self.ex.cancel_system_order(order, now)
