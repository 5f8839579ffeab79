"""Error mapping, request-side checks, rate limiting, network failures and secret hygiene."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest
from alp_api_helpers import BASE, KEY, SECRET, FakeExchange

from alp_tui.api import (
    AlpClient,
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    RequestRecord,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)
from alp_tui.api.request_gate import RequestGate
from alp_tui.api.responses import parse_retry_after

pytestmark = pytest.mark.timeout(30)
HTML = (b"<html><body><h1>502 Bad Gateway</h1>"
        b"<pre>Traceback (most recent call last)</pre></body></html>")


# ------------------------------------------------------------------------ status → error


@pytest.mark.parametrize(
    ("status", "path", "call", "body", "ctype", "error", "words"),
    [
        (400, "/trading/order",
         lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="1"),
         b'{"formErrors": {"base_amount": "must be greater than 0", "limit_price": "required"}}',
         "application/json", ValidationError, ["base_amount: must be greater than 0",
                                               "limit_price: required"]),
        (400, "/ticker", lambda c: c.ticker("NOPE_USDT"),
         b'{"code":"BAD_REQUEST","message":"pair not found"}', "application/json",
         ValidationError, ["pair not found", "BAD_REQUEST", "GET /ticker"]),
        (401, "/accounts/balances", lambda c: c.balances(), b'{"code":"UNAUTHORIZED"}',
         "application/json", AuthError, ["401", "GET /accounts/balances"]),
        (403, "/withdraw/methods", lambda c: c.withdraw_methods("BTC"), b"", "text/plain",
         ForbiddenError, ['"Can Withdraw"']),
        (403, "/withdraw", lambda c: c.withdraw("1", 1, {"address": "x"}), b"", "",
         ForbiddenError, ['"Can Withdraw"']),
        (403, "/margin/borrow", lambda c: c.borrow("1", "USDT", "CROSS_MARGIN", account_id=1),
         b"{}", "application/json", ForbiddenError, ['"Margin"']),
        (403, "/margin", lambda c: c.loans(), b"", "", ForbiddenError, ['"Margin"']),
        (403, "/trading/order",
         lambda c: c.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1"), b"", "",
         ForbiddenError, ['"Trade"']),
        (404, "/trades", lambda c: c.trades("BTC_USDT"), b'{"message":"no such pair"}',
         "application/json", NotFoundError, ["404", "no such pair"]),
        (405, "/currencies", lambda c: c.currencies(), b"", "", ValidationError, ["405"]),
        (406, "/currencies", lambda c: c.currencies(), b"", "", ValidationError, ["406"]),
        (429, "/currencies", lambda c: c.currencies(), b"", "", RateLimitedError, ["429"]),
        (500, "/ticker", lambda c: c.tickers(), HTML, "text/html", ServerError, ["500"]),
        (502, "/ticker", lambda c: c.tickers(), HTML, "text/html", ServerError,
         ["502", "Bad Gateway"]),
        (503, "/accounts/balances", lambda c: c.balances(), HTML, "text/html; charset=utf-8",
         ServerError, ["503"]),
        (503, "/ticker", lambda c: c.tickers(), b"upstream down", "text/plain", ServerError,
         ["503"]),
    ],
)
async def test_status_maps_to_typed_error(status, path, call, body, ctype, error, words):
    fake = FakeExchange()
    method = {"/trading/order": "POST", "/withdraw": "POST",
              "/margin/borrow": "POST"}.get(path, "GET")
    headers = {"Content-Type": ctype} if ctype else {}
    fake.on(method, path, httpx.Response(status, content=body, headers=headers))
    async with fake.client() as client:
        with pytest.raises(error) as info:
            await call(client)
    err = info.value
    text = str(err)
    for word in words:
        assert word in text
    assert err.status == status and err.endpoint == path
    assert "<html" not in text and "Traceback" not in text and "\n" not in text
    assert text.endswith(".") and SECRET not in text
    if isinstance(err, ValidationError) and status == 400 and path == "/trading/order":
        assert err.field_errors == {"base_amount": "must be greater than 0",
                                    "limit_price": "required"}
    if path == "/ticker" and status == 400:
        assert err.code == "BAD_REQUEST"
    if isinstance(err, ForbiddenError):
        assert err.permission in ("Can Withdraw", "Margin", "Trade")


@pytest.mark.parametrize(
    ("body", "call", "path", "words"),
    [
        (b"{not json", lambda c: c.tickers(), "/ticker", "not valid JSON"),
        (b"", lambda c: c.tickers(), "/ticker", "empty answer"),
        (b"   ", lambda c: c.orderbook("BTC_USDT"), "/orderbook", "empty answer"),
        (b'{"pair": "BTC_USDT"}', lambda c: c.tickers(), "/ticker", "expected shape"),
        (b'[{"price": "abc", "amount": 1}]', lambda c: c.orderbook("BTC_USDT"), "/orderbook",
         "expected shape"),
        (b'{"buy": [{"price": "abc", "amount": 1}], "sell": []}',
         lambda c: c.orderbook("BTC_USDT"), "/orderbook", "buy.0.price"),
        (b'{"buy": "x", "sell": []}', lambda c: c.orderbook("BTC_USDT"), "/orderbook",
         "expected shape"),
        (b'[1, 2]', lambda c: c.currencies(), "/currencies", "expected shape"),
        (b'"hello"', lambda c: c.currency_rates(), "/currency-rates", "not an object"),
        (b'{"serverTime": "soon"}', lambda c: c.server_time(), "/time", "serverTime"),
    ],
)
async def test_bad_2xx_bodies(body, call, path, words) -> None:
    fake = FakeExchange()
    fake.on("GET", path, httpx.Response(200, content=body))
    async with fake.client() as client:
        with pytest.raises(BadResponseError) as info:
            await call(client)
    assert path in str(info.value) and words in str(info.value)
    assert "abc" not in str(info.value)  # input values are not echoed


async def test_bad_order_answer_warns_the_order_may_exist() -> None:
    fake = FakeExchange()
    fake.on("POST", "/trading/order", {"ok": True})
    async with fake.client() as client:
        with pytest.raises(BadResponseError, match="check open orders"):
            await client.place_order("BTC_USDT", "BUY", "MARKET", quote_amount="10")
    assert len(fake.sent("POST", "/trading/order")) == 1


# ----------------------------------------------------------------------- request-side checks


REFUSED = [
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount=0.1, limit_price="1"),
     "float"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1"), "limit_price"),
    (lambda c: c.place_order("BTC_USDT", "UP", "LIMIT", base_amount="1", limit_price="1"),
     "order_side must be one of BID, ASK"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "ICEBERG", base_amount="1"), "order_type"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "MARKET"), "base_amount or quote_amount"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1", quote_amount="1"),
     "not both"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "STOP_LIMIT", base_amount="1", limit_price="1",
                             stop_price="1"), "stop_operator"),
    (lambda c: c.place_order("", "BUY", "MARKET", base_amount="1"), "pair is required"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="-1", limit_price="1"),
     "greater than zero"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="abc", limit_price="1"),
     "decimal number"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="1",
                             tif="SOMETIMES"), "tif"),
    (lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="1",
                             client_order_id=""), "client_order_id"),
    (lambda c: c.orders(start_time="2026-01-01T00:00:00Z", end_time="2026-02-15T00:00:00Z"),
     "at most 30"),
    (lambda c: c.deposits(start_time=datetime(2026, 1, 1)), "time zone"),
    (lambda c: c.activity(start_time="yesterday"), "RFC 3339"),
    (lambda c: c.withdrawals(start_time=datetime(2026, 2, 1, tzinfo=UTC),
                             end_time=datetime(2026, 1, 1, tzinfo=UTC)), "before"),
    (lambda c: c.margin_transfers(start_time=datetime(2026, 1, 1, tzinfo=UTC),
                                  end_time=datetime(2026, 1, 1, tzinfo=UTC)
                                  + timedelta(days=30, seconds=1)), "30"),
    (lambda c: c.orders(side="UP"), "side"),
    (lambda c: c.deposit_methods(None), "currency is required"),
    (lambda c: c.withdraw_methods(""), "currency is required"),
    (lambda c: c.withdraw(1.5, 1, {}), "float"),
    (lambda c: c.withdraw("1", "x", {}), "method"),
    (lambda c: c.cancel_orders(), "order_ids"),
    (lambda c: c.cancel_orders([]), "order_ids"),
    (lambda c: c.loans(isolated_margin=False, cross_margin=False), "loans()"),
    (lambda c: c.borrow("1", "USDT", "SPOT", account_id=1), "CROSS_MARGIN or ISOLATED_MARGIN"),
    (lambda c: c.repay("1", "USDT", "ISOLATED_MARGIN", account_id=1), "pair"),
    (lambda c: c.margin_transfer("CROSS_MARGIN", "UP", "1", "USDT", account_id=1), "direction"),
    (lambda c: c.close_position("FUNDING"), "wallet_type"),
    (lambda c: c.charts("BTC_USDT", 7), "interval"),
    (lambda c: c.trades("BTC_USDT", limit=-1), "limit"),
    (lambda c: c.orderbook(None), "pair"),
    (lambda c: c.pairs(currency1="B T C"), "currency1"),
]


@pytest.mark.parametrize(("call", "words"), REFUSED)
async def test_refused_before_sending(call, words) -> None:
    fake = FakeExchange()
    async with fake.client() as client:
        with pytest.raises(RequestError) as info:
            await call(client)
    assert words in str(info.value)
    assert fake.requests == []


# ------------------------------------------------------------------------------- network


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connection_refused_is_network_error() -> None:
    async with AlpClient(f"http://127.0.0.1:{_free_port()}/api/v3", KEY, SECRET) as client:
        with pytest.raises(NetworkError) as info:
            await client.tickers()
    assert not isinstance(info.value, RequestTimeoutError)
    assert "connect" in str(info.value)


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), NetworkError),
        (httpx.ConnectTimeout("timed out"), NetworkError),
        (httpx.ReadTimeout("timed out"), RequestTimeoutError),
        (httpx.WriteTimeout("timed out"), RequestTimeoutError),
        (httpx.ReadError("connection reset"), RequestTimeoutError),
        (httpx.RemoteProtocolError("peer closed connection without sending complete message "
                                   "body (incomplete chunked read)"), RequestTimeoutError),
    ],
)
async def test_transport_failures_are_typed(exc: Exception, error: type) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise exc

    async with AlpClient(BASE, transport=httpx.MockTransport(boom)) as client:
        with pytest.raises(error) as info:
            await client.tickers()
    assert type(info.value) is error
    assert "GET /ticker" in str(info.value)


async def test_dropped_mid_response_gives_no_half_parsed_data() -> None:
    class Dropping(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b'{"buy": [{"price": 1, "amount": 1}], "sell": ['
            raise httpx.RemoteProtocolError("peer closed connection without sending complete "
                                            "message body")

    fake = FakeExchange()
    fake.on("GET", "/orderbook", lambda _r: httpx.Response(200, stream=Dropping()))
    async with fake.client() as client:
        with pytest.raises(RequestTimeoutError, match="dropped"):
            await client.orderbook("BTC_USDT")
    assert len(fake.requests) == 1  # not retried: the server did answer, partially


async def _serve(handler) -> tuple[asyncio.AbstractServer, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_real_socket_dropped_mid_body() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500\r\n\r\n{\"buy\": [")
        await writer.drain()
        writer.close()

    server, port = await _serve(handler)
    async with server, AlpClient(f"http://127.0.0.1:{port}/api/v3") as client:
        with pytest.raises(RequestTimeoutError):
            await client.orderbook("BTC_USDT")


async def test_real_socket_read_timeout() -> None:
    hold = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await hold.wait()  # never answers within the client's timeout
        writer.close()

    server, port = await _serve(handler)
    async with server:
        async with AlpClient(f"http://127.0.0.1:{port}/api/v3", timeout_s=0.5) as client:
            with pytest.raises(RequestTimeoutError, match="did not answer"):
                await client.tickers()
        hold.set()


async def test_stale_keepalive_get_retried_once_post_never() -> None:
    calls = {"GET": 0, "POST": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            return httpx.Response(200, json="opaque")
        calls[request.method] += 1
        if calls[request.method] == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json=[] if request.method == "GET" else [1])

    async with AlpClient(BASE, KEY, SECRET, transport=httpx.MockTransport(handler)) as client:
        assert await client.tickers() == []
        with pytest.raises(RequestTimeoutError, match="may or may not"):
            await client.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1")
    assert calls == {"GET": 2, "POST": 1}


# ---------------------------------------------------------------------------- rate limits


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = formatdate(1_800_000_000, usegmt=True)
    later = formatdate(1_800_000_030, usegmt=True)
    assert parse_retry_after(later, date_header=date) == 30.0
    assert parse_retry_after(later, now=1_800_000_010) == 20.0
    assert parse_retry_after(date, now=1_800_000_100) == 0.0


class FakeTime:
    """Clock + sleep pair for the request gate: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now = max(self.now, self.now + seconds)
        await asyncio.sleep(0)


