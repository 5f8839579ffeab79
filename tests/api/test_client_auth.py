"""Token lifecycle: expiry refresh, 401 refresh-and-retry once, shared refresh under load,
clock skew, token formats, and the on-disk token cache."""

from __future__ import annotations

import asyncio
import os
import stat
from email.utils import formatdate

import httpx
import pytest
from alp_api_helpers import KEY, SECRET, FakeExchange, make_jwt

from alp_tui.api import AuthError, RequestError
from alp_tui.api.client import AlpClient

BALANCES = "/accounts/balances"
pytestmark = pytest.mark.timeout(30)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_clock(client: AlpClient) -> FakeClock:
    clock = FakeClock()
    client._tokens._clock = clock
    return clock


def bearer(req: httpx.Request) -> str:
    return req.headers.get("authorization", "").removeprefix("Bearer ")


async def test_token_reused_then_refreshed_shortly_before_exp() -> None:
    fake = FakeExchange(lifetime_s=100)
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        clock = with_clock(client)
        await client.balances()
        clock.now += 50
        await client.balances()
        assert client.auth_count == 1
        clock.now += 31  # 81 s into a 100 s token: inside the refresh margin (20 s)
        await client.balances()
        assert client.auth_count == 2
    gets = fake.sent("GET", BALANCES)
    assert [bearer(r) for r in gets] == [fake.tokens[0], fake.tokens[0], fake.tokens[1]]


async def test_401_on_get_refreshes_once_and_retries_once() -> None:
    fake = FakeExchange()

    def balances(req: httpx.Request) -> httpx.Response:
        if bearer(req) == fake.tokens[0]:
            return httpx.Response(401, json={"code": "UNAUTHORIZED", "message": "expired"})
        return httpx.Response(200, json=[])

    fake.on("GET", BALANCES, balances)
    async with fake.client() as client:
        assert await client.balances() == []
        assert client.auth_count == 2
    gets = fake.sent("GET", BALANCES)
    assert [bearer(r) for r in gets] == fake.tokens[:2]


async def test_second_401_raises_auth_error() -> None:
    fake = FakeExchange()
    fake.on("GET", BALANCES, httpx.Response(401, json={"code": "UNAUTHORIZED"}))
    async with fake.client() as client:
        with pytest.raises(AuthError) as info:
            await client.balances()
    assert len(fake.sent("GET", BALANCES)) == 2
    assert len(fake.sent("POST", "/auth")) == 2
    assert "401" in str(info.value) and SECRET not in str(info.value)


async def test_401_on_order_post_is_never_resent() -> None:
    fake = FakeExchange()
    fake.on("POST", "/trading/order", httpx.Response(401, json={"code": "UNAUTHORIZED"}))
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        with pytest.raises(AuthError) as info:
            await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1",
                                     limit_price="1")
        assert "not resent" in str(info.value)
        await client.balances()  # the refused token was dropped: a fresh one is fetched
    assert len(fake.sent("POST", "/trading/order")) == 1
    assert bearer(fake.sent("GET", BALANCES)[0]) == fake.tokens[1]


async def test_jwt_rejected_with_20_requests_in_flight() -> None:
    """20 GETs and one order POST hold the old token when the server starts refusing it:
    exactly one POST /auth follows, each GET is retried once, the order is not resent."""
    fake = FakeExchange()
    arrived = 0
    everyone_in = asyncio.Event()
    rotated = False  # the server stops accepting the first token once the load starts

    async def hold_then_judge(req: httpx.Request) -> httpx.Response:
        nonlocal arrived
        if rotated and bearer(req) == fake.tokens[0]:
            arrived += 1
            if arrived == 21:
                everyone_in.set()
            await everyone_in.wait()
            return httpx.Response(401, json={"code": "UNAUTHORIZED"})
        if req.method == "POST":
            return httpx.Response(200, json=[99])
        return httpx.Response(200, json=[])

    fake.on("GET", BALANCES, hold_then_judge)
    fake.on("POST", "/trading/order", hold_then_judge)
    async with fake.client() as client:
        await client.balances()  # first token, before the load
        fake.requests.clear()
        rotated = True
        gets = [client.balances() for _ in range(20)]
        order = client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="1")
        results = await asyncio.gather(*gets, order, return_exceptions=True)
    assert all(r == [] for r in results[:20])
    assert isinstance(results[20], AuthError)
    assert len(fake.sent("POST", "/auth")) == 1
    assert len(fake.sent("POST", "/trading/order")) == 1
    gets_sent = fake.sent("GET", BALANCES)
    assert len(gets_sent) == 2 * 20  # each of the 20 GETs sent twice...
    assert sum(bearer(r) == fake.tokens[1] for r in gets_sent) == 20  # ...the retry fresh


