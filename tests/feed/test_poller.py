"""The polling scheduler, driven by a fake clock: no real waiting."""

from __future__ import annotations

import asyncio

import pytest

from alp_tui.api.errors import AuthError, NetworkError, RateLimitedError
from alp_tui.feed.poller import (
    MAX_BACKOFF_S,
    Feed,
    FeedParams,
    Gate,
    TopicPoller,
    TopicSpec,
    backoff_delay,
)
from alp_tui.feed.state import Freshness
from alp_tui.feed.stats import EndpointStats, ErrorLog


class FakeTime:
    """A clock that only moves when the scheduler sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float, wake: asyncio.Event) -> None:
        self.sleeps.append(delay)
        if not wake.is_set():
            self.now += min(delay, 5.0)
        await asyncio.sleep(0)


class Recorder:
    def __init__(self) -> None:
        self.updates: list[tuple[str, FeedParams, object]] = []
        self.states: list[tuple[str, Freshness]] = []

    def on_update(self, topic, params, data):
        self.updates.append((topic, params, data))

    def on_state(self, topic, state):
        self.states.append((topic, state.kind))


def make_poller(fetch, *, private=False, depends=("pair",), interval=2.0, rng=lambda: 0.0):
    ft = FakeTime()
    rec = Recorder()
    gate = Gate(ft.clock)
    spec = TopicSpec("book", fetch, interval, private=private, depends_on=frozenset(depends))
    poller = TopicPoller(
        spec, gate, on_update=rec.on_update, on_state=rec.on_state, errors=ErrorLog(),
        sleep=ft.sleep, rng=rng, params=FeedParams(pair="BTC_USDT"),
    )
    return poller, ft, rec


async def test_success_delivers_and_is_fresh():
    async def fetch(params):
        return f"book {params.pair}"

    poller, ft, rec = make_poller(fetch)
    delay = await poller.poll_once()
    assert delay == 2.0
    assert rec.updates == [("book", FeedParams(pair="BTC_USDT"), "book BTC_USDT")]
    assert poller.state.kind is Freshness.FRESH
    assert poller.state.updated_at == ft.now
    # after three intervals without data the state reads stale
    assert poller.state.effective(ft.now + 7) is Freshness.STALE


def test_backoff_grows_with_jitter_and_cap():
    assert backoff_delay(2, 0, lambda: 0.0) == 1.0
    assert backoff_delay(2, 0, lambda: 1.0) == 2.0
    assert backoff_delay(2, 3, lambda: 1.0) == 16.0
    assert backoff_delay(2, 20, lambda: 1.0) == MAX_BACKOFF_S


async def test_errors_back_off_then_recover():
    answers: list[object] = [ValueError("malformed answer"), NetworkError("refused"), "ok"]

    async def fetch(params):
        item = answers.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    poller, _ft, _rec = make_poller(fetch, rng=lambda: 1.0)
    first = await poller.poll_once()
    assert poller.state.kind is Freshness.ERROR
    assert poller.state.error == "malformed answer"
    second = await poller.poll_once()
    assert poller.state.kind is Freshness.OFFLINE
    assert second > first
    assert len(poller.errors) == 2
    assert await poller.poll_once() == 2.0
    assert poller.state.kind is Freshness.FRESH and poller.failures == 0


async def test_rate_limit_pauses_its_topic_by_retry_after():
    calls = 0

    async def fetch(params):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimitedError("too many requests", retry_after=7)
        return "ok"

    poller, ft, _rec = make_poller(fetch)
    start = ft.now
    assert await poller.poll_once() == 0.0
    assert poller.state.kind is Freshness.PAUSED
    assert poller.gate.pause_left("book") == pytest.approx(7)
    assert poller.gate.pause_left("trades") == 0  # other topics keep going
    assert "rate limited, resuming in 7s" in poller.state.describe(ft.now)
    # the next poll waits out the pause before asking again
    await poller.poll_once()
    assert ft.now - start >= 7
    assert calls == 2 and poller.state.kind is Freshness.FRESH


async def test_rate_limit_without_retry_after_still_pauses():
    async def fetch(params):
        raise RateLimitedError("too many requests")

    poller, _ft, _rec = make_poller(fetch)
    await poller.poll_once()
    assert poller.gate.pause_left("book") >= 10


async def test_two_private_401s_stop_private_polling_until_retry():
    calls = 0

    async def fetch(params):
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise AuthError("key refused")
        return "balances"

    poller, _ft, _rec = make_poller(fetch, private=True)
    await poller.poll_once()
    assert poller.state.kind is Freshness.ERROR
    await poller.poll_once()
    assert poller.state.kind is Freshness.AUTH
    task = asyncio.ensure_future(poller.poll_once())
    for _ in range(20):
        await asyncio.sleep(0)
    assert calls == 2 and not task.done()
    poller.gate.resume_auth()
    await asyncio.wait_for(task, 1)
    assert calls == 3 and poller.state.kind is Freshness.FRESH


async def test_public_401_is_just_an_error():
    async def fetch(params):
        raise AuthError("unknown path")

    poller, _ft, _rec = make_poller(fetch)
    for _ in range(3):
        await poller.poll_once()
    assert poller.state.kind is Freshness.ERROR
    assert not poller.gate.auth_blocked


async def test_pair_switch_cancels_in_flight_and_drops_old_answer():
    release = asyncio.Event()
    seen: list[str] = []

    async def fetch(params):
        seen.append(params.pair)
        if params.pair == "BTC_USDT":
            await release.wait()
        return f"book {params.pair}"

    poller, _ft, rec = make_poller(fetch)
    task = asyncio.ensure_future(poller.poll_once())
    for _ in range(5):
        await asyncio.sleep(0)
    assert poller.in_flight
    poller.set_params(FeedParams(pair="ETH_USDT"))
    assert poller.state.kind is Freshness.LOADING
    assert await asyncio.wait_for(task, 1) == 0.0
    release.set()
    await poller.poll_once()
    assert seen == ["BTC_USDT", "ETH_USDT"]
    assert [u[2] for u in rec.updates] == ["book ETH_USDT"]


async def test_late_answer_for_old_pair_is_dropped():
    poller_ref: list[TopicPoller] = []

    async def fetch(params):
        # the pair changes while this answer is on its way (and it ignores cancellation)
        poller_ref[0].generation += 1
        return "old"

    poller, _ft, rec = make_poller(fetch)
    poller_ref.append(poller)
    assert await poller.poll_once() == 0.0
    assert rec.updates == [] and poller.dropped == 1


async def test_interval_change_only_restarts_dependent_topics():
    poller, _ft, _rec = make_poller(lambda p: asyncio.sleep(0, "x"), depends=("pair",))
    await poller.poll_once()
    poller.set_params(FeedParams(pair="BTC_USDT", interval=15))
    assert poller.state.kind is Freshness.FRESH
    poller.set_params(FeedParams(pair="ETH_USDT", interval=15))
    assert poller.state.kind is Freshness.LOADING


async def test_hidden_topic_is_not_polled():
    calls = 0

    async def fetch(params):
        nonlocal calls
        calls += 1
        return "x"

    poller, _ft, _rec = make_poller(fetch)
    poller.set_active(False)
    task = asyncio.ensure_future(poller.poll_once())
    for _ in range(20):
        await asyncio.sleep(0)
    assert calls == 0
    poller.set_active(True)
    await asyncio.wait_for(task, 1)
    assert calls == 1


async def test_feed_topics_refresh_concurrently_never_two_in_flight_per_topic():
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}
    overlap = 0
    started = asyncio.Event()
    gate_open = asyncio.Event()

    def fetcher(name):
        async def fetch(params):
            nonlocal overlap
            in_flight[name] = in_flight.get(name, 0) + 1
            peak[name] = max(peak.get(name, 0), in_flight[name])
            overlap = max(overlap, sum(in_flight.values()))
            if overlap == 3:
                started.set()
            await gate_open.wait()
            in_flight[name] -= 1
            return name
        return fetch

    rec = Recorder()
    specs = [TopicSpec(n, fetcher(n), 0.01) for n in ("tickers", "orderbook", "trades")]
    feed = Feed(specs, on_update=rec.on_update, on_state=rec.on_state,
                params=FeedParams(pair="BTC_USDT"))
    tasks = [asyncio.ensure_future(p.run()) for p in feed.pollers.values()]
    await asyncio.wait_for(started.wait(), 2)
    for _ in range(5):
        feed.refresh_now()
        await asyncio.sleep(0)
    gate_open.set()
    for _ in range(50):
        if len(rec.updates) >= 9:
            break
        await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert overlap == 3
    assert max(peak.values()) == 1
    assert {u[0] for u in rec.updates} == {"tickers", "orderbook", "trades"}


async def test_feed_private_topics_disabled_without_credentials():
    rec = Recorder()
    feed = Feed(
        [TopicSpec("balances", lambda p: asyncio.sleep(0), 1, private=True)],
        on_update=rec.on_update, on_state=rec.on_state, has_credentials=False,
    )
    assert feed.pollers["balances"].state.kind is Freshness.DISABLED


def test_endpoint_stats():
    now = [0.0]
    stats = EndpointStats(clock=lambda: now[0])
    stats.observe({"path": "/ticker", "method": "GET", "status": 200, "latency_s": 0.02})
    now[0] = 30
    stats.observe({"path": "/ticker", "method": "GET", "status": 500, "latency_s": 0.05,
                   "error": "ServerError"})
    now[0] = 70
    (stat,) = stats.snapshot()
    assert stat.endpoint == "GET /ticker"
    assert stat.last_latency_s == 0.05
    assert stat.errors == 1 and stat.total == 2
    assert stat.requests_last_minute(now[0]) == 1
