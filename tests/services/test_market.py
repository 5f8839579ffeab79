"""Markets rows: sorting, filtering, watchlist pinning, formatting; connection summary."""

from __future__ import annotations

from decimal import Decimal

from alp_tui.api.models import PairInfo, Ticker
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.services.format import format_compact, format_decimal, format_signed_percent
from alp_tui.services.market import MarketService, MarketSnapshot, SortKey, build_rows


def _ticker(pair: str, last: str, diff: str = "0", vol: str = "1", ts: int = 1) -> Ticker:
    last_d = Decimal(last)
    return Ticker(pair=pair, last=last_d, vol=Decimal(vol), high=last_d, low=last_d,
                  diff=Decimal(diff), timestamp=Decimal(ts))


def _info(pair: str, places: int) -> PairInfo:
    base, quote = pair.split("_")
    return PairInfo(name=pair, currency1=base, currency2=quote, amount_precision=4,
                    price_precision=places, maximum_order_size=Decimal(1),
                    minimum_order_size=Decimal(1), minimum_order_value=Decimal(1))


TICKERS = {
    "BTC_USDT": _ticker("BTC_USDT", "45000", "450", "10"),
    "ETH_USDT": _ticker("ETH_USDT", "3000", "-30", "200"),
    "XRP_USDT": _ticker("XRP_USDT", "0.5", "0.01", "900000"),
    "NEW_USDT": _ticker("NEW_USDT", "0", "0", "0", ts=0),
}
PAIRS = {"BTC_USDT": _info("BTC_USDT", 2), "ETH_USDT": _info("ETH_USDT", 2),
         "XRP_USDT": _info("XRP_USDT", 4), "NEW_USDT": _info("NEW_USDT", 3)}


def test_watchlist_pinned_then_sorted():
    rows = build_rows(TICKERS, TICKERS, PAIRS, ["XRP_USDT"], sort=SortKey.LAST, reverse=True)
    assert [r.pair for r in rows] == ["XRP_USDT", "BTC_USDT", "ETH_USDT", "NEW_USDT"]
    assert rows[0].watched and not rows[1].watched


def test_sort_by_change_and_no_trades_last():
    rows = build_rows(TICKERS, TICKERS, PAIRS, [], sort=SortKey.CHANGE, reverse=False)
    assert [r.pair for r in rows] == ["ETH_USDT", "BTC_USDT", "XRP_USDT", "NEW_USDT"]
    rows = build_rows(TICKERS, TICKERS, PAIRS, [], sort=SortKey.CHANGE, reverse=True)
    assert rows[-1].pair == "NEW_USDT"
    assert rows[-1].cells[1] == "no trades"


def test_filter_is_case_and_separator_insensitive():
    rows = build_rows(TICKERS, TICKERS, PAIRS, [], query="eth/us")
    assert [r.pair for r in rows] == ["ETH_USDT"]
    assert build_rows(TICKERS, TICKERS, PAIRS, [], query="zzz") == []


def test_cells_use_the_pairs_precision():
    rows = {r.pair: r for r in build_rows(TICKERS, TICKERS, PAIRS, [])}
    assert rows["BTC_USDT"].cells[1] == "45,000.00"
    assert rows["XRP_USDT"].cells[1] == "0.5000"
    assert rows["BTC_USDT"].cells[2] == "+1.01%"
    assert rows["XRP_USDT"].cells[5] == "900.00K"


def test_formatting_never_goes_through_float():
    assert format_decimal(Decimal("12345678.123456789012"), 12) == "12,345,678.123456789012"
    assert format_signed_percent(Decimal("-0.005")) == "0.00%"
    assert format_compact(Decimal("70602102.28496243")) == "70.60M"
    assert format_decimal(None, 2) == "—"


def test_service_apply_and_watch_toggle():
    service = MarketService("btc/usdt", ["ETH_USDT"])
    assert service.apply(MarketSnapshot(list(TICKERS.values()), list(PAIRS.values())))
    assert not service.apply(MarketSnapshot(list(TICKERS.values())))  # pairs kept
    assert service.info().price_precision == 2
    assert service.ticker().last == Decimal(45000)
    assert service.toggle_watch("xrp_usdt") is True
    assert service.watchlist == ["ETH_USDT", "XRP_USDT"]
    assert service.toggle_watch("ETH_USDT") is False


def test_connection_summary():
    from alp_tui.ui.panes.header import connection_summary

    fresh = FeedState(Freshness.FRESH, updated_at=99.0, interval_s=2)
    offline = FeedState(Freshness.OFFLINE, updated_at=None, error="refused")
    assert connection_summary({"a": fresh}, 100.0) == ("live", 1.0)
    assert connection_summary({"a": offline}, 100.0)[0] == "offline"
    assert connection_summary({"a": FeedState()}, 100.0) == ("connecting", None)
    assert connection_summary({"a": fresh.failed(Freshness.PAUSED, "429")}, 100.0)[0] == "paused"
    # one topic waiting out its own 429 is named; the rest stay live
    both = {"orders": fresh.failed(Freshness.PAUSED, "429"), "book": fresh}
    assert connection_summary(both, 100.0)[0] == "live · paused: orders"
    assert connection_summary(both, 100.0, "STREAM")[0] == "STREAM · paused: orders"
    # with when each pause ends: the seconds left, rounded up
    both["trades"] = fresh.failed(Freshness.PAUSED, "429", resume_at=101.2)
    both["orders"] = fresh.failed(Freshness.PAUSED, "429", resume_at=102.0)
    assert connection_summary(both, 100.0)[0] == "live · paused: orders 2s, trades 2s"
