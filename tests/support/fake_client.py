"""A deterministic in-memory client with the AlpClient surface the feed uses (for tests
that need exact control: malformed answers, failures). Most UI tests use the simulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from alp_tui.api.models import BookLevel, Candle, OrderBook, PairInfo, PublicTrade, Ticker

PAIRS = ["BTC_USDT", "ETH_USDT", "XRP_USDT", "LTC_USDT", "DOGE_USDT"]
PRICES = {"BTC_USDT": "45000", "ETH_USDT": "3000", "XRP_USDT": "0.5123",
          "LTC_USDT": "80", "DOGE_USDT": "0.0812"}
PRECISION = {"BTC_USDT": 2, "ETH_USDT": 2, "XRP_USDT": 4, "LTC_USDT": 2, "DOGE_USDT": 5}


class FakeClient:
    """Answers from fixed data; ``fail[name] = exc`` makes ``name`` raise; ``calls`` counts."""

    def __init__(self, n_pairs: int = 5, *, has_credentials: bool = False) -> None:
        self.pairs_list = PAIRS[:n_pairs] + [f"C{i:03d}_USDT" for i in range(n_pairs - 5)]
        self.fail: dict[str, BaseException] = {}
        self.calls: dict[str, int] = {}
        self.delay = 0.0
        self.has_credentials = has_credentials
        self.observers: list[Any] = []
        self.book_depth = 50

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def add_observer(self, fn: Any) -> None:
        self.observers.append(fn)

    async def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.delay:
            await asyncio.sleep(self.delay)
        for fn in self.observers:
            fn({"method": "GET", "path": f"/{name}", "status": 200, "latency_s": 0.001})
        if name in self.fail:
            raise self.fail[name]

    def price(self, pair: str) -> Decimal:
        return Decimal(PRICES.get(pair, "1.5"))

    def precision(self, pair: str) -> int:
        return PRECISION.get(pair, 4)

    async def pairs(self) -> list[PairInfo]:
        await self._call("pairs")
        return [
            PairInfo(name=p, currency1=p.split("_")[0], currency2="USDT",
                     amount_precision=4, price_precision=self.precision(p),
                     maximum_order_size=Decimal(1000), minimum_order_size=Decimal("0.0001"),
                     minimum_order_value=Decimal(1))
            for p in self.pairs_list
        ]

    async def tickers(self) -> list[Ticker]:
        await self._call("ticker")
        out = []
        for i, p in enumerate(self.pairs_list):
            last = self.price(p)
            out.append(Ticker(pair=p, last=last, vol=Decimal(1000 + 37 * i),
                              high=last * Decimal("1.05"), low=last * Decimal("0.95"),
                              diff=last * Decimal(i - 2) / 100, timestamp=Decimal(1700000000),
                              buy=last, sell=last))
        return out

    async def orderbook(self, pair: str, group: Any = None, limit_buy: int | None = None,
                        limit_sell: int | None = None) -> OrderBook:
        await self._call("orderbook")
        mid = self.price(pair)
        step = mid / 10000
        n = min(limit_buy or self.book_depth, self.book_depth)
        return OrderBook(
            buy=[BookLevel(price=mid - step * (i + 1), amount=Decimal(i + 1)) for i in range(n)],
            sell=[BookLevel(price=mid + step * (i + 1), amount=Decimal(i + 1)) for i in range(n)],
        )

    async def charts(self, pair: str, interval: Any, since: Any = None, until: Any = None,
                     limit: int | None = None) -> list[Candle]:
        await self._call("charts")
        mid = self.price(pair)
        n = limit or 200
        step = int(interval) * 60
        return [Candle(time=1700000000 + i * step, open=mid, high=mid * Decimal("1.01"),
                       low=mid * Decimal("0.99"), close=mid + mid * Decimal(i % 7 - 3) / 1000,
                       volume=Decimal(i)) for i in range(n)]

    async def trades(self, pair: str, limit: int | None = None) -> list[PublicTrade]:
        await self._call("trades")
        mid = self.price(pair)
        return [PublicTrade(id=i, pair=pair, amount=Decimal("0.5"), price=mid,
                            timestamp=Decimal(1700000000 + i), type="buy" if i % 2 else "sell")
                for i in range(limit or 50)]

    async def balances(self) -> list[Any]:
        await self._call("balances")
        return []

    async def orders(self, **kw: Any) -> list[Any]:
        await self._call("orders")
        return []

    async def loans(self, **kw: Any) -> list[Any]:
        await self._call("loans")
        return []
