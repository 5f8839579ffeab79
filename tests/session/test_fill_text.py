"""A fill as the trader reads it (toast, alert log, alert command): the average price at the
pair's precision with separators, never Decimal division's 28 digits."""

from __future__ import annotations

from decimal import Decimal

from alp_tui.session.events import FillEvent

D = Decimal


def test_average_of_two_prices_reads_at_the_pair_precision() -> None:
    avg = (D("0.003") * D("90000") + D("0.004") * D("90001")) / D("0.007")
    fill = FillEvent(5, "BTC_USDT", "BID", D("0.007"), avg, partial=False, price_places=2)
    assert fill.text == "Filled BUY 0.007 BTC of BTC_USDT @ 90,000.57 avg"


def test_without_the_pair_precision_four_significant_digits_at_least() -> None:
    fill = FillEvent(5, "DOGE_USDT", "ASK", D("12500"), D("0.157861234567"), partial=True)
    assert fill.text == "Filled SELL 12,500 DOGE of DOGE_USDT @ 0.15786 avg (partial)"
    big = FillEvent(6, "BTC_USDT", "BID", D("0.01"), D("90658.7"), partial=False)
    assert "@ 90,658.70 avg" in big.text
