"""The streaming client against the simulator's feed: subscribe, shard, reconnect, re-auth,
dead-connection detection, text pings."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from alp_tui.api.stream import StreamClient, StreamState, _chunks
from alp_tui.api.stream_events import AnyEvent, OrderEvent, TradeEvent
from tests.support.wait import wait_until

D = Decimal


def make_client(server: Any, **kw: Any) -> tuple[StreamClient, list[AnyEvent]]:
    events: list[AnyEvent] = []

    async def token() -> str:
        return "good-token"

    kw.setdefault("backoff_initial_s", 0.01)
    kw.setdefault("backoff_max_s", 0.05)
    kw.setdefault("rng", random.Random(1))
    client = StreamClient(server.ws_url, token_provider=kw.pop("token", token), **kw)
    client.add_listener(events.append)
    return client, events


def trades(events: list[AnyEvent]) -> list[TradeEvent]:
    return [e for e in events if isinstance(e, TradeEvent)]


async def test_subscribe_then_events_flow(feed_server: Any) -> None:
    client, events = make_client(feed_server)
    await client.subscribe("trade.BTC_USDT", "diff.NOPE_USDT")
    async with client:
        await wait_until(None, lambda: client.topic_live("trade.BTC_USDT"), what="ack")
        await wait_until(None, lambda: "diff.NOPE_USDT" in client.refused(), what="refusal")
        assert client.state is StreamState.CONNECTED
        feed_server.exchange.trade("BTC_USDT", "101.25", "0.5")
        await wait_until(None, lambda: len(trades(events)) == 1, what="trade")
        assert trades(events)[0].price == D("101.25")
        assert "trade.BTC_USDT" in client.last_event_at
    assert client.state is StreamState.CLOSED


async def test_topics_sharded_under_the_limit(sim_feed: Any) -> None:
    client, _ = make_client(sim_feed, token=None)
    topics = [f"rates.C{i}_USDT" for i in range(45)]
    async with client:
        await client.subscribe(*topics)
        await wait_until(None, lambda: all(client.topic_live(t) for t in topics), what="all acked")
        assert client.shard_count == 3
        assert sim_feed.hub.connections == 3
        assert not client.refused()
        await client.unsubscribe(*topics[:5])
        await client.subscribe("trade.*")
        await wait_until(None, lambda: client.topic_live("trade.*"))
        assert client.shard_count == 3


def test_subscribe_commands_stay_small() -> None:
    topics = [f"market_depth.PAIR{i:03d}_USDT" for i in range(20)]
    frames = _chunks("subscribe", topics, 300)
    assert len(frames) > 1 and all(len(f) <= 300 for f in frames)
    assert [t for f in frames for t in json.loads(f)[1:]] == topics


async def test_reconnect_resubscribes_and_reauthenticates(feed_server: Any) -> None:
    client, events = make_client(feed_server)
    await client.subscribe("trade.*", "market_depth.BTC_USDT")
    async with client:
        await wait_until(None, lambda: client.authenticated and client.topic_live("trade.*"))
        assert feed_server.call(feed_server.hub.drop_connections) == 1
        await wait_until(None, lambda: client.connects == 2, what="reconnect")
        await wait_until(None, lambda: client.authenticated and client.topic_live("trade.*")
                               and client.topic_live("market_depth.BTC_USDT"), what="resubscribed")
        feed_server.exchange.trade("BTC_USDT", "100", "1")
        feed_server.exchange.emit_private({"type": "order", "account_id": 7, "order": {
            "id": 1, "pair": "BTC_USDT", "side": "ASK", "type": "LIMIT", "amount": D(1),
            "price": D(100), "amount_filled": D(0), "status": "OPEN"}})
        await wait_until(None, lambda: trades(events)
                               and any(isinstance(e, OrderEvent) for e in events))


async def test_refused_connections_back_off_then_recover(feed_server: Any) -> None:
    client, _ = make_client(feed_server)
    await client.subscribe("trade.*")
    feed_server.hub.faults.refuse_connections = True
    async with client:
        await wait_until(None, lambda: client.state is StreamState.BACKOFF, what="backoff")
        feed_server.hub.faults.refuse_connections = False
        await wait_until(None, lambda: client.topic_live("trade.*"), what="recovery")


async def test_dead_connection_detected(feed_server: Any) -> None:
    client, _ = make_client(feed_server, dead_timeout_s=0.2)
    await client.subscribe("trade.*")
    async with client:
        await wait_until(None, lambda: client.topic_live("trade.*"))
        feed_server.hub.faults.silent = True
        await wait_until(None, lambda: client.dead_detections >= 1, what="dead detection")
        await wait_until(None, lambda: not client.topic_live("trade.*"), what="marked down")
        feed_server.hub.faults.silent = False
        await wait_until(None, lambda: client.topic_live("trade.*"), what="back")


async def test_text_ping_answered_and_never_sent_unprompted(feed_server: Any) -> None:
    client, _ = make_client(feed_server, token=None)
    await client.subscribe("trade.*")
    async with client:
        await wait_until(None, lambda: client.topic_live("trade.*"))
        assert feed_server.call(feed_server.hub.send_text_pings) == 1
        await wait_until(None, lambda: feed_server.hub.text_pongs == 1, what="pong")
        # the server closes on any unprompted 1/2: still one connection, never reconnected
        assert client.connects == 1 and client.state is StreamState.CONNECTED


def test_backoff_grows_with_jitter_and_caps() -> None:
    client = StreamClient("ws://x", backoff_initial_s=1, backoff_max_s=8, rng=random.Random(3))
    delays = [client.backoff_delay(a) for a in range(6)]
    for attempt, delay in enumerate(delays):
        base = min(8, 2**attempt)
        assert base / 2 <= delay <= base
    assert len({round(d, 6) for d in delays}) == len(delays)


async def test_refused_auth_is_never_taken_for_granted(feed_server: Any) -> None:
    async def bad() -> str:
        return "bad-token"

    client, _ = make_client(feed_server, token=bad, auth_grace_s=0.0)
    await client.subscribe("trade.*")
    async with client:
        await wait_until(None, lambda: client.topic_live("trade.*"))
        await wait_until(None, lambda: client._shards[0].auth_refused, what="refusal")
        assert not client.authenticated
