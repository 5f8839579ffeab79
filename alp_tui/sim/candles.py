"""OHLCV candles per pair and interval: a back-filled history plus live aggregation.

The history before the simulator started is generated (deterministically from the seed,
pair and interval) as a random walk that ends exactly at the pair's starting price, so
charts are full from the first second. Each interval's history is generated on its own
and lazily (first request), which keeps start-up cheap; they are consistent where it
shows — the live candles, built from real trades, are shared truth for every interval.

Synthetic history uses binary floats for the random walk only; every value that leaves
this module is a ``Decimal`` quantized to the pair's tick or amount step.
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import ROUND_DOWN, Decimal
from typing import Any

from alp_tui.sim.catalog import PairSpec

ZERO = Decimal(0)
BACKFILL_CANDLES = 320
MAX_CANDLES = 3000


class Candle:
    """One candle; ``time`` is the Unix second it opens."""

    __slots__ = ("close", "count", "high", "low", "open", "quote_volume", "time", "volume")

    def __init__(self, time: int, open: Decimal, high: Decimal, low: Decimal, close: Decimal,
                 volume: Decimal = ZERO, quote_volume: Decimal = ZERO, count: int = 0) -> None:
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quote_volume = quote_volume
        self.count = count

    def public(self) -> dict[str, Any]:
        """The row ``GET /charts`` answers with (later-edition extras included)."""
        return {
            "open": self.open,
            "close": self.close,
            "high": self.high,
            "low": self.low,
            "volume": self.volume,
            "time": self.time,
            "quoteVolume": self.quote_volume,
            "tradesCount": self.count,
        }


def backfill(spec: PairSpec, interval_s: int, end_time: int, end_price: Decimal, seed: int,
             n: int = BACKFILL_CANDLES) -> list[Candle]:
    """``n`` candles ending just before ``end_time`` whose last close is ``end_price``."""
    rng = random.Random(f"{seed}:{spec.name}:{interval_s}")
    sigma = spec.volatility * math.sqrt(interval_s)
    # Walk backwards from the end price so the history joins the live market exactly.
    closes = [float(end_price)]
    for _ in range(n):
        closes.append(closes[-1] * math.exp(-rng.gauss(0.0, sigma)))
    closes.reverse()  # closes[0] is the open of the first candle
    tick = spec.price_tick
    step = spec.amount_step
    # Typical traded value per second, in quote units, scaled to the pair's price level.
    value_per_s = 40.0 * float(spec.start_price) ** 0.35
    candles: list[Candle] = []
    first = end_time - n * interval_s
    for i in range(n):
        o, c = closes[i], closes[i + 1]
        wiggle = abs(rng.gauss(0.0, sigma * 0.6))
        h = max(o, c) * (1 + wiggle)
        lo = min(o, c) * (1 - abs(rng.gauss(0.0, sigma * 0.6)))
        vol = value_per_s * interval_s * rng.lognormvariate(0.0, 0.5) / c
        open_d = Decimal(repr(o)).quantize(tick)
        close_d = end_price if i == n - 1 else Decimal(repr(c)).quantize(tick)
        high_d = max(Decimal(repr(h)).quantize(tick), open_d, close_d)
        low_d = min(Decimal(repr(lo)).quantize(tick), open_d, close_d)
        volume = Decimal(repr(vol)).quantize(step, rounding=ROUND_DOWN)
        quote_volume = (volume * (open_d + close_d) / 2).quantize(tick)
        count = max(1, int(vol * c / max(value_per_s * 8, 1.0)))
        candles.append(Candle(first + i * interval_s, open_d, high_d, low_d, close_d, volume,
                              quote_volume, count))
    # Keep candles continuous: each opens at the previous close.
    for prev, cur in itertools.pairwise(candles):
        cur.open = prev.close
        cur.high = max(cur.high, cur.open)
        cur.low = min(cur.low, cur.open)
    return candles


class CandleSeries:
    """Candles of one pair and interval, oldest first, continuous (no gaps)."""

    def __init__(self, interval_s: int, history: list[Candle]) -> None:
        self.interval_s = interval_s
        self.candles = history

    def _bucket(self, ts: float) -> int:
        return int(ts // self.interval_s) * self.interval_s

    def roll(self, now: float) -> None:
        """Add flat, empty candles up to the one containing ``now``."""
        if not self.candles:
            return
        bucket = self._bucket(now)
        last = self.candles[-1]
        t = last.time + self.interval_s
        price = last.close
        while t <= bucket:
            self.candles.append(Candle(t, price, price, price, price))
            t += self.interval_s
        if len(self.candles) > MAX_CANDLES:
            del self.candles[: len(self.candles) - MAX_CANDLES]

    def add_trade(self, ts: float, price: Decimal, amount: Decimal) -> None:
        """Aggregate one trade into its candle."""
        bucket = self._bucket(ts)
        if not self.candles or self.candles[-1].time < bucket:
            self.roll(ts)
            if not self.candles or self.candles[-1].time < bucket:
                self.candles.append(Candle(bucket, price, price, price, price))
        # A trade stamped into an older bucket (clock went back) counts in the last one.
        candle = self.candles[-1]
        if price > candle.high:
            candle.high = price
        if price < candle.low:
            candle.low = price
        candle.close = price
        candle.volume += amount
        candle.quote_volume += amount * price
        candle.count += 1

    def query(self, now: float, since: int | None = None, until: int | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        """Candles with ``since <= time <= until``, oldest first, the newest ``limit``."""
        self.roll(now)
        rows = self.candles
        if since is not None or until is not None:
            lo = since if since is not None else -1
            hi = until if until is not None else 1 << 62
            rows = [c for c in rows if lo <= c.time <= hi]
        if limit is not None and limit >= 0:
            rows = rows[-limit:] if limit else []
        return [c.public() for c in rows]
