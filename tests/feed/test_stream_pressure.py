"""Findings 2-4 of #14 against the real simulator: the stream re-authenticates after a
server restart (and drops the private data meanwhile), a frozen server turns stream-fed
panes stale, and the order book has one shape whatever feeds it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.config import PollingConfig
from alp_tui.feed.poller import Feed, FeedParams
from alp_tui.feed.state import Freshness
from alp_tui.feed.stream_feed import Badge, StreamFeed, StreamTimings
from alp_tui.session.topics import default_topics
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until

PAIR = "BTC_USDT"


def living(make_sim_server: Callable[..., SimServer], **kw: Any) -> SimServer:
    """A simulator whose market moves (its feed sends data frames all the time)."""
    return make_sim_server(seed=1, market_life=True, tick_s=0.2, **kw)


def place(server: SimServer, price: str = "10", amount: str = "0.001") -> None:
    amount = "1" if Decimal(price) < 1000 else amount  # above the 5 USDT minimum
    server.exchange.place_order(server.account_id, {
        "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": OrderSide.BID,
        "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
        "limit_price": Decimal(price)})


async def open_feed(server: SimServer, timeout_s: float = 10.0, **timings: Any
                    ) -> tuple[StreamFeed, AlpClient, list[Badge]]:
    client = AlpClient(server.base_url, server.api_key, server.api_secret, timeout_s=timeout_s)
    badges: list[Badge] = []
    feed = StreamFeed(client, on_update=lambda *_a: None, on_badge=badges.append,
                      timings=StreamTimings(**timings))
    feed.stream.backoff_initial_s = 0.01
    feed.stream.backoff_max_s = 0.2
    feed.stream.auth_backoff_max_s = 0.5
    await feed.start()
    return feed, client, badges


async def test_stream_reauthenticates_after_a_server_restart(
        make_sim_server: Callable[..., SimServer]) -> None:
    first = living(make_sim_server)
    place(first)
    feed, client, badges = await open_feed(first)
    second: SimServer | None = None
    try:
        params = FeedParams(pair=PAIR)
        await feed.fetch("orders", params, lambda _p: client.orders(open_only=True))
        await wait_until(None, lambda: feed.is_streaming("orders") and feed.badge() is Badge.STREAM,
                               what="private data streamed")
        # A new server on the same port: a new signing key, so the old JWT is refused;
        # and POST /auth fails for a while, so the first re-auth fails too.
        first.stop()
        second = SimServer(port=first.port, api_key=first.api_key,
                           api_secret=first.api_secret, seed=1, market_life=True,
                           tick_s=0.2)
        auth_down = second.faults.add(FaultRule(kind="status", path="/auth", status=503))
        second.start()
        await wait_until(None, lambda: auth_down.fired >= 1, what="re-auth tried with a new token")
        assert feed.auth_refusals >= 1  # the old token was refused
        assert feed.badge().value == "STREAM·POLL"  # connected, private data polled
        assert not feed.is_streaming("orders")
        assert feed.memory.orders == {}  # the earlier account's private data is gone
        second.faults.clear()
        await wait_until(None, lambda: feed.stream.authenticated and feed.badge() is Badge.STREAM,
                               timeout=15, what="re-authenticated")
        assert client.auth_count >= 2  # a new token, not the refused one again
        assert Badge.STREAM_POLL in badges and badges[-1] is Badge.STREAM
        # private data is seeded again from REST before the stream serves it
        await feed.fetch("orders", params, lambda _p: client.orders(open_only=True))
        await wait_until(None, lambda: feed.is_streaming("orders"),
                         what="private data streamed again")
    finally:
        await feed.aclose()
        await client.aclose()
        if second is not None:
            second.stop()


@pytest.mark.timeout(180)
async def test_a_frozen_server_turns_stream_fed_panes_stale(
        make_sim_server: Callable[..., SimServer]) -> None:
    server = living(make_sim_server)
    stream, client, _ = await open_feed(server, timeout_s=1.0)
    polling = PollingConfig(orderbook=0.5, balances=0.5, orders=0.5, tickers=0.5, trades=0.5)
    names = ("orderbook", "balances", "orders")
    specs = [s for s in stream.wrap(default_topics(client, polling)) if s.name in names]
    feed = Feed(specs, on_update=lambda *_a: None, on_state=lambda *_a: None,
                params=FeedParams(pair=PAIR, grouped=True))
    tasks = [asyncio.ensure_future(p.run()) for p in feed.pollers.values()]
    release = threading.Event()

    def described(name: str) -> str:
        return feed.pollers[name].state.describe()

    try:
        # No deadlines of its own (10-15 s before): each wait is for a condition, and on a
        # loaded machine connecting, going stale or recovering took longer.
        await wait_until(None, lambda: all(stream.is_streaming(n) for n in names)
                               and all(described(n).startswith("fresh") for n in names),
                               what="streamed and fresh")
        loop = server._uvicorn.loop  # type: ignore[union-attr]
        assert loop is not None
        loop.call_soon_threadsafe(release.wait, 90)  # the whole server stops answering
        # Stale, and polling has taken over from the stream. Not necessarily at the same
        # instant: frames the server sent before it froze, read late on a loaded machine,
        # confirm the stream for one more silence window while the panes already age.
        await wait_until(None, lambda: all("stale" in described(n) for n in names)
                         and not any(stream.is_streaming(n) for n in names),
                         what="panes stale, the stream no longer trusted")
        release.set()
        await wait_until(None, lambda: all(feed.pollers[n].state.kind is Freshness.FRESH
                                           for n in names), what="fresh again")
    finally:
        release.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stream.aclose()
        await client.aclose()


async def test_the_book_has_one_shape_whatever_feeds_it(
        make_sim_server: Callable[..., SimServer]) -> None:
    server = make_sim_server(seed=1, market_life=True, tick_s=3600)  # filled, still
    feed, client, _ = await open_feed(server)
    updates: list[Any] = []
    feed.on_update = lambda t, _p, d: updates.append(d) if t == "orderbook" else None
    calls = {"rest": 0}

    async def rest(params: FeedParams) -> Any:  # what the poller asks (session/topics.py)
        calls["rest"] += 1
        return await client.orderbook(params.pair, group=1 if params.grouped else None,
                                      limit_buy=50, limit_sell=50)

    def rest_book(grouped: bool) -> Any:
        return client.orderbook(PAIR, group=1 if grouped else None, limit_buy=50,
                                limit_sell=50)

    try:
        grouped = FeedParams(pair=PAIR, grouped=True)
        polled = await feed.fetch("orderbook", grouped, rest)
        await wait_until(None, lambda: feed.is_streaming("orderbook"), what="book streamed")
        # A bid deeper than REST shows: the stream hears of it, the pane must not.
        place(server, str(polled.buy[-1].price - 100))
        await wait_until(None, lambda: len(updates) > 0, what="diff applied")
        streamed = await feed.fetch("orderbook", grouped, rest)
        assert calls["rest"] == 1  # from the stream
        assert streamed == await rest_book(True)  # same grouping, same depth
        # `g`: ungrouped is one row per resting order, which only REST gives
        best = polled.buy[0].price
        place(server, str(best + 1))
        place(server, str(best + 1))  # two orders at one price
        answer = await feed.fetch("orderbook", FeedParams(pair=PAIR, grouped=False), rest)
        assert calls["rest"] == 2  # polled
        assert answer == await rest_book(False)
        assert answer.buy[0].price == answer.buy[1].price == best + 1
        assert not feed.is_streaming("orderbook")
        # `g` again: the stream serves the grouped book at once (re-read, then live)
        again = await feed.fetch("orderbook", grouped, rest)
        assert calls["rest"] == 2  # from the stream
        assert again == await rest_book(True)
        assert again.buy[0].price == best + 1 and again.buy[1].price != best + 1
    finally:
        await feed.aclose()
        await client.aclose()
