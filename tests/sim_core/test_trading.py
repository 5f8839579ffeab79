"""Order placement, matching, reserves, fees, time in force and stops."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock, fund

D = Decimal


def limit(ex: Exchange, account: int, side: str, amount: str, price: str,
          pair: str = "BTC_USDT", **extra: object) -> int:
    """Place a LIMIT order and return its id."""
    return ex.place_order(account, {"pair": pair, "order_type": "LIMIT", "order_side": side,
                                    "base_amount": D(amount), "limit_price": D(price),
                                    **extra})[0]


def order(ex: Exchange, account: int, oid: int) -> dict:
    """The order as the account's order list shows it."""
    return next(o for o in ex.orders(account) if o["id"] == oid)


def wallet(ex: Exchange, account: int, currency: str, wallet_type: str = "SPOT") -> dict:
    """One balance row (zeros when the wallet does not exist)."""
    for row in ex.balances(account):
        if row["currency"] == currency and row["wallet_type"] == wallet_type:
            return row
    return {"balance": D(0), "reserve": D(0)}


def test_limit_rests_and_holds(quiet: Exchange) -> None:
    a = fund(quiet, USDT="10000")
    oid = limit(quiet, a, "BID", "0.1", "50000")
    assert order(quiet, a, oid)["status"] == "OPEN"
    assert wallet(quiet, a, "USDT")["reserve"] == D("5000")
    assert quiet.orderbook("BTC_USDT")["buy"] == [{"price": D("50000"), "amount": D("0.1")}]
    assert quiet.cancel_orders(a, order_ids=[oid]) == {str(oid): "CANCELLED"}
    assert wallet(quiet, a, "USDT")["reserve"] == 0
    assert quiet.orderbook("BTC_USDT") == {"buy": [], "sell": []}


def test_match_price_improvement_and_fees(quiet: Exchange) -> None:
    seller = fund(quiet, BTC="1")
    buyer = fund(quiet, USDT="10000")
    sell = limit(quiet, seller, "ASK", "0.1", "50000")
    buy = limit(quiet, buyer, "BID", "0.1", "51000")
    assert order(quiet, seller, sell)["status"] == "FILLED"
    assert order(quiet, buyer, buy)["status"] == "FILLED"
    # The buyer paid the maker's price, held nothing after, and paid the taker fee in BTC.
    assert wallet(quiet, buyer, "USDT") == {**wallet(quiet, buyer, "USDT"),
                                            "balance": D("5000"), "reserve": 0}
    assert wallet(quiet, buyer, "BTC")["balance"] == D("0.1") - D("0.1") * D("0.002")
    assert wallet(quiet, seller, "USDT")["balance"] == D("5000") - D("5000") * D("0.001")
    trades = quiet.account_trades(buyer)
    assert len(trades) == 1 and trades[0]["is_maker"] is False
    assert quiet.account_trades(seller)[0]["is_maker"] is True
    public = quiet.trades("BTC_USDT")
    assert public[0]["price"] == D("50000") and public[0]["type"] == "buy"


def test_price_time_priority(quiet: Exchange) -> None:
    makers = [fund(quiet, BTC="1") for _ in range(3)]
    first = limit(quiet, makers[0], "ASK", "0.1", "50000")
    second = limit(quiet, makers[1], "ASK", "0.1", "50000")
    better = limit(quiet, makers[2], "ASK", "0.1", "49900")
    taker = fund(quiet, USDT="100000")
    limit(quiet, taker, "BID", "0.15", "50000")
    assert order(quiet, makers[2], better)["status"] == "FILLED"
    assert order(quiet, makers[0], first)["amount_filled"] == D("0.05")
    assert order(quiet, makers[1], second)["amount_filled"] == 0


