"""Sample data for the market pane tests and benchmarks (deterministic)."""

from __future__ import annotations

import random
from decimal import Decimal

from alp_tui.api.enums import OrderSide, OrderStatus, OrderType
from alp_tui.api.models import BookLevel, Candle, Order, OrderBook, PairInfo, PublicTrade

BTC_USDT = PairInfo(
    name="BTC_USDT",
    currency1="BTC",
    currency2="USDT",
    amount_precision=6,
    price_precision=2,
    maximum_order_size=Decimal(100),
    minimum_order_size=Decimal("0.0001"),
    minimum_order_value=Decimal(5),
)
ETH_USDT = PairInfo(
    name="ETH_USDT",
    currency1="ETH",
    currency2="USDT",
    amount_precision=4,
    price_precision=2,
    maximum_order_size=Decimal(1000),
    minimum_order_size=Decimal("0.001"),
    minimum_order_value=Decimal(5),
)


def make_book(levels: int = 20, mid: Decimal = Decimal("45000"), seed: int = 1) -> OrderBook:
    """A book with ``levels`` levels a side around ``mid`` (tick 0.5)."""
    rng = random.Random(seed)
    asks = [
        BookLevel(
            price=mid + Decimal("0.5") * (i + 1), amount=Decimal(rng.randint(1, 500_000)) / 10**5
        )
        for i in range(levels)
    ]
    bids = [
        BookLevel(price=mid - Decimal("0.5") * i, amount=Decimal(rng.randint(1, 500_000)) / 10**5)
        for i in range(levels)
    ]
    return OrderBook(buy=bids, sell=asks)


def make_candles(count: int = 200, interval_s: int = 3600, seed: int = 7) -> list[Candle]:
    """A random walk of ``count`` candles ending at a fixed time."""
    rng = random.Random(seed)
    price = Decimal("45000")
    start = 1_795_000_000 - count * interval_s
    out: list[Candle] = []
    for i in range(count):
        open_ = price
        close = (open_ + Decimal(rng.randint(-30_000, 30_000)) / 100).quantize(Decimal("0.01"))
        high = max(open_, close) + Decimal(rng.randint(0, 10_000)) / 100
        low = min(open_, close) - Decimal(rng.randint(0, 10_000)) / 100
        volume = Decimal(rng.randint(1, 10_000_000)) / 10**4
        out.append(
            Candle(
                time=start + i * interval_s,
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume,
            )
        )
        price = close
    return out


def make_trades(
    count: int, first_id: int = 1, pair: str = "BTC_USDT", seed: int = 3
) -> list[PublicTrade]:
    """``count`` trades, newest first (as the API returns them)."""
    rng = random.Random(seed)
    trades = [
        PublicTrade(
            id=first_id + i,
            pair=pair,
            amount=Decimal(rng.randint(1, 100_000)) / 10**5,
            price=Decimal("45000") + Decimal(rng.randint(-500, 500)) / 10,
            timestamp=Decimal(1_795_000_000 + first_id + i) + Decimal("0.123456"),
            type="buy" if rng.random() < 0.5 else "sell",
        )
        for i in range(count)
    ]
    return list(reversed(trades))


def make_order(order_id: int, side: OrderSide, price: Decimal, pair: str = "BTC_USDT") -> Order:
    """An open limit order."""
    return Order(
        id=order_id,
        pair=pair,
        amount=Decimal("0.1"),
        price=price,
        side=side,
        status=OrderStatus.OPEN,
        type=OrderType.LIMIT,
    )
