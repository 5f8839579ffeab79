"""OHLCV candles per pair and interval: a back-filled history plus live aggregation.

The history before the simulator started is generated (deterministically from the seed,
the pair and the start minute) as one price path that ends exactly at the pair's starting
price, so charts are full from the first second and every interval tells the same story
(an hour candle is the aggregate of its minute candles wherever both exist). It is built
lazily, per pair, on the first request that needs it; the live candles after the start are
aggregated from real trades.

Synthetic history uses binary floats for the random walk only; every value that leaves
this module is a ``Decimal`` quantized to the pair's tick or amount step.
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import ROUND_DOWN, Decimal
from typing import Any

from alp_tui.sim.catalog import PairSpec, quote_usd_rate

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


LEVELS = (60, 300, 900, 1800, 3600, 14400, 86400)  # every chart interval, in seconds


def backfill_pair(spec: PairSpec, end_time: int, end_price: Decimal, seed: int,
                  n: int = BACKFILL_CANDLES) -> dict[int, list[Candle]]:
    """History of one pair for every interval, consistent across intervals.

    One price path is drawn coarse-to-fine: a daily random walk ending at ``end_price`` at
    ``end_time`` (a whole minute), then Brownian bridges between known points down to the
    minute, each level covering its last ``n`` candles. Candles are then built fine-to-
    coarse, so wherever finer history exists a coarse candle is exactly the aggregate of
    its children (open, close, high, low, volume). Each list holds ``n`` full candles and,
    when ``end_time`` falls inside a coarse candle, that partial candle last (the live
    candle continues it).
    """
    rng = random.Random(f"{seed}:{spec.name}:history")
    sigma = spec.volatility
    # Log-price at grid times, per level; coarse points are shared by the finer levels.
    points: dict[int, dict[int, float]] = {}
    top = LEVELS[-1]
    log_end = math.log(float(end_price))
    first_top = (end_time // top) * top
    path = {end_time: log_end}
    t, x = end_time, log_end
    for grid_t in range(first_top, first_top - (n + 1) * top, -top):
        if grid_t == t:
            continue
        x -= rng.gauss(0.0, sigma * math.sqrt(t - grid_t))
        t = grid_t
        path[t] = x
    points[top] = path
    for level, parent in zip(LEVELS[-2::-1], LEVELS[::-1], strict=False):
        start = (end_time // level) * level - n * level
        known = sorted(t for t in points[parent] if t >= start - parent)
        fine: dict[int, float] = {}
        for a, b in itertools.pairwise(known):
            xa, xb = points[parent][a], points[parent][b]
            fine[a] = xa
            t, x = a, xa
            grid_t = (a // level + 1) * level
            while grid_t < b:
                # Brownian bridge from (t, x) to (b, xb): mean on the line, shrinking var.
                span = b - t
                step = grid_t - t
                mean = x + (xb - x) * step / span
                var = sigma * sigma * step * (b - grid_t) / span
                x = rng.gauss(mean, math.sqrt(var))
                t = grid_t
                fine[t] = x
                grid_t += level
        fine[known[-1]] = points[parent][known[-1]]
        points[level] = {t: v for t, v in fine.items() if t >= start}
        points[level][end_time] = log_end
    tick = spec.price_tick
    step_amount = spec.amount_step
    # Traded value per second: grows (slowly) with the coin's USD price; in quote units.
    quote_usd = float(quote_usd_rate(spec.quote))
    value_per_s = 40.0 * (float(spec.start_price) * quote_usd) ** 0.35 / quote_usd
    trade_value = value_per_s * 0.6  # about 1.7 trades a second, like the live takers
    prices: dict[float, Decimal] = {}

    def price(log_x: float) -> Decimal:
        """A path point as a tick-rounded price (memoized: coarse points repeat)."""
        cached = prices.get(log_x)
        if cached is None:
            cached = prices[log_x] = Decimal(repr(math.exp(log_x))).quantize(tick)
        return cached

    out: dict[int, list[Candle]] = {}
    children: dict[int, Candle] = {}
    child_level = 0
    for level in LEVELS:
        grid = points[level]
        last_full = (end_time // level) * level
        times = [t for t in sorted(grid) if t < end_time]
        times = times[-(n + 1):] if last_full < end_time else times[-n:]
        candles: list[Candle] = []
        wiggle_sigma = sigma * math.sqrt(level) * 0.5
        for t in times:
            close_t = min(t + level, end_time)
            o = price(grid[t])
            c = price(grid[close_t]) if close_t in grid else price(log_end)
            kids = [children[k] for k in range(t, close_t, child_level)
                    if k in children] if child_level else []
            if kids:
                high = max(max(k.high for k in kids), o, c)
                low = min(min(k.low for k in kids), o, c)
                volume = sum((k.volume for k in kids), ZERO)
                quote_volume = sum((k.quote_volume for k in kids), ZERO)
                count = sum(k.count for k in kids)
            else:
                hi_f = max(float(o), float(c)) * (1 + abs(rng.gauss(0.0, wiggle_sigma)))
                lo_f = min(float(o), float(c)) * (1 - abs(rng.gauss(0.0, wiggle_sigma)))
                high = max(Decimal(repr(hi_f)).quantize(tick), o, c)
                low = min(Decimal(repr(lo_f)).quantize(tick), o, c)
                vol_f = value_per_s * (close_t - t) * rng.lognormvariate(0.0, 0.5) / float(c)
                volume = Decimal(repr(vol_f)).quantize(step_amount, rounding=ROUND_DOWN)
                quote_volume = (volume * (o + c) / 2).quantize(tick)
                count = max(1, round(vol_f * float(c) / trade_value))
            candles.append(Candle(t, o, high, low, c, volume, quote_volume, count))
        out[level] = candles
        children = {c.time: c for c in candles}
        child_level = level
    return out


class CandleSeries:
    """Candles of one pair and interval, oldest first, continuous (no gaps)."""

    def __init__(self, interval_s: int, history: list[Candle]) -> None:
        self.interval_s = interval_s
        self.candles = history

    def merge_history(self, history: list[Candle]) -> None:
        """Put generated history in front of the live candles; a live candle in the same
        bucket as the partial last history candle continues it."""
        if not history:
            return
        merged = list(history)
        first_live = True
        for candle in self.candles:
            last = merged[-1]
            if candle.time <= last.time:
                if candle.time == last.time:
                    last.high = max(last.high, candle.high)
                    last.low = min(last.low, candle.low)
                    last.close = candle.close
                    last.volume += candle.volume
                    last.quote_volume += candle.quote_volume
                    last.count += candle.count
                first_live = False
                continue
            if first_live:
                # Flat candles over any quiet gap, and the first live candle opens where
                # history closed.
                t = last.time + self.interval_s
                while t < candle.time:
                    merged.append(Candle(t, last.close, last.close, last.close, last.close))
                    t += self.interval_s
                candle.open = merged[-1].close
                candle.high = max(candle.high, candle.open)
                candle.low = min(candle.low, candle.open)
                first_live = False
            merged.append(candle)
        self.candles = merged

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
        bucket = int(ts // self.interval_s) * self.interval_s
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
