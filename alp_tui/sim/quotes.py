"""Market data: order books, last prices, the public trade tape, candles and tickers.

:class:`MarketData` owns what every participant sees; the order desk writes trades into
it (:meth:`MarketData.record_trade`) and the public endpoints read it. It also answers the
pair lookup and the valuation at last prices that the margin desk and funding use
(the :class:`~alp_tui.sim.ports.Prices` interface).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import ChartInterval, normalize_pair
from alp_tui.sim.candles import CandleSeries, backfill_pair
from alp_tui.sim.catalog import Listing, PairSpec
from alp_tui.sim.engine import OrderBook
from alp_tui.sim.errors import SimError

ZERO = Decimal(0)
BOOK_DEFAULT_ROWS = 50
BOOK_MAX_ROWS = 100
TRADES_KEPT = 1000


class MarketData:
    """Books, last prices, public trades and candles of every pair."""

    def __init__(self, clock: Callable[[], float], seed: int, listing: Listing) -> None:
        self._clock = clock
        self.seed = seed
        self.listing = listing
        pairs = listing.pairs
        self.books: dict[str, OrderBook] = {p.name: OrderBook(p.name, p.amount_step)
                                            for p in pairs}
        self.last: dict[str, Decimal] = {p.name: p.start_price for p in pairs}
        self.last_ts: dict[str, float] = {p.name: 0.0 for p in pairs}
        self.public_trades: dict[str, deque[dict[str, Any]]] = {
            p.name: deque(maxlen=TRADES_KEPT) for p in pairs}
        self.candles: dict[tuple[str, int], CandleSeries] = {}
        self._pair_series: dict[str, list[CandleSeries]] = {p.name: [] for p in pairs}
        self._history_done: set[str] = set()
        for spec in pairs:
            for interval in ChartInterval:
                series = CandleSeries(interval.seconds, [])
                self.candles[(spec.name, interval.seconds)] = series
                self._pair_series[spec.name].append(series)
        self.started_at = clock()
        # Set by the exchange once the start prices are known (after loading state).
        self._start_prices: dict[str, Decimal] = dict(self.last)
        self._history_end = 0

    def start_history(self, history_end: int) -> None:
        """Generated chart history ends at ``history_end`` at today's last prices."""
        self._start_prices = dict(self.last)
        self._history_end = history_end

    # --- Prices ---------------------------------------------------------------------
    def spec(self, pair: str | None) -> PairSpec:
        """The listed pair (any spelling), or a 400 "pair not found"."""
        if not pair:
            raise SimError(400, "pair not found")
        spec = self.listing.pair_by_name.get(normalize_pair(pair))
        if spec is None:
            raise SimError(400, "pair not found")
        return spec

    def last_price(self, pair: str) -> Decimal:
        """Last trade price of ``pair`` (its start price before any trade)."""
        return self.last[pair]

    def rate(self, currency: str) -> Decimal | None:
        """Value of one unit of ``currency`` in USDT, from last prices."""
        if currency in ("USDT", "USDC"):
            return Decimal(1)
        for quote in ("USDT", "USDC"):
            price = self.last.get(f"{currency}_{quote}")
            if price:
                return price
        btc_price = self.last.get(f"{currency}_BTC")
        if btc_price:
            return btc_price * self.last["BTC_USDT"]
        return None

    # --- trades -----------------------------------------------------------------------
    def record_trade(self, trade_id: int, pair: str, price: Decimal, qty: Decimal, side: str,
                     now: float, account_id: int) -> None:
        """A public trade: the tape, the last price and every candle series of the pair.
        ``account_id`` is the taker's, as on the reference's public trade rows."""
        self.public_trades[pair].append(
            {"id": trade_id, "account_id": account_id, "pair": pair, "amount": qty,
             "price": price, "timestamp": Decimal(f"{now:.6f}"), "type": side})
        self.last[pair] = price
        self.last_ts[pair] = now
        for series in self._pair_series[pair]:
            series.add_trade(now, price, qty)

    def trades(self, pair: str, limit: int | None, offset: int | None) -> list[dict[str, Any]]:
        """Public trades, newest first."""
        rows = self.public_trades[self.spec(pair).name]
        start = max(offset or 0, 0)
        count = 50 if limit is None or limit <= 0 else min(limit, TRADES_KEPT)
        out = []
        for i in range(len(rows) - 1 - start, -1, -1):
            out.append(dict(rows[i]))
            if len(out) >= count:
                break
        return out

    # --- candles and tickers ------------------------------------------------------------
    def series(self, pair: str, interval_s: int) -> CandleSeries:
        """The pair's candles for one interval, with the generated history in front (built
        for all intervals of the pair at once, on first use)."""
        if pair not in self._history_done:
            self._history_done.add(pair)
            history = backfill_pair(self.listing.pair_by_name[pair], self._history_end,
                                    self._start_prices[pair], self.seed)
            for level, candles in history.items():
                self.candles[(pair, level)].merge_history(candles)
        series = self.candles[(pair, interval_s)]
        series.roll(self._clock())
        return series

    def charts(self, pair: str, interval: Any, since: int | None, until: int | None,
               limit: int | None) -> list[dict[str, Any]]:
        """Candles oldest first."""
        spec = self.spec(pair)
        try:
            interval = ChartInterval(interval)
        except ValueError:
            raise SimError.field("interval", "unknown interval") from None
        return self.series(spec.name, interval.seconds).query(self._clock(), since, until,
                                                               limit)

    def stats_24h(self, pair: str, now: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(open, high, low, base volume) over the last 24 hours, from 5-minute candles."""
        series = self.series(pair, 300)
        series.roll(now)
        since = now - 86400
        open_ = high = low = None
        vol = ZERO
        for candle in reversed(series.candles):
            if candle.time + 300 <= since:
                break
            open_ = candle.open
            high = candle.high if high is None or candle.high > high else high
            low = candle.low if low is None or candle.low < low else low
            vol += candle.volume
        last = self.last[pair]
        return (open_ or last, high or last, low or last, vol)

    def ticker(self, spec: PairSpec, now: float) -> dict[str, Any]:
        """One ticker row."""
        book = self.books[spec.name]
        last = self.last[spec.name]
        open_, high, low, vol = self.stats_24h(spec.name, now)
        diff = last - open_
        pct = (diff / open_ * 100).quantize(Decimal("0.01")) if open_ else ZERO
        ts = self.last_ts[spec.name] or self.started_at
        return {
            "pair": spec.name,
            "last": last,
            "vol": vol,
            "buy": book.best_bid() or ZERO,
            "sell": book.best_ask() or ZERO,
            "high": high,
            "low": low,
            "diff": diff,
            "timestamp": Decimal(f"{ts:.6f}"),
            "open": open_,
            "diff_percent": pct,
            "price_precision": spec.price_precision,
            "amount_precision": spec.amount_precision,
        }

    def orderbook(self, pair: str, group: bool, limit_buy: int | None,
                  limit_sell: int | None) -> dict[str, Any]:
        """``{"buy": [{"amount", "price"}...] best first, "sell": [...] best first}``."""
        book = self.books[self.spec(pair).name]

        def rows(is_bid: bool, limit: int | None) -> list[dict[str, Any]]:
            """One side's rows, best first."""
            n = BOOK_DEFAULT_ROWS if limit is None or limit <= 0 else min(limit, BOOK_MAX_ROWS)
            return [{"amount": a, "price": p} for p, a in book.levels(is_bid, n, group)]

        return {"buy": rows(True, limit_buy), "sell": rows(False, limit_sell)}

    def currency_rates(self) -> dict[str, str]:
        """``{"BTC": "91250.00000000", ...}``: value in USDT, as strings."""
        out: dict[str, str] = {}
        for cur in self.listing.currencies:
            rate = self.rate(cur.short_name)
            if rate is not None:
                out[cur.short_name] = str(rate.quantize(Decimal("1e-8")))
        return out
