"""Matrix rows: 401 on a private GET, JWT expiring with 20 requests in flight, clock skew
of ±5 minutes between machine and server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import AuthError
from alp_tui.feed.state import Freshness
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from tests.support.dashboard import SIZE, Recorder, dashboard, kind_of, pane_text
from tests.support.wait import wait_until

BALANCES = "/api/v3/accounts/balances"


# --- 401 on a private GET ---------------------------------------------------------------


async def test_one_401_costs_one_reauth_and_one_retry(sim_server: SimServer, client: AlpClient,
                                                       recorder: Recorder) -> None:
    await client.balances()
    auths = client.auth_count
    sim_server.faults.add(FaultRule(kind="unauthorized", path=BALANCES, count=1))
    balances = await client.balances()
    assert balances
    assert client.auth_count == auths + 1
    assert [r.status for r in recorder.to("/accounts/balances")] == [200, 401, 200]


async def test_second_401_is_an_auth_error_without_more_tries(
        sim_server: SimServer, client: AlpClient, recorder: Recorder) -> None:
    await client.balances()
    auths = client.auth_count
    sim_server.faults.add(FaultRule(kind="unauthorized", path=BALANCES, count=2))
    with pytest.raises(AuthError) as info:
        await client.balances()
    assert "401" in str(info.value)
    assert client.auth_count == auths + 1
    assert [r.status for r in recorder.to("/accounts/balances")] == [200, 401, 401]


async def test_dashboard_stops_private_polling_until_the_user_acts(
        sim_server: SimServer) -> None:
    recorder = Recorder()
    app = dashboard(sim_server, keys=True, recorder=recorder)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "balances") is Freshness.FRESH,
                         what="balances fresh")
        # the token is revoked: every private call is refused, re-auth does not help
        sim_server.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/*"))
        await wait_until(pilot, lambda: kind_of(app, "balances") is Freshness.AUTH,
                         what="auth stop")
        await wait_until(pilot, lambda: "authentication failed" in pane_text(app, "balances"),
                         what="the pane says so")  # the text follows the state by a refresh
        private = len([r for r in recorder.records if r.path.startswith("/accounts/")])
        t0 = time.monotonic()
        await wait_until(pilot, lambda: time.monotonic() - t0 > 1.0,
                         what="a second of polling")
        assert kind_of(app, "orderbook") is Freshness.FRESH  # public panes go on
        in_flight = len([r for r in recorder.records if r.path.startswith("/accounts/")])
        # at most the requests already under way: the watched topics poll together, and the
        # margin topic alone asks three /accounts/ paths at once
        assert in_flight - private <= 6
        stopped = in_flight
        await wait_until(pilot, lambda: time.monotonic() - t0 > 1.5,
                         what="more time")
        assert len([r for r in recorder.records if r.path.startswith("/accounts/")]) == stopped
        # the user acts: keys fixed (fault cleared), ctrl+r
        sim_server.faults.clear()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: kind_of(app, "balances") is Freshness.FRESH,
                         what="balances fresh again")


# --- JWT expiry with 20 requests in flight -----------------------------------------------


async def test_jwt_expiring_under_20_requests_in_flight(make_sim_server: Any) -> None:
    server: SimServer = make_sim_server(seed=1, token_ttl_s=1.0)
    recorder = Recorder()
    async with AlpClient(server.base_url, server.api_key, server.api_secret,
                         timeout_s=5) as client:
        client.add_observer(recorder)
        await client.bearer_token()  # a token valid for at most 1 s
        assert client.auth_count == 1
        server.auth.token_ttl_s = 3600.0  # the next one lives long
        # Held long enough that the token has expired when the server checks it.
        server.faults.add(FaultRule(kind="latency", method="GET", path="/api/v3/accounts/*",
                                    latency_s=1.2, count=20))
        server.faults.add(FaultRule(kind="latency", method="POST", path="/api/v3/trading/order",
                                    latency_s=1.2, count=1))
        calls = [client.balances() if i % 2 else client.orders() for i in range(20)]
        order = client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                   limit_price="90000")
        results = await asyncio.gather(*calls, order, return_exceptions=True)
        reads, placed = results[:20], results[20]
        assert not [r for r in reads if isinstance(r, BaseException)], reads
        assert isinstance(placed, AuthError) and "not resent" in str(placed)
        assert client.auth_count == 2  # exactly one more POST /auth for all of them
        gets = [r for r in recorder.records if r.method == "GET"]
        assert len([r for r in gets if r.status == 401]) == 20
        assert len([r for r in gets if r.status == 200]) == 20  # each retried once
        assert len(recorder.to("/trading/order", "POST")) == 1  # the order: never resent
        assert len(recorder.to("/auth", "POST")) == 2
    assert server.account_id is not None
    assert server.exchange.orders(server.account_id) == []


# --- clock skew ----------------------------------------------------------------------------


class _Clocks:
    """A local wall clock ``skew_s`` off the server's, and a monotonic clock tests advance."""

    def __init__(self, skew_s: float) -> None:
        self.skew_s = skew_s
        self.mono_extra = 0.0

    def wall(self) -> float:
        return time.time() + self.skew_s

    def mono(self) -> float:
        return time.monotonic() + self.mono_extra


@pytest.mark.parametrize("skew_s", [-300.0, 300.0])
async def test_token_refresh_survives_5_minutes_of_clock_skew(make_sim_server: Any,
                                                               skew_s: float) -> None:
    server: SimServer = make_sim_server(seed=1, token_ttl_s=120.0)
    clocks = _Clocks(skew_s)
    async with AlpClient(server.base_url, server.api_key, server.api_secret,
                         timeout_s=5) as client:
        tokens = client._tokens  # inject the skewed clocks (the manager takes them)
        tokens._wall = clocks.wall
        tokens._clock = clocks.mono
        await client.balances()
        assert client.auth_count == 1
        # expiry judged on the server's clock: ~120 s left, not 120 -/+ 300
        assert 110 <= tokens.remaining_s() <= 121
        assert client.clock_offset_s is not None
        assert abs(client.clock_offset_s + skew_s) < 5
        await client.balances()
        assert client.auth_count == 1  # no refresh loop
        clocks.mono_extra = 100.0  # 100 s later: inside the refresh margin
        await client.balances()
        assert client.auth_count == 2  # refreshed before expiry, request went through
        assert 110 <= tokens.remaining_s() <= 121
