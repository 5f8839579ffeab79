"""Failing endpoints, malformed answers, rate limits and coalescing, with a fake client."""

from __future__ import annotations

from typing import Any

from textual.app import App

from alp_tui.api.errors import BadResponseError, RateLimitedError
from alp_tui.config import Config
from alp_tui.feed.poller import FeedParams
from alp_tui.feed.state import Freshness
from alp_tui.ui.app import create_app
from alp_tui.ui.messages import FeedData
from alp_tui.ui.screens.error_log import ErrorLogScreen
from tests.support.dashboard import all_fresh
from tests.support.fake_client import FakeClient
from tests.support.wait import wait_until


def fake_app(client: FakeClient) -> Any:
    return create_app(Config(), client_factory=lambda: client, api_key="", api_secret="",
                      mode="demo")


async def test_failing_endpoint_shows_error_and_recovers():
    client = FakeClient(8)
    client.fail["orderbook"] = BadResponseError("malformed JSON from /orderbook")
    app = fake_app(client)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.topic_states.get("orderbook") is not None
                         and app.topic_states["orderbook"].kind is Freshness.ERROR,
                         what="orderbook error")
        await wait_until(pilot, lambda: all_fresh(app, ("tickers", "trades")), what="others")
        assert "malformed JSON" in app.topic_states["orderbook"].describe()
        assert any("malformed JSON" in e.message for e in app.errors.items())
        await pilot.press("f3")
        assert isinstance(app.screen, ErrorLogScreen)
        await pilot.press("escape")
        del client.fail["orderbook"]
        app.action_refresh()
        await wait_until(pilot, lambda: app.topic_states["orderbook"].kind is Freshness.FRESH,
                         what="recovered")


async def test_rate_limit_pauses_only_the_limited_topic():
    client = FakeClient(5)
    app = fake_app(client)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        client.fail["trades"] = RateLimitedError("too many requests", retry_after=30)
        app.action_refresh()
        await wait_until(pilot, lambda: app.topic_states["trades"].kind is Freshness.PAUSED,
                         what="paused")
        assert app.feed is not None and app.feed.gate.pause_left("trades") > 20
        assert "rate limited" in app.topic_states["trades"].describe()
        assert "rate limited" not in app.topic_states["orderbook"].describe()
        before = dict(client.calls)
        app.action_refresh()
        await wait_until(pilot, lambda: client.calls["orderbook"] > before["orderbook"],
                         what="the book still polled")
        assert client.calls["trades"] == before["trades"]  # nothing sent for trades
        await pilot.press("f2")
        assert "Rate-limit pause in progress" in str(
            app.screen.query_one("#health-pause").render())


async def test_pane_choking_on_data_does_not_crash_the_app():
    client = FakeClient(5)
    app = fake_app(client)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: all_fresh(app), what="fresh")
        app.main.post_message(FeedData("trades", FeedParams(pair="BTC_USDT", interval=60),
                                       {"not": "a list of trades"}))
        await pilot.pause()
        await pilot.pause()
        assert app.is_running
        assert any(e.kind == "render" for e in app.errors.items())


def test_book_updates_coalesce():
    params = FeedParams(pair="BTC_USDT")
    older = FeedData("orderbook", params, "old")
    newer = FeedData("orderbook", params, "new")
    other_pair = FeedData("orderbook", FeedParams(pair="ETH_USDT"), "eth")
    assert older.can_replace(newer)
    assert not older.can_replace(other_pair)
    assert not older.can_replace(FeedData("trades", params, "t"))


async def test_queued_book_updates_are_replaced_by_newer_ones():
    seen: list[str] = []

    class Sink(App[None]):
        def on_feed_data(self, message: FeedData) -> None:
            seen.append(message.data)

    app = Sink()
    async with app.run_test() as pilot:
        params = FeedParams(pair="BTC_USDT")
        # queued back to back while the app is busy: only the newest survives
        for i in range(50):
            app.post_message(FeedData("orderbook", params, f"book {i}"))
        await pilot.pause()
        assert seen[-1] == "book 49"
        assert len(seen) < 50
