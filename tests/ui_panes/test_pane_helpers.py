"""The textual-free helpers of the market panes: formatting, book model, chart builder."""

from __future__ import annotations

from decimal import Decimal

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import BookLevel, OrderBook
from alp_tui.services.format import format_compact, format_decimal, format_mid, format_percent
from alp_tui.ui.book_model import changed_levels, snapshot

D = Decimal


def test_format_decimal() -> None:
    assert format_decimal(D("45123.456"), 2) == "45,123.46"
    assert format_decimal(D("0.125"), 2) == "0.12"  # half-even
    assert format_decimal(D("1234.5"), 0, thousands=False) == "1234"
    assert format_decimal(D("-0.001"), 2) == "0.00"
    assert format_decimal(D("12345678.123456789012"), 12) == "12,345,678.123456789012"
    assert format_decimal(None, 2) == "—"
    assert format_decimal(D("NaN"), 2) == "—"


def test_format_mid_percent_compact() -> None:
    assert format_mid(D("100.005"), 2) == "100.005"
    assert format_mid(D("100.01"), 2) == "100.01"
    assert format_percent(D("0.0011"), 3) == "0.001%"
    assert format_compact(D("70602102.28496243")) == "70.60M"
    assert format_compact(D("953.7504"), 2) == "953.75"


def test_snapshot_sorts_and_accumulates() -> None:
    book = OrderBook(
        buy=[BookLevel(price=D(99), amount=D(2)), BookLevel(price=D("99.5"), amount=D(1))],
        sell=[BookLevel(price=D(101), amount=D(3)), BookLevel(price=D(100), amount=D("0.5"))],
    )
    snap = snapshot(book)
    assert [(lv.price, lv.total) for lv in snap.asks] == [(D(100), D("0.5")), (D(101), D("3.5"))]
    assert [(lv.price, lv.total) for lv in snap.bids] == [(D("99.5"), D(1)), (D(99), D(3))]
    assert snap.spread == D("0.5")
    assert snap.mid == D("99.75")


def test_changed_levels() -> None:
    before = snapshot(OrderBook(buy=[BookLevel(price=D(1), amount=D(1))])).amounts()
    after = snapshot(
        OrderBook(
            buy=[BookLevel(price=D(1), amount=D(1))], sell=[BookLevel(price=D(2), amount=D(1))]
        )
    )
    assert changed_levels(before, after) == {(OrderSide.ASK, D(2))}