def install_fake_time(client: AlpClient) -> FakeTime:
    ft = FakeTime()
    client._gate.clock = ft.clock
    client._gate.sleep = ft.sleep
    return ft


@pytest.mark.parametrize(
    ("headers", "expected_retry", "expected_pause"),
    [
        ({"Retry-After": "7"}, 7.0, 7.0),
        ({"Retry-After": formatdate(1_800_000_012, usegmt=True),
          "Date": formatdate(1_800_000_000, usegmt=True)}, 12.0, 12.0),
        ({}, None, 1.0),
    ],
)
async def test_429_pauses_every_caller(headers, expected_retry, expected_pause) -> None:
    fake = FakeExchange()
    seen_at: list[float] = []
    state = {"limited": True}

    def ticker(_r: httpx.Request) -> httpx.Response:
        seen_at.append(ft.now)
        if state["limited"]:
            state["limited"] = False
            return httpx.Response(429, headers=headers)
        return httpx.Response(200, json=[])

    fake.on("GET", "/ticker", ticker)
    async with fake.client() as client:
        ft = install_fake_time(client)
        with pytest.raises(RateLimitedError) as info:
            await client.tickers()
        assert info.value.retry_after == expected_retry
        assert client.paused_for() == pytest.approx(expected_pause)
        await asyncio.gather(*(client.tickers() for _ in range(5)))
    assert seen_at[0] == 0.0
    assert all(t >= expected_pause for t in seen_at[1:]) and len(seen_at) == 6


