"""Wire tests: for every endpoint the exact method, path, query, body bytes, headers and
X-SIGN the client sends."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from alp_api_helpers import SECRET, FakeExchange, rel_path

from alp_tui.api import BadResponseError, RequestError
from alp_tui.api.auth import sign
from alp_tui.api.enums import ChartInterval, OrderSide, TimeInForce, WalletType
from alp_tui.api.transport import encode_json

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def expected_sign(body: bytes) -> str:
    """X-SIGN computed independently of the client's code."""
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_sign_known_vector() -> None:
    # RFC 4231-style public test vector for HMAC-SHA256.
    assert sign("key", b"The quick brown fox jumps over the lazy dog") == (
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_sign_of_a_known_body_and_secret() -> None:
    body = b'{"order_ids":[1,5,8]}'
    assert sign("my-secret", body) == hmac.new(b"my-secret", body, hashlib.sha256).hexdigest()
    assert sign("my-secret", body) == sign(b"my-secret", body)
    assert sign("my-secret", body).islower()


def test_encode_json_keeps_exact_decimal_digits() -> None:
    body = {"a": D("45000.10"), "b": D("0.00000001"), "c": D("1E+3"), "d": D("-0"),
            "e": D("12345678.123456789012"), "f": None, "g": True, "h": [1, "x"],
            "i": OrderSide.BID, "j": "naïve \"q\""}
    assert encode_json(body) == (
        '{"a":45000.10,"b":0.00000001,"c":1000,"d":0,"e":12345678.123456789012,"f":null,'
        '"g":true,"h":[1,"x"],"i":"BID","j":"naïve \\"q\\""}'
    ).encode()
    with pytest.raises(RequestError):
        encode_json({"x": 0.1})
    with pytest.raises(RequestError):
        encode_json({"x": D("NaN")})


# (call, method, path, query, body) — body None means no body.
PUBLIC: list[tuple[Any, str, str, dict[str, str], Any]] = [
    (lambda c: c.currencies(), "GET", "/currencies", {}, []),
    (lambda c: c.pairs("btc", "USDT"), "GET", "/pairs",
     {"currency1": "BTC", "currency2": "USDT"}, []),
    (lambda c: c.ticker(), "GET", "/ticker", {}, []),
    (lambda c: c.tickers(), "GET", "/ticker", {}, []),
    (lambda c: c.ticker("BTC/USDT"), "GET", "/ticker", {"pair": "BTC_USDT"},
     {"pair": "BTC_USDT", "last": 1, "vol": 1, "high": 1, "low": 1}),
    (lambda c: c.orderbook("btc_usdt", group=True, limit_buy=20, limit_sell=10), "GET",
     "/orderbook", {"pair": "BTC_USDT", "group": "1", "limit_buy": "20", "limit_sell": "10"},
     {"buy": [], "sell": []}),
    (lambda c: c.orderbook("BTC_USDT"), "GET", "/orderbook", {"pair": "BTC_USDT"},
     {"buy": [], "sell": []}),
    (lambda c: c.charts("BTC_USDT", ChartInterval.HOUR, since=1700000000,
                        until=datetime(2023, 11, 15, tzinfo=UTC), limit=100),
     "GET", "/charts", {"pair": "BTC_USDT", "interval": "60", "since": "1700000000",
                        "until": "1700006400", "limit": "100"}, []),
    (lambda c: c.charts("BTC_USDT", "FIVE_MIN"), "GET", "/charts",
     {"pair": "BTC_USDT", "interval": "5"}, []),
    (lambda c: c.charts("BTC_USDT", "1D"), "GET", "/charts",
     {"pair": "BTC_USDT", "interval": "1440"}, []),
    (lambda c: c.charts("BTC_USDT", "4h"), "GET", "/charts",
     {"pair": "BTC_USDT", "interval": "240"}, []),
    (lambda c: c.trades("BTC_USDT", limit=10, offset=5), "GET", "/trades",
     {"pair": "BTC_USDT", "limit": "10", "offset": "5"}, []),
    (lambda c: c.server_time(), "GET", "/time", {}, {"serverTime": 1}),
    (lambda c: c.currency_rates(), "GET", "/currency-rates", {}, {}),
]

PRIVATE_GET: list[tuple[Any, str, str, dict[str, str], Any]] = [
    (lambda c: c.accounts(include_subaccounts=True), "GET", "/accounts/accounts",
     {"include_subaccounts": "true"}, []),
    (lambda c: c.accounts(), "GET", "/accounts/accounts", {}, []),
    (lambda c: c.balances(), "GET", "/accounts/balances", {}, []),
    (lambda c: c.fees(), "GET", "/accounts/feeinfo", {}, []),
    (lambda c: c.orders(pair="eth/usdt", open_only=True, side="BUY",
                        start_time="2026-01-01T00:00:00Z",
                        end_time=datetime(2026, 1, 15, 3, tzinfo=timezone(timedelta(hours=3)))),
     "GET", "/accounts/order",
     {"pair": "ETH_USDT", "open_only": "true", "side": "BID",
      "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}, []),
    (lambda c: c.orders(side=OrderSide.ASK, open_only=False), "GET", "/accounts/order",
     {"side": "ASK", "open_only": "false"}, []),
    (lambda c: c.account_trades("ETH_USDT", side="SELL", start_time=T0), "GET",
     "/accounts/trades",
     {"pair": "ETH_USDT", "side": "ASK", "start_time": "2026-01-01T00:00:00Z"}, []),
    (lambda c: c.activity("usdt", end_time="2026-01-02T15:04:05+00:00"), "GET",
     "/accounts/activity", {"currency": "USDT", "end_time": "2026-01-02T15:04:05Z"}, []),
    (lambda c: c.deposit_methods("USDT"), "GET", "/deposit/methods", {"currency": "USDT"}, []),
    (lambda c: c.deposits(currency="BTC", start_time=T0, end_time=T0 + timedelta(days=30)),
     "GET", "/deposit", {"currency": "BTC", "start_time": "2026-01-01T00:00:00Z",
                         "end_time": "2026-01-31T00:00:00Z"}, []),
    (lambda c: c.withdraw_methods("usdt"), "GET", "/withdraw/methods",
     {"currency": "USDT"}, []),
    (lambda c: c.withdrawals(currency="BTC"), "GET", "/withdraw", {"currency": "BTC"}, []),
    (lambda c: c.loans(isolated_margin=True), "GET", "/margin", {"isolated_margin": "true"},
     []),
    (lambda c: c.loans(cross_margin=True), "GET", "/margin", {"cross_margin": "true"}, []),
    (lambda c: c.margin_transfers(pair="BTC_USDT", currency="BTC", open_only=True), "GET",
     "/margin/transfer", {"pair": "BTC_USDT", "currency": "BTC", "open_only": "true"}, []),
    (lambda c: c.borrows(currency="ETH"), "GET", "/margin/borrow", {"currency": "ETH"}, []),
    (lambda c: c.repays(pair="ETH_USDT"), "GET", "/margin/repay", {"pair": "ETH_USDT"}, []),
    (lambda c: c.interests(currency="USDT", start_time=T0), "GET", "/margin/interest",
     {"currency": "USDT", "start_time": "2026-01-01T00:00:00Z"}, []),
    (lambda c: c.liquidations(pair="ETH_USDT"), "GET", "/margin/liquidation",
     {"pair": "ETH_USDT"}, []),
]

# (call, method, path, exact body bytes, answer)
BODIES: list[tuple[Any, str, str, bytes, Any]] = [
    (lambda c: c.withdraw(D("50.10"), 123, {"address": "0xabcdef", "memo": "123456"},
                          client_order_id="withdraw-1"),
     "POST", "/withdraw",
     b'{"amount":50.10,"method":123,"attributes":{"address":"0xabcdef","memo":"123456"},'
     b'"client_order_id":"withdraw-1"}', 77),
    (lambda c: c.withdraw("0.5", 2, {}), "POST", "/withdraw",
     b'{"amount":0.5,"method":2,"attributes":{}}', [78]),
    (lambda c: c.place_order("BTC/USDT", "BUY", "LIMIT", base_amount=D("1.0"),
                             limit_price="45000.0", tif=TimeInForce.GTC, client_order_id="1"),
     "POST", "/trading/order",
     b'{"pair":"BTC_USDT","order_type":"LIMIT","order_side":"BID","wallet_type":"SPOT",'
     b'"client_order_id":"1","side_effect":"NO_SIDE_EFFECT","expire_after":null,'
     b'"valid_till":null,"base_amount":1.0,"limit_price":45000.0,"tif":"GTC"}', [34]),
    (lambda c: c.place_order("ETH_USDT", "SELL", "MARKET", wallet_type="MARGIN_CROSS",
                             quote_amount="100.00", side_effect="AUTO_BORROW",
                             client_order_id="m-1"),
     "POST", "/trading/order",
     b'{"pair":"ETH_USDT","order_type":"MARKET","order_side":"ASK",'
     b'"wallet_type":"CROSS_MARGIN","client_order_id":"m-1","side_effect":"AUTO_BORROW",'
     b'"expire_after":null,"valid_till":null,"quote_amount":100.00}', [35]),
    (lambda c: c.place_order("BTC_USDT", "BID", "STOP_LIMIT", base_amount="1",
                             limit_price="45000", stop_price="44000", stop_operator="GTE",
                             tif="GOOD_TILL_CANCEL", client_order_id="s-1",
                             expire_after=datetime(2026, 2, 1, tzinfo=UTC)),
     "POST", "/trading/order",
     b'{"pair":"BTC_USDT","order_type":"STOP_LIMIT","order_side":"BID","wallet_type":"SPOT",'
     b'"client_order_id":"s-1","side_effect":"NO_SIDE_EFFECT",'
     b'"expire_after":"2026-02-01T00:00:00Z","valid_till":null,"base_amount":1,'
     b'"limit_price":45000,"stop_price":44000,"stop_operator":"GTE","tif":"GTC"}', [36]),
    (lambda c: c.place_order("BTC_USDT", "SELL", "STOP_MARKET", base_amount="0.00000001",
                             stop_price="40000", stop_operator="LTE", client_order_id="s-2"),
     "POST", "/trading/order",
     b'{"pair":"BTC_USDT","order_type":"STOP_MARKET","order_side":"ASK","wallet_type":"SPOT",'
     b'"client_order_id":"s-2","side_effect":"NO_SIDE_EFFECT","expire_after":null,'
     b'"valid_till":null,"base_amount":0.00000001,"stop_price":40000,"stop_operator":"LTE"}',
     [37]),
    (lambda c: c.cancel_orders([1, 5, 8]), "DELETE", "/trading/order",
     b'{"order_ids":[1,5,8]}', {"1": "CANCELLED"}),
    (lambda c: c.cancel_orders(all=True), "DELETE", "/trading/order", b'{"all":true}', {}),
    (lambda c: c.cancel_orders(pair="btc/usdt"), "DELETE", "/trading/order",
     b'{"pair":"BTC_USDT"}', {}),
    (lambda c: c.margin_transfer("MARGIN_CROSS", "ADD", D("100.0"), "USDT", account_id=12345),
     "POST", "/margin/transfer",
     b'{"account_id":12345,"wallet_type":"CROSS_MARGIN","direction":"ADD","amount":100.0,'
     b'"currency":"USDT","pair":null,"note":null}', 123),
    (lambda c: c.margin_transfer(WalletType.ISOLATED_MARGIN, "SUB", "5", "btc", pair="BTC_USDT",
                                 note="back", account_id=7),
     "POST", "/margin/transfer",
     b'{"account_id":7,"wallet_type":"ISOLATED_MARGIN","direction":"SUB","amount":5,'
     b'"currency":"BTC","pair":"BTC_USDT","note":"back"}', 124),
    (lambda c: c.borrow(D("100.0"), "USD", "CROSS_MARGIN", account_id=12345),
     "POST", "/margin/borrow",
     b'{"account_id":12345,"borrow":100.0,"currency":"USD","wallet_type":"CROSS_MARGIN",'
     b'"pair":null,"type":"LOAN_MANUAL"}', 123),
    (lambda c: c.repay("100.0", "USD", "ISOLATED_MARGIN", pair="BTC_USDT", loan_type="AUTO",
                       account_id=12345),
     "POST", "/margin/repay",
     b'{"account_id":12345,"amount":100.0,"currency":"USD","wallet_type":"ISOLATED_MARGIN",'
     b'"pair":"BTC_USDT","type":"LOAN_AUTO"}', [123]),
    (lambda c: c.close_position("ISOLATED_MARGIN", "BTC_USDT", account_id=384457),
     "DELETE", "/margin",
     b'{"account_id":384457,"wallet_type":"ISOLATED_MARGIN","pair":"BTC_USDT"}', {}),
]


def _check_common(req: httpx.Request) -> None:
    assert req.headers["accept"] == "application/json"
    assert "alp-tui" in req.headers["user-agent"]
    assert req.url.host == "alp.test" and req.url.scheme == "https"


@pytest.mark.parametrize(("call", "method", "path", "query", "answer"), PUBLIC)
async def test_public_wire(call, method, path, query, answer) -> None:
    fake = FakeExchange()
    fake.on(method, path, answer)
    async with fake.client() as client:
        await call(client)
    [req] = fake.requests  # no /auth for public calls
    assert (req.method, rel_path(req)) == (method, path)
    assert dict(req.url.params) == query
    assert len(req.url.params.multi_items()) == len(query)
    assert req.content == b""
    assert "authorization" not in req.headers and "x-sign" not in req.headers
    _check_common(req)


@pytest.mark.parametrize(("call", "method", "path", "query", "answer"), PRIVATE_GET)
async def test_private_get_wire(call, method, path, query, answer) -> None:
    fake = FakeExchange()
    fake.on(method, path, answer)
    async with fake.client() as client:
        await call(client)
    auth, req = fake.requests
    assert (auth.method, rel_path(auth)) == ("POST", "/auth")
    assert (req.method, rel_path(req)) == (method, path)
    assert dict(req.url.params) == query
    assert req.headers["authorization"] == f"Bearer {fake.tokens[0]}"
    assert "x-sign" not in req.headers and req.content == b""
    _check_common(req)


@pytest.mark.parametrize(("call", "method", "path", "body", "answer"), BODIES)
async def test_body_wire(call, method, path, body, answer) -> None:
    fake = FakeExchange()
    fake.on(method, path, answer)
    async with fake.client() as client:
        await call(client)
    [req] = fake.sent(method, path)
    assert req.content == body
    assert req.headers["x-sign"] == expected_sign(body)
    assert req.headers["content-type"] == "application/json"
    assert req.headers["authorization"] == f"Bearer {fake.tokens[0]}"
    assert not req.url.params
    _check_common(req)


async def test_auth_request_wire() -> None:
    fake = FakeExchange()
    fake.on("GET", "/accounts/balances", [])
    async with fake.client() as client:
        await client.balances()
    auth = fake.sent("POST", "/auth")[0]
    body = ('{"api_key":"test-key-0123456789","api_secret":"' + SECRET + '"}').encode()
    assert auth.content == body
    assert auth.headers["x-sign"] == expected_sign(body)
    assert "authorization" not in auth.headers


async def test_account_id_comes_from_accounts_once() -> None:
    fake = FakeExchange()
    fake.on("GET", "/accounts/accounts", [{"id": 5, "parent_id": 1}, {"id": 1}])
    fake.on("POST", "/margin/borrow", 1)
    fake.on("POST", "/margin/repay", [2])
    async with fake.client() as client:
        await client.borrow("1", "USDT", "CROSS_MARGIN")
        await client.repay("1", "USDT", "CROSS_MARGIN")
    assert len(fake.sent("GET", "/accounts/accounts")) == 1
    for req in fake.sent("POST"):
        if rel_path(req).startswith("/margin"):
            assert req.content.startswith(b'{"account_id":1,')


async def test_generated_client_order_id_is_exposed() -> None:
    fake = FakeExchange()
    fake.on("POST", "/trading/order", [1])
    async with fake.client() as client:
        await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="2")
        first = client.last_client_order_id
        await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="2")
        assert first and client.last_client_order_id and first != client.last_client_order_id
        mine = client.new_client_order_id()
        await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="2",
                                 client_order_id=mine)
    bodies = [r.content for r in fake.sent("POST", "/trading/order")]
    assert f'"client_order_id":"{first}"'.encode() in bodies[0]
    assert f'"client_order_id":"{mine}"'.encode() in bodies[2]


