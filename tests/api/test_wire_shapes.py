"""Answers an independent server built from the reference may send that our simulator never
does: Go-style ``null`` for an empty list (the official client reads every list answer as
``raw or []``), ``null`` in fields the reference shows with a value, numbers as strings.

Each test drives the real client against a scripted server (httpx.MockTransport).
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from alp_api_helpers import FakeExchange

from alp_tui.api.errors import BadResponseError

D = Decimal

LIST_CALLS = [
    ("GET", "/currencies", lambda c: c.currencies()),
    ("GET", "/pairs", lambda c: c.pairs()),
    ("GET", "/ticker", lambda c: c.tickers()),
    ("GET", "/charts", lambda c: c.charts("BTC_USDT", 60)),
    ("GET", "/trades", lambda c: c.trades("BTC_USDT")),
    ("GET", "/accounts/accounts", lambda c: c.accounts()),
    ("GET", "/accounts/balances", lambda c: c.balances()),
    ("GET", "/accounts/feeinfo", lambda c: c.fees()),
    ("GET", "/accounts/order", lambda c: c.orders()),
    ("GET", "/accounts/trades", lambda c: c.account_trades()),
    ("GET", "/accounts/activity", lambda c: c.activity()),
    ("GET", "/deposit/methods", lambda c: c.deposit_methods("USDT")),
    ("GET", "/deposit", lambda c: c.deposits()),
    ("GET", "/withdraw/methods", lambda c: c.withdraw_methods("USDT")),
    ("GET", "/withdraw", lambda c: c.withdrawals()),
    ("GET", "/margin", lambda c: c.loans(cross_margin=True)),
    ("GET", "/margin/transfer", lambda c: c.margin_transfers()),
    ("GET", "/margin/borrow", lambda c: c.borrows()),
    ("GET", "/margin/repay", lambda c: c.repays()),
    ("GET", "/margin/interest", lambda c: c.interests()),
    ("GET", "/margin/liquidation", lambda c: c.liquidations()),
]


@pytest.mark.parametrize(("method", "path", "call"), LIST_CALLS,
                         ids=[p for _m, p, _c in LIST_CALLS])
async def test_a_list_answered_as_null_is_an_empty_list(method, path, call) -> None:
    fake = FakeExchange()
    fake.on(method, path, httpx.Response(200, content=b"null",
                                         headers={"Content-Type": "application/json"}))
    async with fake.client() as client:
        assert await call(client) == []


async def test_an_empty_book_with_null_sides() -> None:
    fake = FakeExchange()
    fake.on("GET", "/orderbook", {"buy": None, "sell": None})
    async with fake.client() as client:
        book = await client.orderbook("BTC_USDT")
    assert book.buy == [] and book.sell == []


async def test_null_in_fields_that_have_a_meaning_when_absent() -> None:
    """A Go server writes a nil slice as ``null`` and may null a zero amount; each reads as
    the field's empty value, not as a broken answer."""
    fake = FakeExchange()
    fake.on("GET", "/margin/liquidation", [{
        "id": 1, "account_id": 2, "created_at": "2022-10-06T08:28:06.801064-04:00",
        "wallet_type": "ISOLATED_MARGIN", "margin_level": "0.002", "closed_at": None,
        "amount": "0.015", "fund_amount": None, "currency": "ETH", "order_closed": None,
        "order_created": None, "borrow_closed": None, "repay_created": None}])
    fake.on("GET", "/accounts/order", [{
        "id": 5, "pair": "BTC/USDT", "amount": "1.5", "price": None, "side": "BID",
        "status": "OPEN", "type": "LIMIT", "wallet_type": None, "amount_canceled": None,
        "amount_filled": None, "tif": None}])
    fake.on("GET", "/deposit/methods", [{
        "network": "TRC20", "currency": "USDT", "attributes": None, "confirmations": None,
        "min_deposit": None, "max_deposit": None, "is_enabled": None}])
    fake.on("GET", "/accounts/trades", [{
        "pair": "BTC_USDT", "amount": "1", "price": "45000", "fee_amount": None,
        "is_maker": None, "wallet_type": None}])
    async with fake.client() as client:
        (liq,) = await client.liquidations()
        (order,) = await client.orders()
        (method,) = await client.deposit_methods("USDT")
        (fill,) = await client.account_trades()
    assert liq.order_closed == [] and liq.repay_created == [] and liq.fund_amount == 0
    assert liq.margin_level == D("0.002")
    assert order.amount_filled == 0 and order.remaining == D("1.5")
    assert order.wallet_type == "SPOT"
    assert method.attributes == [] and method.is_enabled is True
    assert fill.fee_amount == 0 and fill.is_maker is False


