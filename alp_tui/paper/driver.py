"""The paper exchange's clock: follow the live market every second, for the pairs that matter.

Each tick (about one second, the live book's own grid):

- every ``ticker_s`` seconds, one ``GET /ticker`` gives every pair's live last price, set
  into the exchange (stops trigger on it; margin valuations and liquidation use it; dead
  pairs with a zero price are skipped);
- for each *active* pair — one with a resting paper order or waiting stop, or one the user
  traded or asked to trade in the last ``active_s`` seconds — the upstream book and the
  latest trades are fetched and applied by :class:`~alp_tui.paper.mirror.BookMirror`;
- then ``Exchange.step()`` runs the account side (expiry, deposits/withdrawals, margin
  interest and liquidation checks).

:meth:`MarketDriver.ensure` is awaited before an order is placed so a market order walks
the book as it is now (at most ``book_s`` old), not as it was when the pair was last seen.
Upstream failures are logged and retried on the next tick; they never stop the driver.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from alp_tui.api.errors import AlpError
from alp_tui.paper.mirror import BookMirror, Print

log = logging.getLogger(__name__)

BOOK_DEPTH = 20  # the live exchange serves 20 levels a side at most
TRADES_FETCHED = 50


class MarketDriver:
    """Feeds the live market into the paper exchange (runs in the paper server's loop)."""

    def __init__(
        self,
        exchange: Any,
        client: Any,
        *,
        tick_s: float = 1.0,
        book_s: float = 1.0,
        ticker_s: float = 2.0,
        active_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ex = exchange
        self.client = client  # an AlpClient WITHOUT credentials: public GETs only
        self.mirror = BookMirror(exchange)
        self.tick_s = tick_s
        self.book_s = book_s
        self.ticker_s = ticker_s
        self.active_s = active_s
        self._clock = clock
        self._seen: dict[str, float] = {}  # pair -> when its book was last applied
        self._touched: dict[str, float] = {}  # pair -> when the user last traded it
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_tickers = float("-inf")
        self.ticks = 0
        self.errors = 0

    # --- the loop -----------------------------------------------------------------------
    async def run(self) -> None:
        """Tick until cancelled."""
        while True:
            started = self._clock()
            await self.tick()
            await asyncio.sleep(max(0.05, self.tick_s - (self._clock() - started)))

    async def tick(self) -> None:
        """One round: live prices, active pairs' books and prints, then the account step."""
        now = self._clock()
        if now - self._last_tickers >= self.ticker_s:
            self._last_tickers = now
            await self._guard("tickers", self._apply_tickers())
        for pair in sorted(self.active_pairs()):
            await self._guard(pair, self.refresh(pair))
        try:
            self.ex.step()
        except Exception:
            log.exception("paper: the account step failed")
        self.ticks += 1

    async def _guard(self, what: str, coro: Any) -> None:
        try:
            await coro
        except (AlpError, OSError) as exc:
            self.errors += 1
            log.warning("paper: upstream %s failed: %s", what, exc)
        except Exception:
            self.errors += 1
            log.exception("paper: following %s failed", what)

    def active_pairs(self) -> set[str]:
        """Pairs whose live market the paper account needs now."""
        now = self._clock()
        recent = {p for p, at in self._touched.items() if now - at <= self.active_s}
        return (recent | self.mirror.user_pairs()) & set(self.ex.books)

    # --- upstream -> exchange -------------------------------------------------------------
    async def _apply_tickers(self) -> None:
        prices = [(str(t.pair), Decimal(t.last)) for t in await self.client.tickers()]
        prices = [(pair, last) for pair, last in prices if pair in self.ex.books and last > 0]

        def apply() -> None:
            for pair, last in prices:
                self.ex.apply_market_price(pair, last)

        # One exchange call: one write to disk for the whole market, not one per pair.
        self.ex.transact(apply)

    async def ensure(self, pair: str) -> None:
        """Make ``pair``'s mirrored book at most ``book_s`` old (before an order on it) and
        keep following it for a while. Upstream failure raises (the order is refused)."""
        if pair not in self.ex.books:
            return
        self._touched[pair] = self._clock()
        if self._clock() - self._seen.get(pair, float("-inf")) > self.book_s \
                or not self.mirror.has_book(pair):
            await self.refresh(pair)

    async def refresh(self, pair: str) -> None:
        """Fetch and apply the upstream book and trades of ``pair`` (one at a time per pair)."""
        lock = self._locks.setdefault(pair, asyncio.Lock())
        async with lock:
            if self._clock() - self._seen.get(pair, float("-inf")) < self.book_s / 2:
                return  # another caller just did it
            book, trades = await asyncio.gather(
                self.client.orderbook(pair, limit_buy=BOOK_DEPTH, limit_sell=BOOK_DEPTH),
                self.client.trades(pair, limit=TRADES_FETCHED))
            prints = [Print(int(t.id), Decimal(t.price), Decimal(t.amount)) for t in trades]
            # Prints first: they happened before the book we now see.
            self.mirror.apply_prints(pair, prints)
            self.mirror.apply_book(pair, [(lv.price, lv.amount) for lv in book.buy],
                                   [(lv.price, lv.amount) for lv in book.sell])
            self._seen[pair] = self._clock()