async def test_orderbook_falls_back_once_and_remembers() -> None:
    fake = FakeExchange()
    fake.on("GET", "/orderbook", httpx.Response(404, text="not found"))
    fake.on("GET", "/order_book", {"buy": [{"price": 1, "amount": 2}], "sell": []})
    async with fake.client() as client:
        await client.orderbook("BTC_USDT")
        await client.orderbook("BTC_USDT")
    paths = [rel_path(r) for r in fake.requests]
    assert paths == ["/orderbook", "/order_book", "/order_book"]


async def test_withdraw_answers_as_object() -> None:
    fake = FakeExchange()
    fake.on("POST", "/withdraw", {"id": 9, "amount": 1.5, "currency": "BTC", "status": "NEW"})
    async with fake.client() as client:
        receipt = await client.withdraw("1.5", 3, {"address": "x"})
    assert receipt.id == 9 and receipt.withdrawal is not None
    assert receipt.withdrawal.amount == D("1.5")


async def test_ticker_by_pair_id_and_never_another_pairs_ticker() -> None:
    fake = FakeExchange()
    fake.on("GET", "/ticker", lambda r: httpx.Response(200, json=(
        {"pair": "ETH_USDT", "last": 1, "vol": 1, "high": 1, "low": 1}
        if "pair_id" in r.url.params else
        [{"pair": "ETH_USDT", "last": 1, "vol": 1, "high": 1, "low": 1}])))
    async with fake.client() as client:
        t = await client.ticker(pair_id=7)
        assert t.pair == "ETH_USDT"
        with pytest.raises(BadResponseError, match="BTC_USDT"):
            await client.ticker("BTC_USDT")
    assert dict(fake.requests[0].url.params) == {"pair_id": "7"}
