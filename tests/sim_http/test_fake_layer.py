"""The HTTP layer on its own, over a stand-in exchange: routing, wire conversion, errors."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from alp_tui.api.enums import OrderSide, OrderType, WalletType

from .fake_exchange import FakeExchange
from .helpers import Raw, body


@pytest.fixture
def raw(make_sim_server) -> Iterator[Raw]:
    server = make_sim_server(exchange_factory=FakeExchange)
    r = Raw(server)
    yield r
    r.close()


def test_ticker_keeps_exact_digits(raw: Raw) -> None:
    r = raw.get("/ticker", {"pair": "BTC_USDT"}, auth=False)
    assert r.status_code == 200
    assert b"45000.12345678901234" in r.content
    assert body(r)["vol"] == Decimal("70602102.28496243")


def test_orderbook_both_paths_and_missing_pair(raw: Raw) -> None:
    for path in ("/orderbook", "/order_book"):
        r = raw.get(path, {"pair": "btc/usdt", "limit_buy": "50"}, auth=False)
        assert r.status_code == 200, r.text
        assert b"0.00000010" in r.content
    args, kwargs = raw.server.exchange.last_call("orderbook")
    assert args == ("BTC_USDT",) and kwargs["limit_buy"] == 20
    r = raw.get("/orderbook", auth=False)
    assert r.status_code == 400
    assert body(r) == {"code": "BAD_REQUEST", "message": "pair not found"}


def test_unknown_path_404_and_wrong_method_405(raw: Raw) -> None:
    r = raw.get("/nope", auth=False)
    assert r.status_code == 404 and body(r)["code"] == "NOT_FOUND"
    r = raw.client.post("/ticker")
    assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_place_order_typed(raw: Raw) -> None:
    r = raw.post("/trading/order", {"pair": "BTC_USDT", "order_type": "LIMIT",
                                    "order_side": "BUY", "base_amount": "0.01",
                                    "limit_price": 45000.5})
    assert r.status_code == 200, r.text
    assert body(r) == [1]
    (_account_id, order), _ = raw.server.exchange.last_call("place_order")
    assert order["order_side"] is OrderSide.BID
    assert order["order_type"] is OrderType.LIMIT
    assert order["wallet_type"] is WalletType.SPOT
    assert order["limit_price"] == Decimal("45000.5")
    assert isinstance(order["limit_price"], Decimal)


def test_bad_fields_form_errors(raw: Raw) -> None:
    r = raw.post("/trading/order", {"pair": "BTC_USDT", "order_type": "LIMIT",
                                    "order_side": "UP", "base_amount": "NaN",
                                    "limit_price": -1})
    assert r.status_code == 400
    errors = body(r)["formErrors"]
    assert set(errors) == {"order_side", "base_amount", "limit_price"}


def test_head_on_get_route(raw: Raw) -> None:
    r = raw.client.head("/time")
    assert r.status_code == 200 and r.content == b""


def test_content_type_is_not_required(raw: Raw) -> None:
    order = {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "SELL",
             "base_amount": "0.5"}
    r = raw.post("/trading/order", order, headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    r = raw.post("/trading/order", b"pair=BTC_USDT",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and body(r)["code"] == "BAD_REQUEST"


def test_history_window_passed_typed(raw: Raw) -> None:
    r = raw.get("/accounts/order", {"start_time": "2026-11-01T00:00:00+02:00"})
    assert r.status_code == 200
    _, kwargs = raw.server.exchange.last_call("orders")
    assert kwargs["start"].utcoffset().total_seconds() == 0
    assert (kwargs["end"] - kwargs["start"]).days == 30


def test_repay_reads_borrow_field_when_amount_absent(raw: Raw) -> None:
    r = raw.post("/margin/repay", {"borrow": "2.5", "currency": "USDT",
                                   "wallet_type": "CROSS_MARGIN"})
    assert r.status_code == 200, r.text
    args, _kwargs = raw.server.exchange.last_call("repay")
    assert str(args[1]) == "2.5"
