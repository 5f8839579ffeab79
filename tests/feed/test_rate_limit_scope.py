"""Finding 1 of #14: one endpoint's 429 pauses that endpoint's topic, not every pane.

The poller's gate is driven by a fake clock; the last test drives the real client against
the simulator on a virtual time line that only moves while no request is on the wire.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

import httpx
import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.request_gate import RequestGate
from alp_tui.config import PollingConfig
from alp_tui.feed.poller import Feed, FeedParams, Gate
from alp_tui.feed.state import Freshness
from alp_tui.feed.stats import ErrorLog
from alp_tui.session.topics import default_topics
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer


def test_two_endpoints_limited_within_the_window_pause_everyone() -> None:
    now = [0.0]
    gate = Gate(lambda: now[0])
    gate.pause(2.0, "orders", "/accounts/order")
    assert gate.pause_left("orders") == 2.0 and gate.pause_left("orderbook") == 0.0
    now[0] = 30.0  # a second endpoint much later: still scoped
    gate.pause(2.0, "balances", "/accounts/balances")
    assert gate.pause_left("orderbook") == 0.0
    now[0] = 35.0  # ...but two within 10 s pause every topic
    gate.pause(3.0, "orders", "/accounts/order")
    assert gate.pause_left("orderbook") == 3.0
    assert set(gate.paused_topics()) == {"orders", "*"}


def test_escalation_pauses_everyone_for_the_retry_after_not_the_sick_topics_backoff(
        ) -> None:
    # Seen in the soak: orders backed off to ~40 s by repeated 429s; a stray 429 on the
    # book within 10 s then paused every pane for those 40 s.
    now = [0.0]
    gate = Gate(lambda: now[0])
    gate.pause(1.0, "orderbook", "/orderbook")
    now[0] = 3.0
    gate.pause(40.0, "orders", "/accounts/order", everyone_s=2.0)
    assert gate.pause_left("orders") == 40.0
    assert gate.pause_left("orderbook") == 2.0 and gate.pause_left("balances") == 2.0


def test_a_sick_endpoints_repeats_after_one_stray_429_pause_everyone_once() -> None:
    # Seen in the soak: /accounts/order always 429 (Retry-After 2), one stray 429 on the
    # ticker; each later orders 429 within 10 s paused every pane again (book: 8 fetches
    # in 18 s at 1 s).
    now = [0.0]
    gate = Gate(lambda: now[0])
    gate.pause(2.0, "orders", "/accounts/order")
    now[0] = 1.0
    gate.pause(1.0, "tickers", "/ticker")  # a new endpoint in the window: everyone waits
    assert gate.pause_left("orderbook") == 1.0
    for t in (3.0, 5.0, 7.0, 9.0):
        now[0] = t
        gate.pause(2.0, "orders", "/accounts/order")
        assert gate.pause_left("orderbook") == 0.0, t
        assert gate.pause_left("orders") == 2.0


def test_the_clients_gate_escalates_once_too() -> None:
    now = [0.0]
    gate = RequestGate(clock=lambda: now[0])
    gate.pause(2.0, "GET /accounts/order")
    now[0] = 1.0
    gate.pause(1.0, "GET /ticker")
    assert gate.paused_for("GET /orderbook") == 1.0
    for t in (3.0, 5.0, 7.0, 9.0):
        now[0] = t
        gate.pause(2.0, "GET /accounts/order")
        assert gate.paused_for("GET /orderbook") == 0.0, t
    now[0] = 12.0  # the ticker again, now outside the window of its first 429: new again
    gate.pause(1.0, "GET /ticker")
    assert gate.paused_for("GET /orderbook") == 1.0


def test_a_repeating_error_is_logged_once_with_count_and_last_time() -> None:
    wall = iter(range(100, 200))
    log = ErrorLog(wall=lambda: float(next(wall)))
    heard: list[Any] = []
    log.add_listener(heard.append)
    for seconds in (2, 2, 3):
        log.add("orders", "rate limited", f"HTTP 429 on GET /accounts/order; retry in {seconds} s")
    log.add("trades", "error", "timeout")
    log.add("orders", "rate limited", "HTTP 429 on GET /accounts/order; retry in 2 s")
    items = log.items()
    assert [(i.topic, i.count) for i in items] == [("trades", 1), ("orders", 4)]
    assert items[-1].at == 104.0 and items[-1].first_at == 100.0
    assert len(heard) == 2 and log.total() == 5


class VirtualTime:
    """A time line that moves only while no HTTP request is in flight: it jumps to the
    next sleeper's deadline. Real requests to the simulator cost no virtual time, so the
    count of fetches per virtual second does not depend on how loaded the machine is."""

    def __init__(self) -> None:
        self.now = 0.0
        self.in_flight = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float, wake: asyncio.Event | None = None) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._seq), fut))
        if wake is None:
            await fut
            return
        waiter = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({fut, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not fut.done():
                fut.cancel()

    async def run_until(self, end: float) -> None:
        idle = 0
        while self.now < end:
            await asyncio.sleep(0.001)
            live = [s for s in self._sleepers if not s[2].done()]
            if self.in_flight or not live:
                idle = 0
                continue
            idle += 1
            if idle < 3:  # let callbacks settle before time moves
                continue
            idle = 0
            heapq.heapify(live)
            self._sleepers = live
            deadline = live[0][0]
            self.now = max(self.now, min(deadline, end))
            while self._sleepers and self._sleepers[0][0] <= self.now:
                _, _, fut = heapq.heappop(self._sleepers)
                if not fut.done():
                    fut.set_result(None)


class CountingTransport(httpx.AsyncBaseTransport):
    """The real network, counting requests in flight for the virtual clock."""

    def __init__(self, vt: VirtualTime) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.vt = vt

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.vt.in_flight += 1
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.vt.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.timeout(60)
async def test_a_429ing_endpoint_does_not_starve_the_order_book(
        make_sim_server: Any) -> None:
    server: SimServer = make_sim_server(seed=1, market_life=False)
    server.faults.add(FaultRule(kind="rate_limit", path="/accounts/order", method="GET",
                                retry_after=2))
    vt = VirtualTime()
    polling = PollingConfig(orderbook=1, orders=1, balances=5, tickers=2, trades=2)
    fetched: dict[str, int] = {}
    states: dict[str, set[Freshness]] = {}
    async with AlpClient(server.base_url, server.api_key, server.api_secret,
                         transport=CountingTransport(vt)) as client:
        # The client's own 429 gate waits on the same virtual time line.
        client._gate.clock = vt.clock
        client._gate.sleep = vt.sleep
        feed = Feed(
            default_topics(client, polling),
            on_update=lambda t, _p, _d: fetched.__setitem__(t, fetched.get(t, 0) + 1),
            on_state=lambda t, s: states.setdefault(t, set()).add(s.kind),
            params=FeedParams(pair="BTC_USDT"), clock=vt.clock, sleep=vt.sleep,
            has_credentials=True,
        )
        feed.set_active_topics({"orderbook", "orders", "balances"})
        tasks = [asyncio.ensure_future(p.run()) for p in feed.pollers.values()]
        try:
            await vt.run_until(25.0)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    assert fetched.get("orderbook", 0) >= 20  # polled at its 1 s interval
    assert fetched.get("balances", 0) >= 4
    assert Freshness.PAUSED not in states["orderbook"]  # never says "rate limited"
    assert Freshness.PAUSED not in states["balances"]
    assert feed.pollers["orders"].state.kind is Freshness.PAUSED
    assert "orders" in feed.paused_topics()
    # the sick endpoint is asked less and less often: Retry-After, then backoff
    assert 3 <= feed.pollers["orders"].requests <= 8
    limited = [e for e in feed.errors.items() if e.topic == "orders"]
    assert len(limited) == 1 and limited[0].count == feed.pollers["orders"].requests