def test_market_by_base_and_quote(quiet: Exchange) -> None:
    maker = fund(quiet, BTC="1", USDT="100000")
    limit(quiet, maker, "ASK", "0.1", "50000")
    limit(quiet, maker, "ASK", "0.1", "51000")
    limit(quiet, maker, "BID", "0.1", "49000")
    taker = fund(quiet, USDT="100000", BTC="1")
    oid = quiet.place_order(taker, {"pair": "BTC_USDT", "order_type": "MARKET",
                                    "order_side": "BID", "base_amount": D("0.15")})[0]
    o = order(quiet, taker, oid)
    assert o["status"] == "FILLED" and o["value_filled"] == D("7550")
    oid = quiet.place_order(taker, {"pair": "BTC_USDT", "order_type": "MARKET",
                                    "order_side": "BID", "quote_amount": D("1020")})[0]
    o = order(quiet, taker, oid)
    assert o["amount_filled"] == D("0.02") and o["value_filled"] == D("1020")
    assert wallet(quiet, taker, "USDT")["reserve"] == 0
    # Selling more than the book holds: partial fill, rest cancelled.
    oid = quiet.place_order(taker, {"pair": "BTC_USDT", "order_type": "MARKET",
                                    "order_side": "ASK", "base_amount": D("0.5")})[0]
    o = order(quiet, taker, oid)
    assert o["status"] == "PARTIAL_CANCELLED" and o["amount_filled"] == D("0.1")
    assert wallet(quiet, taker, "BTC")["reserve"] == 0


def test_market_on_empty_book_cancels(quiet: Exchange) -> None:
    taker = fund(quiet, BTC="1")
    oid = quiet.place_order(taker, {"pair": "BTC_USDT", "order_type": "MARKET",
                                    "order_side": "ASK", "base_amount": D("0.1")})[0]
    assert order(quiet, taker, oid)["status"] == "CANCELLED"


@pytest.mark.parametrize(("fields", "field"), [
    ({"base_amount": D("0.0000001")}, "base_amount"),   # precision
    ({"base_amount": D("0.000001")}, "base_amount"),    # below minimum size
    ({"base_amount": D("1000")}, "base_amount"),        # above maximum size
    ({"limit_price": D("50000.001")}, "limit_price"),   # price precision
    ({"base_amount": D("0.00005"), "limit_price": D("1")}, "base_amount"),  # min value
    ({"base_amount": D("5")}, "base_amount"),           # balance
    ({"limit_price": None}, "limit_price"),
    ({"order_side": "UP"}, "order_side"),
    ({"wallet_type": "FUNDING"}, "wallet_type"),
    ({"order_type": "STOP_LIMIT"}, "stop_price"),
])
def test_validation(quiet: Exchange, fields: dict, field: str) -> None:
    a = fund(quiet, USDT="10000")
    req = {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
           "base_amount": D("0.01"), "limit_price": D("50000"), **fields}
    with pytest.raises(SimError) as info:
        quiet.place_order(a, req)
    assert info.value.status == 400
    assert info.value.form_errors is not None and field in info.value.form_errors
    assert quiet.orders(a) == []
    assert wallet(quiet, a, "USDT")["reserve"] == 0


def test_unknown_pair(quiet: Exchange) -> None:
    a = fund(quiet, USDT="10000")
    with pytest.raises(SimError) as info:
        quiet.place_order(a, {"pair": "NOPE_USDT", "order_type": "LIMIT",
                              "order_side": "BID", "base_amount": D("1"),
                              "limit_price": D("1")})
    assert info.value.body() == {"code": "BAD_REQUEST", "message": "pair not found"}
    with pytest.raises(SimError):
        quiet.orderbook("NOPE_USDT")


def test_client_order_id_unique_among_open(quiet: Exchange) -> None:
    a = fund(quiet, USDT="10000")
    oid = limit(quiet, a, "BID", "0.01", "50000", client_order_id="c1")
    with pytest.raises(SimError) as info:
        limit(quiet, a, "BID", "0.01", "50000", client_order_id="c1")
    assert "client_order_id" in info.value.form_errors
    other = fund(quiet, USDT="10000")
    limit(quiet, other, "BID", "0.01", "50000", client_order_id="c1")  # another account
    quiet.cancel_orders(a, order_ids=[oid])
    again = limit(quiet, a, "BID", "0.01", "50000", client_order_id="c1")
    assert order(quiet, a, again)["client_order_id"] == "c1"


