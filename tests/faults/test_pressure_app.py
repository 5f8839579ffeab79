"""Findings 1, 2 and 4 of #14 through the dashboard (the feed-level proofs are in
``tests/feed/test_rate_limit_scope.py`` and ``tests/feed/test_stream_pressure.py``).

- one sick endpoint (GET /accounts/order always 429, Retry-After 2) beside other sick ones:
  the healthy book keeps being fetched and never says "rate limited"; the header names the
  paused endpoint; the repeating 429 is one line of the error log;
- `g` toggles the book's grouping live while the stream feeds it;
- a simulator restart: the stream re-authenticates and the header badge tells the truth.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.config import Config
from alp_tui.feed.state import Freshness
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import AlpApp, create_app
from tests.support.dashboard import SIZE, Recorder, dashboard, kind_of, pane_text
from tests.support.wait import wait_until

pytestmark = pytest.mark.timeout(120)
PAIR = "BTC_USDT"


async def test_a_429ing_endpoint_leaves_the_healthy_panes_alone(
        sim_server: SimServer) -> None:
    recorder = Recorder()
    # A long timeout: at load 12 a GET /accounts/order took over the default 5 s, and its
    # "did not answer" was a second error line beside the one the 429s make.
    app = dashboard(sim_server, keys=True, recorder=recorder, timeout_s=30)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: kind_of(app, "orderbook") is Freshness.FRESH
                         and kind_of(app, "orders") is Freshness.FRESH, what="fresh")
        book_states: list[Freshness] = []
        sim_server.faults.add(FaultRule(kind="rate_limit", path="/accounts/order",
                                        method="GET", retry_after=2))
        sim_server.faults.add(FaultRule(kind="status", status=503, path="/charts"))
        sim_server.faults.add(FaultRule(kind="drop", path="/trades"))
        await wait_until(pilot, lambda: kind_of(app, "orders") is Freshness.PAUSED,
                         what="orders paused")
        start = len(recorder.to("/orderbook"))
        assert app.feed is not None
        # GET /accounts/order feeds two topics (open orders, history): each backs off
        sick = [p for p in ("orders", "history") if app.feed.pollers[p].active]
        asked = {p: app.feed.pollers[p].requests for p in sick}
        header = app.header_pane
        seen_header: set[str] = set()
        # The sick endpoint is counted over its first 30 s at most, however long the 30 book
        # fetches take: on a loaded machine they took longer, and a fixed count of polls
        # let the backed-off endpoint have its 6th turn (2+2+4+8+16+16 s, jitter at worst).
        window_end = time.monotonic() + 30
        in_window = dict(asked)

        def watch() -> bool:
            book_states.append(kind_of(app, "orderbook"))  # type: ignore[arg-type]
            seen_header.add(header.connection)
            if time.monotonic() < window_end:
                in_window.update({p: app.feed.pollers[p].requests for p in sick})
            return len(recorder.to("/orderbook")) - start >= 30

        await wait_until(pilot, watch, what="30 book fetches", timeout=60)
        assert Freshness.PAUSED not in book_states  # never "rate limited"
        assert "rate limited" not in pane_text(app, "orderbook")
        assert "rate limited" in pane_text(app, "orders")
        assert any("paused:" in h and "orders" in h.split("paused:")[1]
                   for h in seen_header), seen_header
        # the sick endpoint is asked less and less often: Retry-After, then backoff
        for name in sick:
            assert in_window[name] - asked[name] <= 5, name
        limited = [e for e in app.errors.items() if e.topic == "orders"]
        assert len(limited) == 1 and limited[0].count >= 2


def _bid(server: SimServer, price: Decimal) -> None:
    server.exchange.place_order(server.account_id, {
        "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": OrderSide.BID,
        "wallet_type": WalletType.SPOT, "base_amount": Decimal("0.01"),
        "limit_price": price})


def _streaming_app(server: SimServer) -> AlpApp:
    app = create_app(Config(), base_url=server.base_url, api_key=server.api_key,
                     api_secret=server.api_secret, mode="demo", stream=True)
    return app


async def test_g_toggles_the_grouping_live_while_streaming(sim_server: SimServer) -> None:
    app = _streaming_app(sim_server)
    async with app.run_test(size=SIZE) as pilot:
        assert app.stream_feed is not None
        book = app.data_panes("orderbook")[0]
        seen: list[Any] = []
        show = book.show_data

        def spy(data: Any) -> Any:
            seen.append(data)
            return show(data)

        book.show_data = spy  # type: ignore[method-assign]
        await wait_until(pilot, lambda: bool(seen) and seen[-1].buy, what="a book")
        book.focus()
        # grouped by default: the stream serves the book, no key needed
        await wait_until(pilot, lambda: book.grouped
                         and app.stream_feed.is_streaming("orderbook"), what="streamed")
        best = seen[-1].buy[0].price
        top = best + 1
        _bid(sim_server, top)
        _bid(sim_server, top)  # two orders at one price
        # grouped and streamed: one row at that price holding both
        await wait_until(pilot, lambda: seen[-1].buy[0].price == top
                         and seen[-1].buy[1].price != top, what="grouped level on screen")
        assert seen[-1].buy[0].amount == Decimal("0.02")
        await pilot.press("g")  # ungrouped: one row per order, polled
        await wait_until(pilot, lambda: not book.grouped and len(seen[-1].buy) > 1
                         and seen[-1].buy[0].price == seen[-1].buy[1].price == top,
                         what="ungrouped rows on screen")
        assert not app.stream_feed.is_streaming("orderbook")
        assert "ungrouped" in pane_text(app, "orderbook") or not book.grouped
        await pilot.press("g")  # grouped again: streamed again, one row
        await wait_until(pilot, lambda: book.grouped and seen[-1].buy[0].price == top
                         and seen[-1].buy[1].price != top
                         and app.stream_feed.is_streaming("orderbook"),
                         what="grouped again, streamed")
        await app.stream_feed.aclose()


async def test_after_a_simulator_restart_the_stream_reauthenticates_and_the_badge_says_so(
        make_sim_server: Any) -> None:
    first: SimServer = make_sim_server(seed=1, market_life=True, tick_s=0.5)
    app = _streaming_app(first)
    second: SimServer | None = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert app.stream_feed is not None
            stream = app.stream_feed.stream
            stream.backoff_initial_s = 0.01
            stream.backoff_max_s = 0.2
            stream.auth_backoff_max_s = 0.5
            header = app.header_pane
            badges: list[str] = []

            def badge_is(word: str) -> bool:
                badges.append(header.connection)
                return header.connection.split(" ")[0] == word

            await wait_until(pilot, lambda: badge_is("STREAM")
                             and app.stream_feed.is_streaming("orders"),
                             what="private data streamed")
            first.stop()
            # A new signing key: the old token is refused; POST /auth fails for a while.
            second = SimServer(port=first.port, api_key=first.api_key,
                               api_secret=first.api_secret, seed=1, market_life=True,
                               tick_s=0.5)
            auth_down = second.faults.add(FaultRule(kind="status", path="/auth",
                                                    status=503))
            second.start()
            await wait_until(pilot, lambda: auth_down.fired >= 1 and badge_is("STREAM·POLL"),
                             what="STREAM·POLL while re-auth fails")
            assert not app.stream_feed.is_streaming("orders")
            second.faults.clear()
            await wait_until(pilot, lambda: badge_is("STREAM") and stream.authenticated,
                             what="STREAM again")
            await wait_until(pilot, lambda: app.stream_feed.is_streaming("orders"),
                             what="private data streamed again")
            await app.stream_feed.aclose()
    finally:
        if second is not None:
            second.stop()
