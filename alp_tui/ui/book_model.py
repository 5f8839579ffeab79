"""What the order book ladder shows, computed without textual: levels with cumulative
totals, depth fractions, spread and mid, and which levels changed since the last book.

All money stays ``Decimal``; only the depth fraction (a bar length, not money) is a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import BookLevel, OrderBook

__all__ = ["BookSnapshot", "LadderLevel", "LevelKey", "changed_levels", "snapshot"]

LevelKey = tuple[OrderSide, Decimal]
"""A level's identity: its side (ASK for sell orders, BID for buy orders) and price."""


@dataclass(frozen=True, slots=True)
class LadderLevel:
    """One level as shown: price, amount, cumulative amount from the best price outwards."""

    side: OrderSide
    price: Decimal
    amount: Decimal
    total: Decimal

    @property
    def key(self) -> LevelKey:
        """(side, price)."""
        return (self.side, self.price)


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """A book prepared for display. ``asks`` and ``bids`` are best first."""

    asks: tuple[LadderLevel, ...]
    bids: tuple[LadderLevel, ...]

    @property
    def is_empty(self) -> bool:
        """True when neither side has a level."""
        return not self.asks and not self.bids

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price."""
        return self.asks[0].price if self.asks else None

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price."""
        return self.bids[0].price if self.bids else None

    @property
    def spread(self) -> Decimal | None:
        """Best ask − best bid (negative for a crossed book), or None with a side empty."""
        if self.best_ask is None or self.best_bid is None:
            return None
        return self.best_ask - self.best_bid

    @property
    def mid(self) -> Decimal | None:
        """(best ask + best bid) / 2, or None with a side empty."""
        if self.best_ask is None or self.best_bid is None:
            return None
        return (self.best_ask + self.best_bid) / 2

    @property
    def spread_percent(self) -> Decimal | None:
        """Spread as a per cent of the mid."""
        spread, mid = self.spread, self.mid
        if spread is None or mid is None or mid <= 0:
            return None
        return spread / mid * 100

    def amounts(self) -> dict[LevelKey, Decimal]:
        """Amount per level, to compare with the next book."""
        return {lv.key: lv.amount for lv in (*self.asks, *self.bids)}

    def level_keys(self) -> Iterable[LevelKey]:
        """Every level's key."""
        return (lv.key for lv in (*self.asks, *self.bids))


def _side(levels: Sequence[BookLevel], side: OrderSide) -> tuple[LadderLevel, ...]:
    total = Decimal(0)
    out: list[LadderLevel] = []
    for level in levels:
        if level.amount <= 0:
            continue
        total += level.amount
        out.append(LadderLevel(side, level.price, level.amount, total))
    return tuple(out)


def snapshot(book: OrderBook) -> BookSnapshot:
    """Prepare ``book`` for display: best first on both sides, cumulative totals.

    The API sends ``buy`` descending and ``sell`` ascending; the sides are sorted anyway so a
    misordered answer cannot produce wrong totals.
    """
    asks = sorted(book.sell, key=lambda lv: lv.price)
    bids = sorted(book.buy, key=lambda lv: lv.price, reverse=True)
    return BookSnapshot(_side(asks, OrderSide.ASK), _side(bids, OrderSide.BID))


def changed_levels(before: dict[LevelKey, Decimal], after: BookSnapshot) -> set[LevelKey]:
    """Levels of ``after`` that are new or whose amount differs from ``before``."""
    return {lv.key for lv in (*after.asks, *after.bids) if before.get(lv.key) != lv.amount}
