"""Stream pushes to the panes go out on a grid: a trade and the book change it made,
arriving a few ms apart, reach the screen together (issue #12, CPU at rest)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from alp_tui.feed.poller import FeedParams
from alp_tui.feed.stream_feed import StreamFeed, StreamTimings


class _Stream:
    """Stands in for the stream client: nothing connects."""

    def add_listener(self, _fn: Any) -> None:
        pass

    def add_state_listener(self, _fn: Any) -> None:
        pass


def _feed(now: list[float], pushed: list[str]) -> StreamFeed:
    feed = StreamFeed(object(), on_update=lambda name, _p, _d: pushed.append(name),
                      ws_url="ws://127.0.0.1:1/ws", has_credentials=False,
                      stream=_Stream(), clock=lambda: now[0],  # type: ignore[arg-type]
                      timings=StreamTimings(emit_grid_s=0.25))
    feed.topics["trades"].params = FeedParams(pair="BTC_USDT")
    feed.memory.seed("trades", [])
    return feed


async def test_a_trade_between_two_grid_points_waits_for_the_next() -> None:
    now, pushed = [100.1], []
    feed = _feed(now, pushed)
    feed._emit("trades")
    assert pushed == []  # 100.1 is between 100.0 and 100.25: held
    assert feed.topics["trades"].emit_handle is not None
    feed._emit("trades")  # a second trade in the same slot joins the first
    now[0] = 100.25
    await asyncio.sleep(0.3)
    assert pushed == ["trades"]  # one push for both


async def test_a_trade_on_a_grid_point_goes_at_once() -> None:
    now, pushed = [100.5], []
    feed = _feed(now, pushed)
    feed._emit("trades")
    assert pushed == ["trades"]


async def test_a_busy_second_reaches_the_panes_at_most_twice() -> None:
    """Ten trades spread over a second (a busy market) redraw the tape twice, on the half
    seconds, not ten times: each push is a frame that re-renders most of the screen."""
    now, pushed = [100.02], []
    feed = StreamFeed(object(), on_update=lambda name, _p, _d: pushed.append(name),
                      ws_url="ws://127.0.0.1:1/ws", has_credentials=False,
                      stream=_Stream(), clock=lambda: now[0])  # type: ignore[arg-type]
    feed.topics["trades"].params = FeedParams(pair="BTC_USDT")
    feed.memory.seed("trades", [])
    topic, due = feed.topics["trades"], None
    for step in range(10):
        now[0] = 100.02 + step * 0.098
        if due is not None and now[0] >= due and topic.emit_handle is not None:
            topic.emit_handle.cancel()  # its grid point has come: the loop would run it
            feed._push("trades")
        feed._emit("trades")
        if topic.emit_handle is not None:
            grid = feed.timings.emit_grid_s
            due = math.ceil(now[0] / grid) * grid
    assert len(pushed) == 1  # on 100.5; the last trades wait for 101.0
    assert topic.emit_handle is not None
    topic.emit_handle.cancel()