def test_ioc_fok_aon(quiet: Exchange) -> None:
    maker = fund(quiet, BTC="1")
    limit(quiet, maker, "ASK", "0.1", "50000")
    taker = fund(quiet, USDT="100000")
    fok = limit(quiet, taker, "BID", "0.2", "50000", tif="FOK")
    assert order(quiet, taker, fok)["status"] == "CANCELLED"
    assert order(quiet, taker, fok)["amount_filled"] == 0
    aon = limit(quiet, taker, "BID", "0.2", "50000", tif="AON")
    assert order(quiet, taker, aon)["status"] == "OPEN"  # rests whole
    ioc = limit(quiet, taker, "BID", "0.05", "50000", tif="IOC")
    assert order(quiet, taker, ioc)["status"] == "FILLED"
    ioc2 = limit(quiet, taker, "BID", "0.1", "50000", tif="IOC")
    o = order(quiet, taker, ioc2)
    assert o["status"] == "PARTIAL_CANCELLED" and o["amount_filled"] == D("0.05")
    # A seller too small for the resting AON bid does not trade with it...
    seller = fund(quiet, BTC="1")
    small = limit(quiet, seller, "ASK", "0.1", "50000")
    assert order(quiet, seller, small)["status"] == "OPEN"
    assert order(quiet, taker, aon)["amount_filled"] == 0
    # ...one that takes it whole does.
    big = limit(quiet, seller, "ASK", "0.2", "49000")
    assert order(quiet, taker, aon)["status"] == "FILLED"
    assert order(quiet, seller, big)["status"] == "FILLED"
    fok_ok = limit(quiet, taker, "BID", "0.1", "50000", tif="FOK")
    assert order(quiet, taker, fok_ok)["status"] == "FILLED"


def test_stop_orders_trigger(quiet: Exchange) -> None:
    a = fund(quiet, BTC="1", USDT="100000")
    b = fund(quiet, BTC="1", USDT="100000")
    limit(quiet, a, "BID", "0.1", "50000")
    limit(quiet, a, "ASK", "0.1", "50100")
    limit(quiet, b, "ASK", "0.01", "50000")  # last = 50000
    stop = quiet.place_order(b, {"pair": "BTC_USDT", "order_type": "STOP_MARKET",
                                 "order_side": "BID", "base_amount": D("0.05"),
                                 "stop_price": D("50050"), "stop_operator": "GTE"})[0]
    assert order(quiet, b, stop)["status"] == "PENDING"
    assert wallet(quiet, b, "USDT")["reserve"] == D("0.05") * D("50050") * D("1.05")
    stop_limit = quiet.place_order(b, {"pair": "BTC_USDT", "order_type": "STOP_LIMIT",
                                       "order_side": "ASK", "base_amount": D("0.02"),
                                       "limit_price": D("49000"), "stop_price": D("49999"),
                                       "stop_operator": "LTE"})[0]
    assert order(quiet, b, stop_limit)["status"] == "PENDING"
    limit(quiet, b, "BID", "0.01", "50100")  # trades at 50100 >= 50050
    o = order(quiet, b, stop)
    assert o["status"] == "FILLED" and o["amount_filled"] == D("0.05")
    assert order(quiet, b, stop_limit)["status"] == "PENDING"
    limit(quiet, b, "ASK", "0.01", "49990")  # hits a's bid at 50000: not <= 49999
    assert order(quiet, b, stop_limit)["status"] == "PENDING"
    quiet.cancel_orders(a, all=True)
    limit(quiet, a, "BID", "0.05", "49999")
    limit(quiet, b, "ASK", "0.01", "49999")  # last 49999 triggers the stop-limit
    assert order(quiet, b, stop_limit)["status"] in ("FILLED", "PARTIAL_FILLED")
    # No hold is left behind by the filled stop-market.
    open_bids = [o for o in quiet.orders(b, open_only=True) if o["side"] == "BID"]
    assert open_bids == [] and wallet(quiet, b, "USDT")["reserve"] == 0


def test_expire_after(quiet: Exchange, clock: FakeClock) -> None:
    a = fund(quiet, USDT="10000")
    expiry = datetime.fromtimestamp(clock.now + 60, tz=UTC)
    oid = limit(quiet, a, "BID", "0.01", "50000", expire_after=expiry)
    quiet.step(clock.advance(30))
    assert order(quiet, a, oid)["status"] == "OPEN"
    quiet.step(clock.advance(31))
    assert order(quiet, a, oid)["status"] == "EXPIRED"
    assert wallet(quiet, a, "USDT")["reserve"] == 0


def test_cancel_all_and_pair(quiet: Exchange) -> None:
    a = fund(quiet, USDT="100000")
    b1 = limit(quiet, a, "BID", "0.01", "50000")
    e1 = limit(quiet, a, "BID", "0.1", "2000", pair="ETH_USDT")
    assert quiet.cancel_orders(a, pair="ETH_USDT") == {str(e1): "CANCELLED"}
    assert quiet.cancel_orders(a, all=True) == {str(b1): "CANCELLED"}
    assert quiet.cancel_orders(a, order_ids=[b1]) == {str(b1): "CANCELLED"}
    with pytest.raises(SimError):
        quiet.cancel_orders(a)


