"""The feed of the real simulator (matching engine + ledger), in both behaviours: every
event type, the topic limit, re-auth after a drop, and the local book following diffs from
random orders step by step."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.api.local_book import BookSync
from alp_tui.api.models import OrderBook
from alp_tui.api.stream import StreamClient
from alp_tui.api.stream_events import (
    AccountTradeEvent,
    AnyEvent,
    AuthAck,
    DepthEvent,
    DiffEvent,
    OrderEvent,
    RatesEvent,
    TickerEvent,
    TradeEvent,
    WalletEvent,
)
from alp_tui.feed.stream_feed import ws_url_for
from alp_tui.sim.server import SimServer
from tests.support.wait import wait_until

D = Decimal
PAIR = "BTC_USDT"


def place(server: SimServer, side: OrderSide, price: Decimal | str, amount: Decimal | str
          ) -> Any:
    return server.exchange.place_order(server.account_id, {
        "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": side,
        "wallet_type": WalletType.SPOT, "base_amount": D(amount), "limit_price": D(price)})


def stream_for(server: SimServer, events: list[AnyEvent], **kw: Any) -> StreamClient:
    async def token() -> str:
        return server.token()

    client = StreamClient(ws_url_for(server.base_url), token_provider=token,
                          backoff_initial_s=0.01, backoff_max_s=0.05, **kw)
    client.add_listener(events.append)
    return client


@pytest.mark.parametrize("quirks", [False, True], ids=["sim", "live-quirks"])
async def test_every_event_type_from_the_engine(make_sim_server: Callable[..., SimServer],
                                                quirks: bool) -> None:
    server = make_sim_server(live_quirks=quirks)
    events: list[AnyEvent] = []
    stream = stream_for(server, events)
    await stream.subscribe("ticker.*", f"trade.{PAIR}", f"market_depth.{PAIR}", f"diff.{PAIR}",
                           "rates.*")
    async with stream:
        await wait_until(None, lambda: stream.authenticated and stream.topic_live("rates.*"))
        place(server, OrderSide.BID, "90000", "0.01")
        place(server, OrderSide.ASK, "90000", "0.004")
        wanted = {TradeEvent, TickerEvent, DepthEvent, RatesEvent, OrderEvent, WalletEvent,
                  AccountTradeEvent} | (set() if quirks else {DiffEvent})
        await wait_until(None, lambda: wanted <= {type(e) for e in events}, timeout=10,
                               what=f"{wanted - {type(e) for e in events}}")
        assert any(isinstance(e, AuthAck) for e in events)
        trade = next(e for e in events if isinstance(e, TradeEvent))
        assert trade.price == D("90000") and trade.amount == D("0.004") and not trade.is_buy
        fills = [e for e in events if isinstance(e, AccountTradeEvent)]
        assert {f.is_maker for f in fills} == {True, False}
        wallets = {(e.currency, e.balance) for e in events if isinstance(e, WalletEvent)}
        rest = {(b["currency"], b["balance"]) for b in server.exchange.balances(server.account_id)
                if b["wallet_type"] == "SPOT"}
        last = {}
        for e in events:
            if isinstance(e, WalletEvent):
                last[e.currency] = e.balance
        assert {(c, b) for c, b in last.items()} <= rest  # the feed agrees with REST
        assert wallets
        depth = [e for e in events if isinstance(e, DepthEvent)][-1]
        assert depth.bids[0] == (D("90000"), D("0.006"))
        if quirks:
            assert not any(isinstance(e, DiffEvent) for e in events)


@pytest.mark.parametrize("quirks", [False, True], ids=["sim", "live-quirks"])
async def test_topic_limit_and_reauth_after_drop(make_sim_server: Callable[..., SimServer],
                                                 quirks: bool) -> None:
    sim_server = make_sim_server(live_quirks=quirks)
    events: list[AnyEvent] = []
    stream = stream_for(sim_server, events)
    pairs = [p["name"] for p in sim_server.exchange.pairs()]
    topics = [f"trade.{p}" for p in pairs] + [f"market_depth.{p}" for p in pairs[:5]]
    assert len(topics) > 20
    await stream.subscribe(*topics)
    async with stream:
        await wait_until(None, lambda: all(stream.topic_live(t) for t in topics)
                               and stream.authenticated)
        assert stream.shard_count == 2 and not stream.refused()
        assert sim_server.feed is not None
        sim_server.feed.drop_connections()
        await wait_until(None, lambda: stream.connects >= 4, what="both reconnected")
        await wait_until(None, lambda: all(stream.topic_live(t) for t in topics)
                               and stream.authenticated)
        events.clear()
        place(sim_server, OrderSide.BID, "80000", "0.01")
        await wait_until(None, lambda: any(isinstance(e, OrderEvent) for e in events),
                         what="private")


async def _follow(server: SimServer) -> tuple[StreamClient, BookSync, AlpClient]:
    rest = AlpClient(server.base_url)

    async def fetch(pair: str) -> OrderBook:
        return await rest.orderbook(pair, group=1, limit_buy=20, limit_sell=20)

    sync = BookSync(PAIR, fetch)
    stream = StreamClient(ws_url_for(server.base_url))
    stream.add_listener(sync.on_event)
    await stream.subscribe(f"diff.{PAIR}")
    await stream.start()
    await wait_until(None, lambda: sync.book.seeded)
    return stream, sync, rest


def engine_book(server: SimServer) -> OrderBook:
    return OrderBook.model_validate(
        server.exchange.orderbook(PAIR, group=True, limit_buy=20, limit_sell=20))


ORDERS = st.lists(st.tuples(st.sampled_from([OrderSide.BID, OrderSide.ASK]),
                            st.integers(-30, 30), st.sampled_from(["0.001", "0.01", "0.0025"])),
                  min_size=1, max_size=20)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=ORDERS)
def test_local_book_follows_engine_diffs(sim_server: SimServer,
                                         orders: list[tuple[OrderSide, int, str]]) -> None:
    """Random limit orders (some crossing, some trading) — after each, the local book kept
    by diffs alone equals the engine's top 20."""
    async def scenario() -> None:
        stream, sync, rest = await _follow(sim_server)
        try:
            for side, offset, amount in orders:
                place(sim_server, side, D(90000) + offset * 10, amount)
                await wait_until(None, lambda: sync.book.matches(engine_book(sim_server)),
                                       what="book match")
            assert sync.resyncs == 0
        finally:
            await stream.aclose()
            await rest.aclose()

    asyncio.run(scenario())


