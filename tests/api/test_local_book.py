"""The local order book: diffs, depth frames, gap / crossed / negative resyncs, and a
property test that it follows the simulator's book step by step."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.api.client import AlpClient
from alp_tui.api.local_book import BookSync, DiffOutcome, LocalBook
from alp_tui.api.models import BookLevel, OrderBook
from alp_tui.api.stream import StreamClient
from alp_tui.api.stream_events import DepthEvent, DiffEvent
from tests.support.feed_server import FeedServer, rest_book
from tests.support.wait import wait_until

D = Decimal
PAIR = "BTC_USDT"


def diff(asks: list[tuple[str, str]] = (), bids: list[tuple[str, str]] = (),
         seq: int | None = None) -> DiffEvent:
    return DiffEvent(pair=PAIR, asks=tuple((D(p), D(a)) for p, a in asks),
                     bids=tuple((D(p), D(a)) for p, a in bids), seq=seq)


def seeded() -> LocalBook:
    book = LocalBook(PAIR)
    book.seed(OrderBook(buy=[BookLevel(price=D(99), amount=D(1))],
                        sell=[BookLevel(price=D(101), amount=D(2))]))
    return book


def test_diff_adds_changes_and_removes_levels() -> None:
    book = seeded()
    assert book.apply_diff(diff(asks=[("101", "-2"), ("102", "1.5")],
                                bids=[("99", "0.5"), ("98", "3")], seq=1)) is DiffOutcome.APPLIED
    bids, asks = book.levels()
    assert bids == [(D(99), D("1.5")), (D(98), D(3))]
    assert asks == [(D(102), D("1.5"))]


def test_unseeded_book_ignores_diffs() -> None:
    assert LocalBook(PAIR).apply_diff(diff(bids=[("1", "1")])) is DiffOutcome.IGNORED


def test_gap_crossed_negative_detected() -> None:
    book = seeded()
    assert book.apply_diff(diff(seq=5)) is DiffOutcome.APPLIED
    assert book.apply_diff(diff(seq=5)) is DiffOutcome.IGNORED  # replay
    assert book.apply_diff(diff(seq=7)) is DiffOutcome.GAP
    assert seeded().apply_diff(diff(bids=[("101.5", "1")])) is DiffOutcome.CROSSED
    assert seeded().apply_diff(diff(asks=[("101", "-3")])) is DiffOutcome.NEGATIVE


def test_depth_frame_replaces_everything() -> None:
    book = seeded()
    book.apply_depth(DepthEvent(pair=PAIR, asks=((D(105), D(1)),), bids=((D(95), D(2)),),
                                total_asks=D(1), total_bids=D(2)))
    assert book.levels() == ([(D(95), D(2))], [(D(105), D(1))])


async def test_verify_finds_a_silent_loss_and_resyncs() -> None:
    truth = OrderBook(buy=[BookLevel(price=D(99), amount=D(4))], sell=[])

    async def fetch(pair: str) -> OrderBook:
        return truth

    sync = BookSync(PAIR, fetch)
    await sync.resync()
    assert await sync.verify() is True
    sync.book.apply_diff(diff(bids=[("99", "-1")]))  # a change REST never saw
    assert await sync.verify() is False
    assert sync.book.matches(truth) and sync.resyncs == 1


async def _stream_book(server: FeedServer, use_http: bool = False) -> tuple[
        StreamClient, BookSync, AlpClient | None]:
    rest = AlpClient(f"http://127.0.0.1:{server.port}/api/v3") if use_http else None

    async def fetch(pair: str) -> OrderBook:
        if rest is not None:
            return await rest.orderbook(pair, limit_buy=20, limit_sell=20)
        return await rest_book(server, pair)

    sync = BookSync(PAIR, fetch)
    client = StreamClient(server.ws_url, backoff_initial_s=0.01, backoff_max_s=0.05)
    client.add_listener(sync.on_event)
    await client.subscribe(f"diff.{PAIR}")
    await client.start()
    await wait_until(None, lambda: sync.book.seeded, what="seeded")
    return client, sync, rest


def matches_exchange(server: FeedServer, sync: BookSync) -> bool:
    raw = server.exchange.orderbook(PAIR, limit_buy=20, limit_sell=20)
    return sync.book.matches(OrderBook.model_validate(raw))


async def test_diff_gap_triggers_resync(sim_feed: FeedServer) -> None:
    ex = sim_feed.exchange
    ex.set_level(PAIR, "buy", "99", "1")
    client, sync, rest = await _stream_book(sim_feed, use_http=True)
    try:
        ex.set_level(PAIR, "buy", "98", "1")
        await wait_until(None, lambda: matches_exchange(sim_feed, sync))
        sim_feed.call(sim_feed.hub.drop_next_diffs, PAIR, 1)
        seq = sim_feed.hub.diff_seq(PAIR)
        ex.set_level(PAIR, "buy", "97", "1")  # withheld
        await wait_until(None, lambda: sim_feed.hub.diff_seq(PAIR) == seq + 1)
        ex.set_level(PAIR, "sell", "105", "2")  # arrives with a gap in seq
        await wait_until(None, lambda: sync.resyncs == 1, what="resync")
        assert sync.last_resync_reason == "gap"
        await wait_until(None, lambda: sync.book.seeded and matches_exchange(sim_feed, sync))
    finally:
        await client.aclose()
        if rest is not None:
            await rest.aclose()


async def test_reconnect_reseeds_the_book(sim_feed: FeedServer) -> None:
    ex = sim_feed.exchange
    client, sync, _ = await _stream_book(sim_feed)
    try:
        sim_feed.hub.faults.refuse_connections = True
        sim_feed.call(sim_feed.hub.drop_connections)
        await wait_until(None, lambda: client.connects >= 1
                               and not client.topic_live(f"diff.{PAIR}"))
        ex.set_level(PAIR, "sell", "110", "1")  # changes while disconnected
        sim_feed.hub.faults.refuse_connections = False
        await wait_until(None, lambda: client.topic_live(f"diff.{PAIR}"))
        await wait_until(None, lambda: sync.book.seeded and matches_exchange(sim_feed, sync))
    finally:
        await client.aclose()


OPS = st.lists(
    st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 25),
              st.sampled_from(["0", "0.5", "1.25", "3", "0.00000001"])),
    min_size=1, max_size=25,
)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_local_book_equals_sim_book_after_every_diff(sim_feed: FeedServer,
                                                      ops: list[tuple[str, int, str]]) -> None:
    async def scenario() -> None:
        ex = sim_feed.exchange
        client, sync, _ = await _stream_book(sim_feed)
        try:
            for side, offset, amount in ops:
                price = D(100) - offset if side == "buy" else D(100) + offset
                ex.set_level(PAIR, side, price, amount)
                await wait_until(None, lambda: matches_exchange(sim_feed, sync), what="book match")
            assert sync.resyncs == 0  # diffs alone kept it right
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_snapshot_is_exact(sim_feed: Any) -> None:
    book = seeded()
    snap = book.snapshot()
    assert snap.buy[0].price == D(99) and snap.sell[0].amount == D(2)