async def test_expiry_with_20_concurrent_requests_makes_one_auth() -> None:
    fake = FakeExchange(lifetime_s=100)
    gate = asyncio.Event()

    async def slow_auth(req: httpx.Request) -> httpx.Response:
        await gate.wait()
        return fake._auth(req)

    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        clock = with_clock(client)
        await client.balances()
        clock.now += 95  # the token is about to expire
        fake.on("POST", "/auth", slow_auth)
        tasks = [asyncio.create_task(client.balances()) for _ in range(20)]
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*tasks)
    assert len(fake.sent("POST", "/auth")) == 2
    assert sum(bearer(r) == fake.tokens[1] for r in fake.sent("GET", BALANCES)) == 20


@pytest.mark.parametrize("skew", [-300.0, 300.0])
async def test_clock_skew_uses_server_date(skew: float) -> None:
    fake = FakeExchange(server_skew_s=skew, lifetime_s=600)
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        clock = with_clock(client)
        await client.balances()
        assert client.clock_offset_s == pytest.approx(skew, abs=5)
        clock.now += 470  # 130 s left of 600 by the server clock: keep it
        await client.balances()
        assert client.auth_count == 1
        clock.now += 75  # 55 s left: inside the 60 s margin, refresh
        await client.balances()
        assert client.auth_count == 2


@pytest.mark.parametrize("skew", [-300.0, 300.0])
async def test_clock_skew_without_date_header_uses_server_time(skew: float) -> None:
    fake = FakeExchange(server_skew_s=skew, lifetime_s=600)
    fake.date_header = False
    fake.on("GET", "/time", lambda _r: httpx.Response(
        200, json={"serverTime": int(fake.server_now())}))
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        clock = with_clock(client)
        await client.balances()
        assert len(fake.sent("GET", "/time")) == 1
        clock.now += 470
        await client.balances()
        assert client.auth_count == 1
        clock.now += 75
        await client.balances()
        assert client.auth_count == 2


async def test_iat_claim_used_when_no_date_header() -> None:
    fake = FakeExchange()
    fake.on("POST", "/auth", lambda _r: httpx.Response(
        200, json=make_jwt(exp=5_000_000_600, iat=5_000_000_000)))  # far-future server clock
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        clock = with_clock(client)
        await client.balances()
        clock.now += 500
        await client.balances()
        assert client.auth_count == 1
    assert not fake.sent("GET", "/time")


async def test_token_as_text_plain_and_opaque() -> None:
    token = make_jwt(exp=4_000_000_000)
    fake = FakeExchange()
    fake.on("POST", "/auth", lambda _r: httpx.Response(
        200, text=token, headers={"Content-Type": "text/plain",
                                  "Date": formatdate(usegmt=True)}))
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        await client.balances()
    assert bearer(fake.sent("GET", BALANCES)[0]) == token

    fake2 = FakeExchange()
    fake2.on("POST", "/auth", lambda _r: httpx.Response(200, json="opaque-token-value"))
    fake2.on("GET", BALANCES, [])
    async with fake2.client() as client:
        await client.balances()
        await client.balances()
        assert client.auth_count == 1
    assert bearer(fake2.sent("GET", BALANCES)[1]) == "opaque-token-value"


async def test_refused_credentials() -> None:
    fake = FakeExchange()
    fake.on("POST", "/auth", httpx.Response(401, json={"code": "UNAUTHORIZED",
                                                       "message": f"bad secret {SECRET}"}))
    async with fake.client() as client:
        with pytest.raises(AuthError) as info:
            await client.balances()
    assert SECRET not in str(info.value)
    assert not fake.sent("GET", BALANCES)


