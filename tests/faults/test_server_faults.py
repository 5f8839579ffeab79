"""Matrix rows: 429 with Retry-After, 5xx with an HTML body, 200 with a broken body —
through the client and through the dashboard's panes and status lines."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import BadResponseError, RateLimitedError, ServerError
from alp_tui.api.models import OrderBook
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.messages import FeedData
from tests.support.dashboard import (
    SIZE,
    FastSleep,
    Recorder,
    dashboard,
    fast_config,
    kind_of,
    pane_text,
)
from tests.support.wait import wait_until

BOOK = "/api/v3/orderbook"


@pytest.fixture
async def client(sim_server: SimServer, recorder: Recorder) -> AsyncIterator[AlpClient]:
    """The matrix's recorded client with a generous timeout: no test here is about a
    timeout, and on a loaded machine the 1 s one turned the fault a test asked for (a
    malformed ticker, a 5xx) into "did not answer"."""
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         timeout_s=10.0) as c:
        c.add_observer(recorder)
        yield c


# --- 429 -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
async def test_429_retry_after_is_honoured_by_the_client(sim_server: SimServer,
                                                         client: AlpClient,
                                                         recorder: Recorder, fmt: str) -> None:
    sim_server.faults.add(FaultRule(kind="rate_limit", path=BOOK, count=1, retry_after=1,
                                    retry_after_format=fmt))  # type: ignore[arg-type]
    with pytest.raises(RateLimitedError) as info:
        await client.orderbook("BTC_USDT")
    err = info.value
    assert err.retry_after is not None and err.retry_after > 0
    got_429 = recorder.to("/orderbook")[-1]
    answered_at = got_429.started_at + got_429.latency_s
    # every caller of this client waits: the next call goes out only after the pause
    assert client.paused_for() > 0
    book = await client.orderbook("BTC_USDT")
    assert isinstance(book, OrderBook)
    nxt = recorder.to("/orderbook")[-1]
    assert nxt.started_at >= answered_at + err.retry_after - 0.01


class StateLog:
    """Every state each poller hands the app for its pane's status line, recorded at the
    source (the app's state messages coalesce, so a short pause may never be drawn on a
    loaded machine, but it is always sent)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, FeedState]] = []

    def attach(self, app: Any, *topics: str) -> None:
        """Wrap the pollers' ``on_state`` callbacks."""
        for topic in topics:
            poller = app.feed.pollers[topic]
            original = poller.on_state

            def record(name: str, state: FeedState, original: Any = original) -> None:
                self.items.append((name, state))
                original(name, state)

            poller.on_state = record

    def texts(self, topic: str, kind: Freshness, start: int = 0) -> list[str]:
        """Status texts of ``topic`` in ``kind`` states, from item ``start`` on."""
        return [s.describe() for t, s in self.items[start:] if t == topic and s.kind is kind]


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
async def test_429_pauses_the_panes_and_says_so(sim_server: SimServer, fmt: str) -> None:
    recorder = Recorder()
    log = StateLog()
    # A long timeout: on a loaded machine the one 429 must not be lost to a client timeout
    # (then the pane says "error: timeout", never "rate limited", and the wait hangs).
    app = dashboard(sim_server, recorder=recorder, timeout_s=30)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh")
        log.attach(app, "orderbook", "trades")
        rule = sim_server.faults.add(FaultRule(
            kind="rate_limit", path=BOOK, count=1, retry_after=1.5 if fmt == "seconds" else 2,
            retry_after_format=fmt))  # type: ignore[arg-type]
        await wait_until(pilot, lambda: rule.fired == 1
                         and log.texts("orderbook", Freshness.PAUSED) != [], what="book paused")
        # fresh *after* the pause: a poll in flight when the rule was added may have turned
        # the book fresh once more before the 429 (the app then closed before it polled again)
        paused_at = next(i for i, (t, s) in enumerate(log.items)
                         if t == "orderbook" and s.kind is Freshness.PAUSED)
        await wait_until(pilot, lambda: log.texts("orderbook", Freshness.FRESH, paused_at) != [],
                         what="book fresh after the pause")
    paused = log.texts("orderbook", Freshness.PAUSED)
    assert paused[0].startswith("rate limited, resuming in")
    # the pause is the order book's alone: the trades pane never says "rate limited"
    assert not log.texts("trades", Freshness.PAUSED)
    limited = next(r for r in recorder.to("/orderbook") if r.status == 429)
    answered = limited.started_at + limited.latency_s
    after = [r for r in recorder.records if r.started_at > limited.started_at
             and r.path == "/orderbook"]
    assert after, "the pane polled again after the pause"
    first = min(r.started_at for r in after)
    if fmt == "seconds":
        assert first >= answered + 1.5 - 0.01
    else:  # never before the date the server named
        assert first >= answered + 1.0 - 0.01


