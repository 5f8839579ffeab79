"""The bare order book: priority, partial fills, all-or-none makers, views."""

from __future__ import annotations

from decimal import Decimal

from alp_tui.api.enums import OrderType, TimeInForce
from alp_tui.sim.engine import Order, OrderBook

D = Decimal


def order(oid: int, is_bid: bool, amount: str, price: str,
          tif: TimeInForce = TimeInForce.GTC) -> Order:
    """A resting limit order."""
    return Order(id=oid, account_id=1, pair="BTC_USDT", is_bid=is_bid, type=OrderType.LIMIT,
                 amount=D(amount), price=D(price), created_at=0.0, tif=tif)


def test_best_prices_and_levels() -> None:
    book = OrderBook("BTC_USDT", D("0.001"))
    for o in (order(1, True, "1", "99"), order(2, True, "2", "100"), order(3, True, "1", "100"),
              order(4, False, "1", "101"), order(5, False, "3", "103")):
        book.add(o)
    assert book.best_bid() == 100 and book.best_ask() == 101
    assert book.levels(True, 10) == [(D(100), D(3)), (D(99), D(1))]
    assert book.levels(True, 10, group=False) == [(D(100), D(2)), (D(100), D(1)),
                                                  (D(99), D(1))]
    assert book.levels(False, 1) == [(D(101), D(1))]
    assert not book.is_crossed()


def test_match_walks_price_then_time() -> None:
    book = OrderBook("BTC_USDT", D("0.001"))
    first, second, far = order(1, False, "1", "100"), order(2, False, "1", "100"), \
        order(3, False, "1", "102")
    for o in (first, second, far):
        book.add(o)
    fills = book.match(True, D("101"), base=D("1.5"))
    assert [(f.maker.id, f.amount, f.price) for f in fills] == [(1, D(1), D(100)),
                                                                (2, D("0.5"), D(100))]
    assert 1 not in book and 2 in book and second.remaining == D("0.5")
    # By quote: 0.5 @ 100 costs 50, leaving 52 for 0.509 @ 102 (rounded down to the step).
    fills = book.match(True, None, quote=D("102"))
    assert [(f.maker.id, f.amount) for f in fills] == [(2, D("0.5")), (3, D("0.509"))]
    assert book.best_ask() == 102


def test_all_or_none_maker_is_taken_whole_or_skipped() -> None:
    book = OrderBook("BTC_USDT", D("0.001"))
    aon = order(1, False, "2", "100", TimeInForce.AON)
    plain = order(2, False, "1", "101")
    book.add(aon)
    book.add(plain)
    assert book.fillable(True, None, base=D("1")) == (D(1), D(101))
    fills = book.match(True, None, base=D("1"))
    assert [f.maker.id for f in fills] == [2]
    fills = book.match(True, None, base=D("2"))
    assert [(f.maker.id, f.amount) for f in fills] == [(1, D(2))]
    assert not book.orders


def test_remove_is_idempotent() -> None:
    book = OrderBook("BTC_USDT", D("0.001"))
    o = order(1, True, "1", "100")
    book.add(o)
    assert book.remove(o) and not book.remove(o)
    assert book.levels(True, 5) == [] and book.best_bid() is None