async def test_default_backoff_grows_and_resets() -> None:
    gate = RequestGate(None, clock=lambda: 0.0)
    assert [gate.pause(None) for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    gate.succeeded()
    assert gate.pause(None) == 1.0
    assert gate.pause(10_000) == RequestGate.MAX_PAUSE_S


_task_time: contextvars.ContextVar[float] = contextvars.ContextVar("task_time", default=0.0)


class VirtualTime:
    """Time frozen at 0 for the gate; each task remembers when its sleep would end, so a
    request's virtual start time is known without any real waiting."""

    def clock(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        _task_time.set(_task_time.get() + seconds)
        await asyncio.sleep(0)


@pytest.mark.parametrize("rate", [0.5, 1, 2.5, 10, 20])
async def test_limiter_keeps_100_concurrent_requests_within_budget(rate: float) -> None:
    fake = FakeExchange()
    starts: list[float] = []

    def ticker(_r: httpx.Request) -> httpx.Response:
        starts.append(_task_time.get())
        return httpx.Response(200, json=[])

    fake.on("GET", "/ticker", ticker)
    async with fake.client(max_requests_per_s=rate) as client:
        vt = VirtualTime()
        client._gate.clock = vt.clock
        client._gate.sleep = vt.sleep
        await asyncio.gather(*(client.tickers() for _ in range(100)))
    assert len(starts) == 100
    # In any window of floor(rate)/rate seconds (1/rate for slow rates) at most
    # max(1, floor(rate)) requests start; the budget is used fully, not wasted.
    n = max(1, int(rate))
    window = n / rate
    starts.sort()
    for i in range(len(starts) - n):
        assert starts[i + n] - starts[i] >= window - 1e-9
    assert starts[-1] == pytest.approx((99 // n) * window)


# ---------------------------------------------------------------------- observers, secrets


async def test_observer_records_each_attempt_without_secrets() -> None:
    fake = FakeExchange()
    fake.on("GET", "/ticker", [])
    fake.on("GET", "/accounts/balances", httpx.Response(503, content=HTML))
    records: list[RequestRecord] = []
    async with fake.client() as client:
        client.add_observer(records.append)
        client.add_observer(lambda _r: 1 / 0)  # a broken observer changes nothing
        await client.tickers()
        with pytest.raises(ServerError):
            await client.balances()
    summary = [(r.method, r.path, r.status, r.error) for r in records]
    assert summary == [
        ("GET", "/ticker", 200, None),
        ("POST", "/auth", 200, None),
        ("GET", "/accounts/balances", 503, "ServerError"),
    ]
    assert all(r.latency_s >= 0 for r in records)
    assert all(SECRET not in repr(r) and fake.tokens[0] not in repr(r) for r in records)


async def test_network_failure_recorded() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    records: list[RequestRecord] = []
    async with AlpClient(BASE, transport=httpx.MockTransport(boom)) as client:
        client.add_observer(records.append)
        with pytest.raises(RequestTimeoutError):
            await client.currencies()
    assert [(r.path, r.status, r.error) for r in records] == [
        ("/currencies", None, "RequestTimeoutError")]


async def test_secrets_never_in_repr_errors_or_logs(caplog) -> None:
    fake = FakeExchange()
    echo = f"bad signature for secret {SECRET}"
    fake.on("GET", "/accounts/balances", httpx.Response(400, json={"message": echo}))
    fake.on("POST", "/trading/order", lambda r: httpx.Response(
        400, json={"formErrors": {"x_sign": r.headers["x-sign"] + " " + SECRET}}))
    fake.on("GET", "/accounts/order", lambda r: httpx.Response(
        500, json={"message": "token " + r.headers["authorization"]}))
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with fake.client() as client:
            texts.append(repr(client))
            texts.append(repr(client._tokens))
            texts.append(repr(client._secret))
            for call in (client.balances(), client.orders(),
                         client.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1")):
                with pytest.raises(Exception) as info:
                    await call
                texts.append(str(info.value))
                texts.append(repr(info.value))
                if isinstance(info.value, ValidationError):
                    texts.append(repr(info.value.field_errors))
    texts.append(caplog.text)
    blob = "\n".join(texts)
    assert SECRET not in blob
    assert fake.tokens[0] not in blob
    for req in fake.sent("POST"):
        assert req.headers["x-sign"] not in blob


async def test_money_results_are_decimal_not_float() -> None:
    fake = FakeExchange()
    fake.on("GET", "/orderbook", b'{"buy":[{"price":0.1,"amount":0.30000000000000004}],'
                                 b'"sell":[]}')
    async with fake.client() as client:
        book = await client.orderbook("BTC_USDT")
    assert book.buy[0].price == Decimal("0.1")
    assert book.buy[0].amount == Decimal("0.30000000000000004")


async def test_401_on_a_public_path_says_no_key_was_sent() -> None:
    fake = FakeExchange()
    fake.on("GET", "/currency-rates", httpx.Response(401, json={"code": "UNAUTHORIZED"}))
    async with fake.client() as client:
        with pytest.raises(AuthError, match="needs no key"):
            await client.currency_rates()
    assert not fake.sent("POST", "/auth")


async def test_writes_are_refused_not_held_during_a_long_pause() -> None:
    # Two endpoints limited within the escalation window: the whole client pauses.
    fake = FakeExchange()
    fake.on("GET", "/ticker", httpx.Response(429, headers={"Retry-After": "30"}))
    fake.on("GET", "/currencies", httpx.Response(429, headers={"Retry-After": "30"}))
    fake.on("POST", "/trading/order", [1])
    async with fake.client() as client:
        install_fake_time(client)
        for call in (client.tickers, client.currencies):
            with pytest.raises(RateLimitedError):
                await call()
        with pytest.raises(RateLimitedError, match="was not sent") as info:
            await client.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1")
        assert info.value.retry_after == pytest.approx(30)
    assert not fake.sent("POST", "/trading/order")


async def test_one_endpoints_429_pauses_only_that_endpoint() -> None:
    fake = FakeExchange()
    fake.on("GET", "/ticker", httpx.Response(429, headers={"Retry-After": "30"}))
    fake.on("GET", "/currencies", [])
    fake.on("POST", "/trading/order", [1])
    async with fake.client() as client:
        ft = install_fake_time(client)
        with pytest.raises(RateLimitedError):
            await client.tickers()
        await client.currencies()
        await client.place_order("BTC_USDT", "BUY", "MARKET", base_amount="1")
        assert ft.now == 0.0  # nobody else waited
        assert client._gate.paused_endpoints() == {"GET /ticker": pytest.approx(30)}
    assert fake.sent("POST", "/trading/order")


async def test_real_dns_failure_is_network_error() -> None:
    # .invalid never resolves (RFC 6761); no credentials, so plain http is allowed.
    async with AlpClient("http://alp-tui-test.invalid/api/v3", timeout_s=5) as client:
        with pytest.raises(NetworkError) as info:
            await client.currencies()
    assert type(info.value) is NetworkError and "GET /currencies" in str(info.value)
