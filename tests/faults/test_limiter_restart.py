"""Matrix rows: 100 concurrent requests from all panes stay within the client's request
budget, a 429 pauses the endpoint that answered it (everyone when two endpoints
answer 429); the server restarts (state reloaded) and
the app reconnects, re-authenticates and shows the same orders and balances."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import RateLimitedError
from alp_tui.api.models import Balance, Order
from alp_tui.api.request_gate import RequestGate
from alp_tui.feed.state import Freshness
from alp_tui.sim.auth import Authenticator
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.messages import FeedData
from tests.support.dashboard import SIZE, Recorder, dashboard, kind_of
from tests.support.wait import wait_until

BUDGET = 50  # requests per second


def _pane_calls(client: AlpClient, n: int = 100) -> list[Any]:
    """What every pane asks for, over and over: ``n`` calls."""
    calls = []
    for i in range(n):
        kind = i % 6
        calls.append(
            client.tickers() if kind == 0 else client.orderbook("BTC_USDT") if kind == 1
            else client.trades("BTC_USDT") if kind == 2 else client.charts("BTC_USDT", 60)
            if kind == 3 else client.balances() if kind == 4 else client.orders())
    return calls


async def test_100_concurrent_requests_keep_within_the_budget(sim_server: SimServer) -> None:
    """The client's gate runs on an injected clock that stands still, and records each
    wait it asks for: every request's start on the gate's own time line is exact, so the
    budget is checked without measuring a loaded machine's scheduling jitter. The 100
    requests themselves are real."""
    starts: list[float] = []

    async def no_wait(delay: float) -> None:
        starts.append(delay)  # clock at 0: the wait is the start time
        await asyncio.sleep(0)

    recorder = Recorder()
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=10, max_requests_per_s=BUDGET) as client:
        client.add_observer(recorder)
        await client.bearer_token()
        client._gate = RequestGate(BUDGET, clock=lambda: 0.0, sleep=no_wait)
        recorder.records.clear()
        results = await asyncio.gather(*_pane_calls(client), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert len(recorder.records) == 100
    timeline = sorted([0.0] * (100 - len(starts)) + starts)
    assert timeline[BUDGET - 1] == 0.0 and timeline[BUDGET] == 1.0  # 50 now, then wait
    # a sliding window of one second never holds more than BUDGET starts
    for i in range(len(timeline) - BUDGET):
        assert timeline[i + BUDGET] - timeline[i] >= 1.0, i


async def _limited(client: AlpClient, recorder: Recorder, call: Any, path: str) -> float:
    """Call ``call`` once (it answers 429); returns when that answer arrived (wall)."""
    with contextlib.suppress(RateLimitedError):
        await call()
    limited = recorder.to(path)[-1]
    assert limited.status == 429
    return limited.started_at + limited.latency_s


async def test_a_429_pauses_only_the_endpoint_that_answered_it(sim_server: SimServer) -> None:
    recorder = Recorder()
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=10, max_requests_per_s=BUDGET) as client:
        client.add_observer(recorder)
        await client.bearer_token()
        sim_server.faults.add(FaultRule(kind="rate_limit", path="/api/v3/ticker",
                                        retry_after=1, count=1))
        answered = await _limited(client, recorder, client.tickers, "/ticker")
        mark = len(recorder.records)
        results = await asyncio.gather(*_pane_calls(client, 30), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    later = recorder.records[mark:]
    assert len(later) == 30
    tickers = [r for r in later if r.path == "/ticker"]
    others = [r for r in later if r.path != "/ticker"]
    assert min(r.started_at for r in tickers) >= answered + 1.0 - 0.01  # /ticker waited
    assert min(r.started_at for r in others) < answered + 1.0 - 0.01  # the rest did not


async def test_429s_from_two_endpoints_pause_every_caller(sim_server: SimServer) -> None:
    recorder = Recorder()
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=10, max_requests_per_s=BUDGET) as client:
        client.add_observer(recorder)
        await client.bearer_token()
        for path in ("/api/v3/ticker", "/api/v3/currencies"):
            sim_server.faults.add(FaultRule(kind="rate_limit", path=path, retry_after=1,
                                            count=1))
        await _limited(client, recorder, client.tickers, "/ticker")
        answered = await _limited(client, recorder, client.currencies, "/currencies")
        mark = len(recorder.records)
        results = await asyncio.gather(*_pane_calls(client, 30), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    later = recorder.records[mark:]
    assert len(later) == 30
    assert min(r.started_at for r in later) >= answered + 1.0 - 0.01  # every path waited


async def test_dashboard_rides_out_a_server_restart(make_sim_server: Any,
                                                    tmp_path: Path) -> None:
    server: SimServer = make_sim_server(seed=1, market_life=False,
                                        state_path=str(tmp_path / "sim.db"))
    async with AlpClient(server.base_url, server.api_key, server.api_secret) as setup:
        placed = await setup.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                         limit_price="90000")
    recorder = Recorder()
    messages: list[Any] = []
    app = dashboard(server, keys=True, recorder=recorder)

    def latest(topic: str) -> Any:
        found = [m.data for m in messages if isinstance(m, FeedData) and m.topic == topic]
        return found[-1] if found else None

    def seen_after(topic: str, mark: int) -> bool:
        return any(isinstance(m, FeedData) and m.topic == topic for m in messages[mark:])

    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: latest("orders") is not None
                         and latest("balances") is not None, what="account data")
        orders_before = sorted(o.id for o in latest("orders") if isinstance(o, Order))
        balances_before = _balances(latest("balances"))
        assert orders_before == placed
        auths = app.client.auth_count
        # restart: state reloaded from the file; a new run signs tokens with a new key, so
        # the old token is refused and the app must authenticate again
        server.stop()
        server.auth = Authenticator(server.exchange.find_api_key,
                                    token_ttl_s=server.token_ttl_s)
        server.sim_app = None  # rebuild the HTTP app around the new authenticator
        server.start()
        mark = len(messages)
        await wait_until(pilot, lambda: seen_after("orders", mark)
                         and seen_after("balances", mark), timeout=60,
                         what="account data after the restart")
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="market data after the restart")
        assert app.client.auth_count > auths  # re-authenticated
        assert sorted(o.id for o in latest("orders")) == orders_before
        assert _balances(latest("balances")) == balances_before
        assert any(r.status == 401 for r in recorder.records)


def _balances(rows: list[Balance]) -> dict[tuple[str, str], Any]:
    return {(b.currency, b.wallet_type.value): (b.balance, b.reserve) for b in rows}