async def test_private_call_without_keys_sends_nothing() -> None:
    fake = FakeExchange()
    fake.on("GET", "/ticker", [])
    async with fake.client(api_key=None, api_secret=None) as client:
        assert not client.has_credentials
        await client.tickers()
        with pytest.raises(AuthError, match="needs an API key"):
            await client.balances()
    assert [r.url.path for r in fake.requests] == ["/api/v3/ticker"]


# ------------------------------------------------------------------------------ token cache


async def test_token_cache_reused_across_clients(tmp_path) -> None:
    cache_dir = tmp_path / "cache" / "tokens"
    fake = FakeExchange()
    fake.on("GET", BALANCES, [])
    async with fake.client(token_cache_path=cache_dir) as client:
        await client.balances()
    files = list(cache_dir.iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    text = files[0].read_text()
    assert KEY not in files[0].name and KEY not in text and SECRET not in text
    async with fake.client(token_cache_path=cache_dir) as client:
        await client.balances()
        assert client.auth_count == 0
    assert len(fake.sent("POST", "/auth")) == 1
    assert [bearer(r) for r in fake.sent("GET", BALANCES)] == [fake.tokens[0]] * 2


async def test_token_cache_ignores_loose_files_and_drops_refused(tmp_path) -> None:
    fake = FakeExchange()
    fake.on("GET", BALANCES, [])
    async with fake.client(token_cache_path=tmp_path) as client:
        await client.balances()
    [file] = list(tmp_path.glob("*.json"))
    os.chmod(file, 0o644)
    async with fake.client(token_cache_path=tmp_path) as client:
        await client.balances()
        assert client.auth_count == 1  # the world-readable token was not trusted
    [file] = list(tmp_path.glob("*.json"))
    assert stat.S_IMODE(file.stat().st_mode) == 0o600

    refused = FakeExchange()
    refused.on("GET", BALANCES, httpx.Response(401))
    async with refused.client(token_cache_path=tmp_path) as client:
        with pytest.raises(AuthError):
            await client.balances()
    assert not list(tmp_path.glob("*.json"))


def test_plain_http_to_remote_host_is_refused(caplog) -> None:
    with pytest.raises(RequestError, match="plain http"):
        AlpClient("http://exchange.example.com/api/v3", KEY, SECRET)
    with caplog.at_level("WARNING"):
        AlpClient("http://exchange.example.com/api/v3", KEY, SECRET, allow_insecure=True)
    assert "INSECURE" in caplog.text and SECRET not in caplog.text
    # Loopback and public-only use are fine.
    AlpClient("http://127.0.0.1:8080/api/v3", KEY, SECRET)
    AlpClient("http://localhost:8080/api/v3", KEY, SECRET)
    AlpClient("http://[::1]:8080/api/v3", KEY, SECRET)
    AlpClient("http://exchange.example.com/api/v3")
    with pytest.raises(RequestError):
        AlpClient("ftp://exchange.example.com/api/v3")


async def test_refused_keys_with_20_waiting_make_one_auth() -> None:
    fake = FakeExchange()
    release = asyncio.Event()

    async def refuse(_r: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(401, json={"code": "UNAUTHORIZED"})

    fake.on("POST", "/auth", refuse)
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        tasks = [asyncio.create_task(client.balances()) for _ in range(20)]
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, AuthError) for r in results)
        assert len(fake.sent("POST", "/auth")) == 1
        with pytest.raises(AuthError):  # a later call tries again
            await client.balances()
    assert len(fake.sent("POST", "/auth")) == 2
    assert not fake.sent("GET", BALANCES)


async def test_bearer_token_is_shared_with_rest() -> None:
    fake = FakeExchange()
    fake.on("GET", BALANCES, [])
    async with fake.client() as client:
        token = await client.bearer_token()
        await client.balances()
        assert token == fake.tokens[0] and client.auth_count == 1
    async with fake.client(api_key=None, api_secret=None) as client:
        with pytest.raises(AuthError):
            await client.bearer_token()
