"""Orders and the order book: price-time priority matching, no money.

The book only knows prices, amounts and arrival order. It proposes fills; the exchange
settles them in the ledger. Keeping money out of here keeps matching fast and testable on
its own (the benchmark drives it directly).

Bids are keyed by the negated price so that both sides of the book iterate best-first in a
``SortedDict``; each price level is an insertion-ordered ``dict`` of orders, which gives
time priority and O(1) removal on cancel.
"""

from __future__ import annotations

from collections.abc import Generator
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sortedcontainers import SortedDict

from alp_tui.api.enums import (
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)

ZERO = Decimal(0)


class Order:
    """One order, resting or done. Money fields are ``Decimal``; times are Unix seconds."""

    __slots__ = (
        "account_id", "amount", "cancelled", "client_order_id", "created_at", "done_at",
        "expire_at", "filled", "hold", "hold_currency", "id", "is_bid", "open_at", "pair",
        "price", "quote_amount", "remaining", "side_effect", "status", "stop_operator",
        "stop_price", "system", "tif", "type", "updated_at", "value_filled", "wallet_pair",
        "wallet_type", "wallets",
    )

    def __init__(
        self,
        *,
        id: int,
        account_id: int,
        pair: str,
        is_bid: bool,
        type: OrderType,
        amount: Decimal,
        price: Decimal | None,
        created_at: float,
        wallet_type: WalletType = WalletType.SPOT,
        wallet_pair: str | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        quote_amount: Decimal | None = None,
        stop_price: Decimal | None = None,
        stop_operator: StopOperator | None = None,
        client_order_id: str | None = None,
        side_effect: SideEffect = SideEffect.NO_SIDE_EFFECT,
        expire_at: float | None = None,
        system: bool = False,
    ) -> None:
        self.id = id
        self.account_id = account_id
        self.pair = pair
        self.is_bid = is_bid
        self.type = type
        self.amount = amount
        self.price = price
        self.remaining = amount
        self.filled = ZERO
        self.cancelled = ZERO
        self.value_filled = ZERO
        self.quote_amount = quote_amount
        self.stop_price = stop_price
        self.stop_operator = stop_operator
        self.tif = tif
        self.wallet_type = wallet_type
        self.wallet_pair = wallet_pair
        self.client_order_id = client_order_id
        self.side_effect = side_effect
        self.status = OrderStatus.PENDING
        self.created_at = created_at
        self.updated_at = created_at
        self.open_at: float | None = None
        self.done_at: float | None = None
        self.expire_at = expire_at
        # Funds still held for this order, and in which currency (set by the exchange).
        self.hold = ZERO
        self.hold_currency = ""
        # Market makers and takers: not persisted, no activity records.
        self.system = system
        # (base wallet, quote wallet), looked up once by the exchange.
        self.wallets: tuple[Any, Any] | None = None

    @property
    def aon(self) -> bool:
        """True when the order may only ever fill completely at once."""
        return self.tif is TimeInForce.AON

    def __repr__(self) -> str:
        side = "BID" if self.is_bid else "ASK"
        return f"Order({self.id} {side} {self.remaining}/{self.amount}@{self.price} {self.status})"


class Fill:
    """A proposed execution of ``amount`` against resting ``maker`` at ``price``."""

    __slots__ = ("amount", "maker", "price")

    def __init__(self, maker: Order, amount: Decimal, price: Decimal) -> None:
        self.maker = maker
        self.amount = amount
        self.price = price


