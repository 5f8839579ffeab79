"""A tiny stand-in for the simulator's Exchange: just what the feed hub reads.

Used for the feed's protocol tests so they do not depend on market rules; the end-to-end
tests use the real simulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

D = Decimal


class FakeExchange:
    """Books as price → amount dicts, trades and tickers, with change listeners."""

    def __init__(self, pairs: tuple[str, ...] = ("BTC_USDT", "ETH_USDT")) -> None:
        self._lock = threading.RLock()
        self.books: dict[str, dict[str, dict[Decimal, Decimal]]] = {
            p: {"buy": {}, "sell": {}} for p in pairs
        }
        self.last: dict[str, Decimal] = {p: D(0) for p in pairs}
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.trade_id = 0

    def add_listener(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self.listeners.append(fn)

    def _emit(self, event: dict[str, Any]) -> None:
        for fn in self.listeners:
            fn(event)

    def pairs(self) -> list[dict[str, Any]]:
        return [{"name": p} for p in self.books]

    def orderbook(self, pair: str, group: bool = False, limit_buy: int | None = None,
                  limit_sell: int | None = None) -> dict[str, Any]:
        with self._lock:
            book = self.books[pair]
            buy = sorted(book["buy"].items(), key=lambda kv: -kv[0])[: limit_buy or 20]
            sell = sorted(book["sell"].items())[: limit_sell or 20]
        return {"buy": [{"price": p, "amount": a} for p, a in buy],
                "sell": [{"price": p, "amount": a} for p, a in sell]}

    def set_level(self, pair: str, side: str, price: Decimal | str, amount: Decimal | str) -> None:
        price, amount = D(str(price)), D(str(amount))
        with self._lock:
            levels = self.books[pair][side]
            if amount > 0:
                levels[price] = amount
            else:
                levels.pop(price, None)
        self._emit({"type": "book", "pair": pair})

    def trade(self, pair: str, price: str, amount: str, side: str = "buy") -> int:
        with self._lock:
            self.trade_id += 1
            self.last[pair] = D(price)
            tid = self.trade_id
        self._emit({"type": "trade", "pair": pair, "id": tid, "price": D(price),
                    "amount": D(amount), "side": side, "ts": D("1764111600.123456")})
        self._emit({"type": "ticker", "pair": pair})
        return tid

    def ticker(self, pair: str | None = None) -> Any:
        last = self.last[pair]
        return {"pair": pair, "last": last, "vol": D("1.5"), "buy": last - 1 if last else D(0),
                "sell": last + 1 if last else D(0), "high": last, "low": last, "diff": D(0),
                "timestamp": 1764111600}

    def currency_rates(self) -> dict[str, Any]:
        return {"BTC": "45000.00000000", "ETH": "3000.5"}

    def emit_private(self, event: dict[str, Any]) -> None:
        self._emit(event)
