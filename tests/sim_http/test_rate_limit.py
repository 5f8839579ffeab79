"""The simulator's own rate limit (opt-in): past its budget it answers 429 in the
exchange's error shape with Retry-After in seconds, like the reference's errors list; a
client that waits is served again."""

from __future__ import annotations

import httpx
import pytest

from alp_tui.sim.errors import SimError
from alp_tui.sim.rate_limit import RateLimiter
from alp_tui.sim.server import SimServer
from tests.sim_http.helpers import body


def test_past_the_budget_a_request_is_answered_429_with_retry_after() -> None:
    # One request a minute: the second is refused whatever the machine's speed.
    with SimServer(seed=1, market_life=False, rate_limit_per_s=1 / 60) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        first = client.get("/time")
        second = client.get("/ticker", params={"pair": "BTC_USDT"})
    assert first.status_code == 200
    assert second.status_code == 429
    assert body(second) == {"code": "TOO_MANY_REQUESTS", "message": "too many requests"}
    assert 55 <= int(second.headers["retry-after"]) <= 60


def test_without_a_limit_nothing_is_refused() -> None:
    with SimServer(seed=1, market_life=False) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert {client.get("/time").status_code for _ in range(30)} == {200}


def test_the_bucket_refills_at_its_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(2.0, clock=lambda: now[0])
    assert [limiter.take() for _ in range(3)] == [None, None, pytest.approx(0.5)]
    now[0] += 0.5
    assert limiter.take() is None and limiter.take() == pytest.approx(0.5)
    now[0] += 60
    assert [limiter.take() for _ in range(3)] == [None, None, pytest.approx(0.5)]


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
    assert SimError(429, "x").code == "TOO_MANY_REQUESTS"


async def test_our_client_reads_the_simulators_429() -> None:
    from alp_tui.api import AlpClient
    from alp_tui.api.errors import RateLimitedError

    with SimServer(seed=1, market_life=False, rate_limit_per_s=1 / 60) as server:
        async with AlpClient(server.base_url) as client:
            await client.server_time()
            with pytest.raises(RateLimitedError) as info:
                await client.tickers()
            assert info.value.retry_after is not None and 55 <= info.value.retry_after <= 60
            assert client.paused_for() > 50  # every caller now waits; writes are refused