async def test_numbers_as_strings_everywhere() -> None:
    fake = FakeExchange()
    fake.on("GET", "/pairs", [{
        "name": "BTC_USDT", "currency1": "BTC", "currency2": "USDT", "amount_precision": "8",
        "price_precision": "2", "maximum_order_size": "10.0", "minimum_order_size": "0.001",
        "minimum_order_value": "10.0"}])
    fake.on("GET", "/charts", [{"open": "1.10", "close": "1.2", "high": "1.3", "low": "1.0",
                                "volume": "12345678.123456789012", "time": "1630862400"}])
    async with fake.client() as client:
        (pair,) = await client.pairs()
        (candle,) = await client.charts("BTC_USDT", 60)
    assert pair.price_precision == 2 and pair.minimum_order_size == D("0.001")
    assert candle.volume == D("12345678.123456789012") and candle.time == 1630862400


@pytest.mark.parametrize("answer", [
    httpx.Response(401, json={"code": "UNAUTHORIZED", "message": "unauthorized"}),
    httpx.Response(404, text="not found"),
    httpx.Response(405, json={"code": "METHOD_NOT_ALLOWED", "message": "no"}),
], ids=["401-like-the-live-exchange", "404", "405"])
async def test_a_reference_server_without_orderbook_is_read_at_order_book(answer) -> None:
    """The reference names GET /order_book; a server without /orderbook answers an unknown
    path 401 (the live exchange does), 404 or 405. The client falls back once and stays."""
    fake = FakeExchange()
    fake.on("GET", "/orderbook", answer)
    fake.on("GET", "/order_book", {"buy": [{"price": "2", "amount": "1"}], "sell": []})
    async with fake.client() as client:
        book = await client.orderbook("BTC_USDT")
        await client.orderbook("BTC_USDT")
    assert book.buy[0].price == D("2")
    assert [r.url.path for r in fake.requests] == [
        "/api/v3/orderbook", "/api/v3/order_book", "/api/v3/order_book"]
    assert all("authorization" not in r.headers for r in fake.requests)


async def test_withdraw_method_attributes_as_field_and_regex() -> None:
    """The reference shows a withdraw method's attributes as key/value; the official client
    reads them as ``field`` and ``regex`` (what the request's attribute must match)."""
    fake = FakeExchange()
    fake.on("GET", "/withdraw/methods", [{
        "id": 3, "network": "TRC20", "currency": "USDT",
        "attributes": [{"field": "address", "regex": "^T[0-9A-Za-z]{33}$"},
                       {"key": "memo", "value": "123456"}],
        "fee_rate": "0", "fee_amount": "1", "fee_currency": "USDT", "min_withdraw": "10",
        "max_withdraw": "1000000", "is_enabled": True}])
    async with fake.client() as client:
        (method,) = await client.withdraw_methods("USDT")
    address, memo = method.attributes
    assert (address.key, address.regex, address.value) == ("address", "^T[0-9A-Za-z]{33}$",
                                                           None)
    assert (memo.key, memo.value, memo.regex) == ("memo", "123456", None)


@pytest.mark.parametrize(("status", "words"), [(400, "pair not found"),
                                               (503, "maintenance until 12:00")])
async def test_an_error_told_in_plain_text_keeps_its_words(status, words) -> None:
    """The official client reads a text/plain answer as its message; so do we."""
    fake = FakeExchange()
    fake.on("GET", "/orderbook", httpx.Response(
        status, content=words.encode(), headers={"Content-Type": "text/plain; charset=utf-8"}))
    async with fake.client() as client:
        with pytest.raises(Exception) as info:
            await client.orderbook("BTC_USDT")
    assert words in str(info.value)


async def test_a_withdrawal_answered_true_is_requested() -> None:
    """The official client types POST /withdraw's answer as a bool; ``true`` is a request
    accepted without an id, not an answer of the wrong shape."""
    fake = FakeExchange()
    fake.on("POST", "/withdraw", True)
    async with fake.client() as client:
        receipt = await client.withdraw("50", 3, {"address": "T0"})
    assert receipt.id is None and receipt.withdrawal is None


@pytest.mark.parametrize("answer", [[], None, {"ids": [34]}, "34x"])
async def test_a_place_answer_without_an_order_id_is_not_a_placed_order(answer) -> None:
    """The reference answers ``[34]``; the official client refuses anything but one id.
    An answer with no id must not read as placed: the caller looks the order up."""
    fake = FakeExchange()
    fake.on("POST", "/trading/order", answer)
    async with fake.client() as client:
        with pytest.raises(BadResponseError) as info:
            await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1",
                                     limit_price="2")
    assert "check open orders" in str(info.value)