def test_group_orderbook(quiet: Exchange) -> None:
    a = fund(quiet, USDT="100000")
    limit(quiet, a, "BID", "0.01", "50000")
    limit(quiet, a, "BID", "0.02", "50000")
    limit(quiet, a, "BID", "0.03", "49000")
    assert quiet.orderbook("BTC_USDT", group=True)["buy"] == [
        {"price": D("50000"), "amount": D("0.03")}, {"price": D("49000"), "amount": D("0.03")}]
    assert len(quiet.orderbook("BTC_USDT")["buy"]) == 3
    assert len(quiet.orderbook("BTC_USDT", limit_buy=1)["buy"]) == 1


def test_listener_events(quiet: Exchange) -> None:
    events: list[dict] = []
    quiet.add_listener(events.append)
    seller = fund(quiet, BTC="1")
    buyer = fund(quiet, USDT="10000")
    limit(quiet, seller, "ASK", "0.1", "50000")
    events.clear()
    limit(quiet, buyer, "BID", "0.1", "50000")
    kinds = [e["type"] for e in events]
    assert {"trade", "book", "ticker", "order", "wallet", "account_trade"} <= set(kinds)
    trade = next(e for e in events if e["type"] == "trade")
    assert trade["pair"] == "BTC_USDT" and trade["side"] == "buy"
    orders = [e for e in events if e["type"] == "order"]
    assert {e["account_id"] for e in orders} == {seller, buyer}
    assert all(e["order"]["status"] == "FILLED" for e in orders)


def test_activity_records_every_change(quiet: Exchange) -> None:
    a = fund(quiet, USDT="10000")
    oid = limit(quiet, a, "BID", "0.01", "50000")
    quiet.cancel_orders(a, order_ids=[oid])
    rows = quiet.activity(a, currency="USDT")
    assert [r["type"] for r in rows] == ["ORDER_RELEASE", "ORDER_HOLD", "DEPOSIT"]
    for r in rows:
        assert r["balance"] + r["balance_delta"] == r["balance_end"]
        assert r["reserve"] + r["reserve_delta"] == r["reserve_end"]


def test_bad_listener_does_not_break_trading(quiet: Exchange) -> None:
    def broken(event: dict) -> None:
        raise RuntimeError("listener bug")

    seen: list[dict] = []
    quiet.add_listener(broken)
    quiet.add_listener(seen.append)
    a = fund(quiet, USDT="10000")
    assert limit(quiet, a, "BID", "0.01", "50000") > 0
    assert any(e["type"] == "order" for e in seen)


def test_cancel_rejects_garbage_ids(quiet: Exchange) -> None:
    a = fund(quiet, USDT="10000")
    with pytest.raises(SimError) as info:
        quiet.cancel_orders(a, order_ids=["abc"])  # type: ignore[list-item]
    assert "order_ids" in info.value.form_errors


def test_crossed_all_or_none_hidden_from_book(quiet: Exchange) -> None:
    buyer = fund(quiet, USDT="100000")
    seller = fund(quiet, BTC="1")
    limit(quiet, buyer, "BID", "0.5", "50000", tif="AON")
    limit(quiet, seller, "ASK", "0.1", "49900")  # too small for the AON bid: rests below
    book = quiet.orderbook("BTC_USDT")
    assert book == {"buy": [], "sell": [{"price": D("49900"), "amount": D("0.1")}]}
    limit(quiet, seller, "ASK", "0.1", "50100")
    limit(quiet, buyer, "BID", "0.1", "49000")
    book = quiet.orderbook("BTC_USDT")
    assert book["buy"] == [{"price": D("49000"), "amount": D("0.1")}]


def test_two_crossed_all_or_none_orders_stay_hidden(quiet: Exchange) -> None:
    buyer = fund(quiet, USDT="100000")
    seller = fund(quiet, BTC="1")
    limit(quiet, buyer, "BID", "0.5", "50000", tif="AON")
    limit(quiet, seller, "ASK", "0.3", "49900", tif="AON")
    assert quiet.orderbook("BTC_USDT") == {"buy": [], "sell": []}