async def test_market_life_keeps_local_book_right(make_sim_server: Callable[..., SimServer]
                                                  ) -> None:
    """With the market moving on its own, the book converges to the engine's whenever
    it is checked (resyncs allowed only on detected problems)."""
    server = make_sim_server(market_life=True, tick_s=0.05)
    stream, sync, rest = await _follow(server)
    rng = random.Random(5)
    try:
        for _ in range(5):
            place(server, rng.choice([OrderSide.BID, OrderSide.ASK]),
                  D(90000) + rng.randint(-50, 50) * 10, "0.001")
            await wait_until(None, lambda: sync.book.seeded
                                   and sync.book.matches(engine_book(server)),
                                   what="converged")
    finally:
        await stream.aclose()
        await rest.aclose()


async def test_feed_survives_a_server_restart(sim_server: SimServer) -> None:
    events: list[AnyEvent] = []
    stream = stream_for(sim_server, events)
    await stream.subscribe(f"trade.{PAIR}", f"market_depth.{PAIR}")
    async with stream:
        await wait_until(None, lambda: stream.topic_live(f"trade.{PAIR}") and stream.authenticated)
        await asyncio.to_thread(sim_server.restart)
        await wait_until(None, lambda: stream.connects >= 2 and stream.topic_live(f"trade.{PAIR}")
                               and stream.authenticated, what="reconnected after restart")
        events.clear()
        place(sim_server, OrderSide.BID, "90000", "0.01")
        place(sim_server, OrderSide.ASK, "90000", "0.01")
        await wait_until(None, lambda: any(isinstance(e, TradeEvent) for e in events)
                               and any(isinstance(e, OrderEvent) for e in events),
                         what="new engine")
