"""Matrix rows: connect refused / DNS failure, read timeout on a GET, connection dropped
mid-response — through the client and through the dashboard."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import NetworkError, RequestTimeoutError
from alp_tui.api.models import OrderBook
from alp_tui.feed.state import Freshness
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.messages import FeedData
from tests.support.dashboard import SIZE, FastSleep, Recorder, dashboard, kind_of, pane_text
from tests.support.wait import wait_until

BOOK = "/api/v3/orderbook"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/api/v3",          # nothing listens: connection refused
    "http://alp-tui-no-such-host.invalid/api/v3",  # .invalid never resolves (RFC 6761)
], ids=["refused", "dns"])
async def test_unreachable_server_is_a_typed_network_error(url: str) -> None:
    async with AlpClient(url.format(port=_free_port()), timeout_s=2) as client:
        with pytest.raises(NetworkError) as info:
            await client.orderbook("BTC_USDT")
    err = info.value
    assert not isinstance(err, RequestTimeoutError)
    assert err.endpoint == "/orderbook"
    assert "/orderbook" in str(err) and "Traceback" not in str(err)


async def test_dashboard_offline_then_recovers_alone(make_sim_server: Any) -> None:
    server: SimServer = make_sim_server()
    sleep = FastSleep()
    app = dashboard(server, sleep=sleep)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh")
        server.stop()
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.OFFLINE,
                         what="book offline")
        assert app.feed is not None
        poller = app.feed.pollers["orderbook"]
        await wait_until(pilot, lambda: poller.failures >= 3, what="retries")
        assert "offline" in pane_text(app, "orderbook")
        # backoff: the waits asked for after failures grow past the polling interval
        assert max(sleep.delays) >= 1.0
        server.start()  # same port, same state: the app finds it again by itself
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         timeout=60, what="book fresh again")
        assert "fresh" in pane_text(app, "orderbook")
        assert poller.failures == 0


async def test_read_timeout_is_typed_and_next_call_works(sim_server: SimServer) -> None:
    sim_server.faults.add(FaultRule(kind="latency", path=BOOK, latency_s=6.0, count=1))
    async with AlpClient(sim_server.base_url, timeout_s=3.0) as client:
        with pytest.raises(RequestTimeoutError) as info:
            await client.orderbook("BTC_USDT")
        assert info.value.endpoint == "/orderbook"
        book = await client.orderbook("BTC_USDT")  # the next call is a plain retry
    assert isinstance(book, OrderBook)


def _max_overlap(records: list[Any]) -> int:
    events = []
    for r in records:
        events.append((r.started_at, 1))
        events.append((r.started_at + r.latency_s, -1))
    depth = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        depth += step
        peak = max(peak, depth)
    return peak


async def test_dashboard_timeouts_never_pile_up(sim_server: SimServer) -> None:
    recorder = Recorder()
    app = dashboard(sim_server, timeout_s=1.0, recorder=recorder)
    rule = sim_server.faults.add(FaultRule(kind="latency", path=BOOK, latency_s=2.0, count=2))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: rule.fired >= 2, what="timeouts")
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh after timeouts")
        book = recorder.to("/orderbook")
        timeouts = [r for r in book if r.error == "RequestTimeoutError"]
        assert len(timeouts) >= 2
        assert _max_overlap(book) == 1  # one request in flight at a time, never a pile


async def test_drop_mid_response_is_a_timeout(sim_server: SimServer, client: AlpClient) -> None:
    sim_server.faults.add(FaultRule(kind="drop_mid", path=BOOK, count=1))
    with pytest.raises(RequestTimeoutError) as info:
        await client.orderbook("BTC_USDT")
    assert "dropped" in str(info.value)
    assert isinstance(await client.orderbook("BTC_USDT"), OrderBook)


async def test_dashboard_never_shows_half_parsed_data(sim_server: SimServer) -> None:
    messages: list[Any] = []
    app = dashboard(sim_server)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh")
        before = len([m for m in messages if isinstance(m, FeedData)
                      and m.topic == "orderbook"])
        rule = sim_server.faults.add(FaultRule(kind="drop_mid", path=BOOK, count=3))
        await wait_until(pilot, lambda: rule.fired >= 3, what="drops")
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh after drops")
        books = [m.data for m in messages if isinstance(m, FeedData)
                 and m.topic == "orderbook"]
        assert len(books) > before
        # the market does not move: every book that reached the pane is the whole book
        assert isinstance(books[0], OrderBook) and books[0].buy and books[0].sell
        for book in books:
            assert book == books[0]