async def test_a_deposit_or_withdrawal_status_not_in_the_list_is_kept_as_sent() -> None:
    """The reference's own withdrawal example says COMPLETED, a status its list lacks: the
    statuses drift. One row with a new status must not cost the whole history."""
    fake = FakeExchange()
    fake.on("GET", "/deposit", [
        {"id": 1, "amount": "1", "currency": "BTC", "status": "CONFIRMED"},
        {"id": 2, "amount": "2", "currency": "BTC", "status": "processing"}])
    fake.on("GET", "/withdraw", [
        {"id": 3, "amount": "1", "currency": "BTC", "status": "IN_REVIEW"}])
    async with fake.client() as client:
        deposits = await client.deposits()
        (withdrawal,) = await client.withdrawals()
    assert [d.status.value for d in deposits] == ["CONFIRMED", "PROCESSING"]
    assert withdrawal.status.value == "IN_REVIEW"


async def test_a_redirect_names_where_the_api_moved() -> None:
    """The reference's base URL (alp.com) and the official client's (www.alp.com) differ;
    a redirect is not followed (a token must not travel to a host not configured) but says
    where to point base_url."""
    fake = FakeExchange()
    fake.on("GET", "/ticker", httpx.Response(
        301, headers={"Location": "https://www.alp.test/api/v3/ticker?pair=BTC_USDT"}))
    async with fake.client() as client:
        with pytest.raises(BadResponseError) as info:
            await client.ticker("BTC_USDT")
    assert "https://www.alp.test/api/v3/ticker" in str(info.value)
    assert "base_url" in str(info.value)
    assert len(fake.requests) == 1


async def test_loans_of_both_kinds_ask_one_kind_per_request() -> None:
    """Reference: "rather isolated_margin or cross_margin must be set true"; the official
    client refuses both at once. Both kinds are two requests, one flag each."""
    fake = FakeExchange()

    def loans(request: httpx.Request) -> httpx.Response:
        kind = "CROSS_MARGIN" if "cross_margin" in request.url.params else "ISOLATED_MARGIN"
        row = {"id": len(fake.requests), "borrowed": "1", "interest": "0",
               "currency": "USDT", "wallet_type": kind}
        return httpx.Response(200, json=[row])

    fake.on("GET", "/margin", loans)
    async with fake.client() as client:
        both = await client.loans()
        also_both = await client.loans(isolated_margin=True, cross_margin=True)
    sent = [dict(r.url.params) for r in fake.sent("GET", "/margin")]
    assert sent == [{"cross_margin": "true"}, {"isolated_margin": "true"}] * 2
    assert [loan.wallet_type for loan in both] == ["CROSS_MARGIN", "ISOLATED_MARGIN"]
    assert [loan.wallet_type for loan in also_both] == ["CROSS_MARGIN", "ISOLATED_MARGIN"]


async def test_a_time_without_a_zone_is_utc() -> None:
    """The reference writes times with a zone (``…Z``); a server that leaves it out means
    UTC, and a naive time must never meet the app's aware ones (that comparison raises)."""
    from datetime import UTC, datetime

    fake = FakeExchange()
    fake.on("GET", "/accounts/order", [{
        "id": 5, "pair": "BTC_USDT", "amount": "1", "side": "BID", "status": "OPEN",
        "type": "LIMIT", "date": "2023-09-04T12:00:00", "updated_at": "2023-09-04 12:01:00",
        "open_at": 1693828740}])
    fake.on("GET", "/accounts/feeinfo", [{
        "taker_fee_rate": "0.002", "maker_fee_rate": "0.001",
        "active_once": ["2023-09-04T12:00:00"]}])
    async with fake.client() as client:
        (order,) = await client.orders()
        (fee,) = await client.fees()
    assert order.date == datetime(2023, 9, 4, 12, tzinfo=UTC)
    assert order.updated_at == datetime(2023, 9, 4, 12, 1, tzinfo=UTC)
    assert order.open_at == datetime(2023, 9, 4, 11, 59, tzinfo=UTC)
    assert fee.active_once == [datetime(2023, 9, 4, 12, tzinfo=UTC)]


@pytest.mark.parametrize("answer", [{"serverTime": 1796670024}, {"serverTime": 1796670024.9},
                                    {"serverTime": "1796670024"},
                                    {"serverTime": 1796670024123}, 1796670024])
async def test_server_time_in_seconds_whatever_the_unit(answer) -> None:
    """Notes: ``{"serverTime": <int seconds>}``. Many exchanges count milliseconds there;
    read as seconds, a token's lifetime measured against it would be wrong by 1000x."""
    fake = FakeExchange()
    fake.on("GET", "/time", answer)
    async with fake.client() as client:
        assert (await client.server_time()).serverTime == 1796670024