def test_retry_after_http_date_measured_on_the_servers_clock() -> None:
    from alp_tui.api.responses import parse_retry_after

    date = "Wed, 25 Nov 2026 23:00:00 GMT"
    until = "Wed, 25 Nov 2026 23:00:07 GMT"
    # a local clock 5 minutes fast changes nothing: the answer's Date header is the reference
    skewed = parsedate_to_datetime(date).timestamp() + 300
    assert parse_retry_after(until, date_header=date, now=skewed) == 7.0


# --- 5xx with HTML ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_html_is_a_typed_server_error(sim_server: SimServer, client: AlpClient,
                                                status: int) -> None:
    sim_server.faults.add(FaultRule(kind="status", path=BOOK, status=status, count=1))
    with pytest.raises(ServerError) as info:
        await client.orderbook("BTC_USDT")
    err = info.value
    assert err.status == status and err.endpoint == "/orderbook"
    text = str(err)
    assert f"HTTP {status}" in text
    assert "<" not in text and "nginx" not in text and "Traceback" not in text


async def test_5xx_backs_off_with_jitter_then_recovers(sim_server: SimServer) -> None:
    sleep = FastSleep()
    config = fast_config()
    app = dashboard(sim_server, sleep=sleep, config=config)
    intervals = {float(v) for v in config.polling.model_dump().values()}
    log = StateLog()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH,
                         what="book fresh")
        log.attach(app, "orderbook")
        rule = sim_server.faults.add(FaultRule(kind="status", path=BOOK, status=503, count=4))
        await wait_until(pilot, lambda: rule.fired >= 4 and kind_of(app, "orderbook")
                         is Freshness.FRESH, timeout=60, what="recovered")
    shown = [t for t in log.texts("orderbook", Freshness.ERROR) if "HTTP 503" in t]
    assert shown and all("error:" in t and "<html" not in t for t in shown)
    backoffs = [d for d in sleep.delays if d not in intervals and 0.2 < d < 3600]
    assert len(backoffs) >= 3
    assert len(set(backoffs)) == len(backoffs)  # jittered: no two waits alike
    assert any(e.topic == "orderbook" and "503" in e.message for e in app.errors.items())


# --- 200 with a broken body -------------------------------------------------------------

VARIANTS = ["invalid_json", "empty", "wrong_shape", "wrong_type"]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_malformed_200_is_a_bad_response_naming_the_endpoint(
        sim_server: SimServer, client: AlpClient, variant: str) -> None:
    sim_server.faults.add(FaultRule(kind="malformed", path=BOOK, variant=variant, count=1))
    with pytest.raises(BadResponseError) as info:
        await client.orderbook("BTC_USDT")
    assert info.value.endpoint == "/orderbook"
    assert "/orderbook" in str(info.value)


@pytest.mark.parametrize("path,call", [
    ("/api/v3/ticker", lambda c: c.ticker("BTC_USDT")),
    ("/api/v3/trades", lambda c: c.trades("BTC_USDT")),
    ("/api/v3/accounts/balances", lambda c: c.balances()),
    ("/api/v3/accounts/order", lambda c: c.orders()),
    ("/api/v3/charts", lambda c: c.charts("BTC_USDT", 60)),
])
async def test_wrong_type_fields_on_other_endpoints(sim_server: SimServer, client: AlpClient,
                                                    path: str, call: Any) -> None:
    if path.startswith("/api/v3/accounts/order"):
        await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                 limit_price="90000")
    sim_server.faults.add(FaultRule(kind="malformed", path=path, variant="wrong_type",
                                    count=1))
    with pytest.raises(BadResponseError) as info:
        await call(client)
    assert info.value.endpoint == path.removeprefix("/api/v3")


@pytest.mark.parametrize("variant", VARIANTS)
async def test_pane_keeps_last_good_data_marked_stale(sim_server: SimServer,
                                                      variant: str) -> None:
    messages: list[Any] = []
    app = dashboard(sim_server)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        (pane,) = app.data_panes("orderbook")
        # fresh *and* drawn: the state can turn fresh a moment before its data is handled
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH
                         and any(isinstance(m, FeedData) and m.topic == "orderbook"
                                 for m in messages), what="book fresh and shown")
        shown = getattr(pane, "book", None)
        good = [m for m in messages if isinstance(m, FeedData) and m.topic == "orderbook"]
        sim_server.faults.add(FaultRule(kind="malformed", path=BOOK, variant=variant))
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.ERROR,
                         what="book error")
        t0 = time.monotonic()
        await wait_until(pilot, lambda: time.monotonic() - t0 > 0.3, what="a few polls")
        text = pane_text(app, "orderbook")
        state = app.topic_states["orderbook"]
        after = [m for m in messages if isinstance(m, FeedData) and m.topic == "orderbook"]
        sim_server.faults.clear()
    assert len(after) == len(good)  # nothing from the broken answers reached the pane
    assert getattr(pane, "book", None) is shown
    assert state.updated_at is not None  # the last good data's time is kept
    assert "/orderbook" in text and "stale data" in text