class OrderBook:
    """Resting orders of one pair, matched by price then time."""

    def __init__(self, pair: str, amount_step: Decimal) -> None:
        self.pair = pair
        self.amount_step = amount_step
        self.bids: SortedDict = SortedDict()  # -price -> {order id: Order}
        self.asks: SortedDict = SortedDict()  # price -> {order id: Order}
        self.orders: dict[int, Order] = {}
        # Bumped on every change so views can cache.
        self.version = 0

    # --- resting orders ---------------------------------------------------------------
    def add(self, order: Order) -> None:
        """Rest ``order`` (a priced order with ``remaining`` > 0) at the back of its level."""
        assert order.price is not None and order.remaining > 0
        side, key = (self.bids, -order.price) if order.is_bid else (self.asks, order.price)
        level = side.get(key)
        if level is None:
            level = side[key] = {}
        level[order.id] = order
        self.orders[order.id] = order
        self.version += 1

    def remove(self, order: Order) -> bool:
        """Take ``order`` off the book; False when it was not resting."""
        if self.orders.pop(order.id, None) is None:
            return False
        side, key = (self.bids, -order.price) if order.is_bid else (self.asks, order.price)
        level = side[key]
        del level[order.id]
        if not level:
            del side[key]
        self.version += 1
        return True

    def __contains__(self, order_id: int) -> bool:
        return order_id in self.orders

    def best_bid(self) -> Decimal | None:
        """Highest bid price, or None."""
        return -self.bids.peekitem(0)[0] if self.bids else None

    def best_ask(self) -> Decimal | None:
        """Lowest ask price, or None."""
        return self.asks.peekitem(0)[0] if self.asks else None

    def is_crossed(self) -> bool:
        """True if the best bid meets the best ask, ignoring all-or-none orders (which may
        legitimately rest against smaller opposite orders)."""
        bid = next((-k for k, lv in self.bids.items() if any(not o.aon for o in lv.values())),
                   None)
        ask = next((k for k, lv in self.asks.items() if any(not o.aon for o in lv.values())),
                   None)
        return bid is not None and ask is not None and bid >= ask

    # --- matching ---------------------------------------------------------------------
    def walk(self, is_bid: bool, limit: Decimal | None, base: Decimal | None = None,
             quote: Decimal | None = None) -> Generator[Fill, None, bool]:
        """Fills a taker would get, best price first then oldest, without changing the book.

        The taker buys (``is_bid``) or sells up to ``base`` of the base currency, or — when
        ``base`` is None — for up to ``quote`` of the quote currency, never beyond
        ``limit`` (None: any price). All-or-none makers are skipped unless taken whole.
        The generator returns True when it stopped because the taker got all it can (what
        is left buys less than one amount step at the price reached), False when the book
        or the limit ran out first.
        """
        side = self.asks if is_bid else self.bids
        left_base = base
        left_quote = quote
        step = self.amount_step
        index = 0
        count = len(side)
        while index < count:
            key, level = side.peekitem(index)
            index += 1
            price = key if is_bid else -key
            if limit is not None and (price > limit if is_bid else price < limit):
                return False
            for maker in level.values():
                if left_base is not None:
                    cap = left_base
                else:
                    assert left_quote is not None
                    cap = (left_quote / price).quantize(step, rounding=ROUND_DOWN)
                if cap <= 0:
                    return True
                if maker.aon and maker.remaining > cap:
                    continue
                qty = maker.remaining if maker.remaining < cap else cap
                yield Fill(maker, qty, price)
                if qty == cap:
                    # The taker got all it can: by quote, what is left buys less than one
                    # step here (a seller does not dump that dust into worse bids).
                    return True
                if left_base is not None:
                    left_base -= qty
                else:
                    left_quote -= qty * price
        return False

    def takes_whole(self, is_bid: bool, limit: Decimal | None, base: Decimal | None = None,
                    quote: Decimal | None = None) -> bool:
        """Whether a taker would get all it asks for now (fill-or-kill / all-or-none): all
        of ``base``; or for ``quote``, all of it but what can't buy one amount step (at
        the price the walk reached, or at the last price paid when the book ran out)."""
        walker = self.walk(is_bid, limit, base, quote)
        left_base, left_quote = base, quote
        last: Decimal | None = None
        while True:
            try:
                fill = next(walker)
            except StopIteration as done:
                if done.value:
                    return True
                break
            last = fill.price
            if left_base is not None:
                left_base -= fill.amount
            else:
                left_quote -= fill.amount * fill.price  # type: ignore[operator]
        if left_base is not None:
            return left_base <= 0
        assert left_quote is not None
        return last is not None and left_quote < last * self.amount_step

    def fillable(self, is_bid: bool, limit: Decimal | None, base: Decimal | None = None,
                 quote: Decimal | None = None) -> tuple[Decimal, Decimal]:
        """(base amount, quote value) a taker could get now; used for FOK/AON checks and
        to size the hold of market orders."""
        got_base = ZERO
        got_quote = ZERO
        for fill in self.walk(is_bid, limit, base, quote):
            got_base += fill.amount
            got_quote += fill.amount * fill.price
        return got_base, got_quote

    def match(self, is_bid: bool, limit: Decimal | None, base: Decimal | None = None,
              quote: Decimal | None = None) -> list[Fill]:
        """Execute against the book: makers' ``remaining``/``filled`` are reduced and fully
        filled makers removed. The caller settles the returned fills."""
        fills = list(self.walk(is_bid, limit, base, quote))
        for fill in fills:
            maker = fill.maker
            maker.remaining -= fill.amount
            maker.filled += fill.amount
            if maker.remaining <= 0:
                self.remove(maker)
        if fills:
            self.version += 1
        return fills

    # --- views ------------------------------------------------------------------------
    def levels(self, is_bid: bool, limit: int, group: bool = True) -> list[tuple[Decimal,
                                                                               Decimal]]:
        """Up to ``limit`` (price, amount) rows best first: one per price when ``group``,
        else one per resting order. All-or-none orders that cross the other side's best
        price are left out: they cannot trade there, and would show a crossed book."""
        side = self.bids if is_bid else self.asks
        bound = self.best_ask() if is_bid else self.best_bid()
        rows: list[tuple[Decimal, Decimal]] = []
        for key, level in side.items():
            price = -key if is_bid else key
            crossed = bound is not None and (price >= bound if is_bid else price <= bound)
            if group:
                total = ZERO
                for order in level.values():
                    if not (crossed and order.aon):
                        total += order.remaining
                if total:
                    rows.append((price, total))
            else:
                for order in level.values():
                    if crossed and order.aon:
                        continue
                    rows.append((price, order.remaining))
                    if len(rows) >= limit:
                        break
            if len(rows) >= limit:
                break
        return rows[:limit]
