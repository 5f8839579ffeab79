"""The polling Feed running with StreamFeed-wrapped topics against the real simulator:
requests stop while the stream delivers, resume while it is down, stop again after."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.config import PollingConfig
from alp_tui.feed.poller import Feed, FeedParams
from alp_tui.feed.stream_feed import Badge, StreamFeed, StreamTimings
from alp_tui.session.topics import default_topics
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until

PAIR = "BTC_USDT"
STREAMED = {"orderbook", "trades", "balances", "orders"}


async def test_pollers_go_quiet_while_streaming_and_take_over_when_down(
        make_sim_server: Any) -> None:
    # A living market: data frames keep confirming the streamed topics (a connection with
    # no frames at all is polled once a topic's silence limit passes).
    sim_server: SimServer = make_sim_server(market_life=True, tick_s=0.2)
    client = AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret)
    requests: Counter[str] = Counter()
    client.add_observer(lambda record: requests.update([getattr(record, "path", "?")]))
    updates: list[tuple[str, Any]] = []
    badges: list[Badge] = []
    stream = StreamFeed(client, on_update=lambda t, p, d: updates.append((t, d)),
                        on_badge=badges.append, timings=StreamTimings(reconcile_s=3600))
    stream.stream.backoff_initial_s = 0.01
    stream.stream.backoff_max_s = 0.05
    polling = PollingConfig(orderbook=0.2, trades=0.2, balances=0.5, orders=0.5, tickers=0.2)
    specs = [s for s in stream.wrap(default_topics(client, polling))
             if s.name in STREAMED | {"tickers"}]
    feed = Feed(specs, on_update=lambda t, p, d: updates.append((t, d)),
                on_state=lambda t, s: None, params=FeedParams(pair=PAIR, grouped=True))
    await stream.start()
    tasks = [asyncio.create_task(p.run()) for p in feed.pollers.values()]
    try:
        await wait_until(None, lambda: all(stream.is_streaming(t) for t in STREAMED),
                         what="streaming")
        book_requests = lambda: requests["/orderbook"]  # noqa: E731
        quiet_from = book_requests()
        for _ in range(3):  # pollers keep running, answered from the stream
            count = len(updates)
            await wait_until(None, lambda c=count: len(updates) > c + 8)
        assert book_requests() - quiet_from <= 1  # at most the book's own (re)seed

        assert sim_server.feed is not None
        sim_server.feed.faults.refuse_connections = True
        sim_server.feed.drop_connections()
        await wait_until(None, lambda: stream.badge() is Badge.POLLING)
        before = book_requests()
        await wait_until(None, lambda: book_requests() >= before + 3, what="polling took over")

        sim_server.feed.faults.refuse_connections = False
        await wait_until(None, lambda: all(stream.is_streaming(t) for t in STREAMED), what="back")
        sim_server.exchange.place_order(sim_server.account_id, {
            "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": OrderSide.BID,
            "wallet_type": WalletType.SPOT, "base_amount": 1, "limit_price": 10})
        await wait_until(None, lambda: any(t == "orders" and d for t, d in updates),
                         what="order shown")
        assert Badge.STREAM in badges and Badge.POLLING in badges
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stream.aclose()
        await client.aclose()
