"""Chart history: full at start, continuous, and the same story at every interval."""

from __future__ import annotations

import itertools
from decimal import Decimal

from alp_tui.api.enums import ChartInterval
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock


def test_intervals_aggregate_each_other(clock: FakeClock) -> None:
    ex = Exchange(seed=4, clock=clock)
    for _ in range(150):
        ex.step(clock.advance(1))
    minutes = {c["time"]: c for c in ex.charts("SOL_USDT", ChartInterval.ONE_MIN)}
    checked = 0
    for coarse in (ChartInterval.FIVE_MIN, ChartInterval.FIFTEEN_MINS):
        for candle in ex.charts("SOL_USDT", coarse):
            kids = [minutes.get(t) for t in range(candle["time"],
                                                   candle["time"] + coarse.seconds, 60)]
            if any(k is None for k in kids) or candle["time"] + coarse.seconds > clock.now:
                continue
            checked += 1
            assert candle["open"] == kids[0]["open"]
            assert candle["close"] == kids[-1]["close"]
            assert candle["high"] == max(k["high"] for k in kids)
            assert candle["low"] == min(k["low"] for k in kids)
            assert candle["volume"] == sum((k["volume"] for k in kids), Decimal(0))
    assert checked > 50


def test_history_joins_the_live_market(clock: FakeClock) -> None:
    ex = Exchange(seed=4, clock=clock, market_life=False)
    for interval in ChartInterval:
        candles = ex.charts("ETH_USDT", interval)
        assert len(candles) >= 300
        assert candles[-1]["close"] == ex.last_price("ETH_USDT")
        for prev, cur in itertools.pairwise(candles):
            assert cur["open"] == prev["close"]
            assert cur["low"] <= min(cur["open"], cur["close"])
            assert cur["high"] >= max(cur["open"], cur["close"])
    ticker = ex.ticker("ETH_USDT")
    day = ex.charts("ETH_USDT", ChartInterval.FIVE_MIN)
    window = [c for c in day if c["time"] + 300 > clock.now - 86400]
    assert ticker["high"] == max(c["high"] for c in window)
    assert ticker["low"] == min(c["low"] for c in window)
    assert ticker["open"] == window[0]["open"]


def test_charts_filters(ex: Exchange, clock: FakeClock) -> None:
    hours = ex.charts("BTC_USDT", ChartInterval.HOUR)
    since = hours[-10]["time"]
    assert [c["time"] for c in ex.charts("BTC_USDT", ChartInterval.HOUR, since=since)] == [
        c["time"] for c in hours[-10:]]
    until = hours[-5]["time"]
    assert ex.charts("BTC_USDT", ChartInterval.HOUR, until=until)[-1]["time"] == until
    assert len(ex.charts("BTC_USDT", ChartInterval.HOUR, limit=3)) == 3
