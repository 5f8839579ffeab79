"""Panes do not redraw (nor lay the screen out again) for text or data that did not change.

Counted with a spy on ``refresh``: behaviour, not timing (issue #12, CPU at rest).
"""

from __future__ import annotations

import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from alp_tui.feed.poller import FeedParams
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.messages import FeedData
from alp_tui.ui.pane_router import PaneRouter
from alp_tui.ui.widgets.book_ladder import flash_end
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.static_text import set_static_text


class _Spy:
    """Counts a widget's refresh calls, and those asking for a layout pass."""

    def __init__(self, widget: Any) -> None:
        self.calls = 0
        self.layouts = 0
        original = widget.refresh

        def refresh(*regions: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.layouts += bool(kwargs.get("layout"))
            return original(*regions, **kwargs)

        widget.refresh = refresh


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="line")


async def test_unchanged_text_is_not_redrawn() -> None:
    app = _One()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Static)
        spy = _Spy(line)
        assert set_static_text(line, Text("3 open · BTC_USDT", style="bold"))
        first = spy.calls
        assert first >= 1 and spy.layouts == 1  # the first text may change the size
        assert not set_static_text(line, Text("3 open · BTC_USDT", style="bold"))
        assert spy.calls == first  # the same text again: nothing to draw
        await pilot.pause()
        assert "3 open" in str(line.render())


async def test_changed_text_of_the_same_shape_needs_no_layout() -> None:
    app = _One()
    async with app.run_test():
        line = app.query_one("#line", Static)
        set_static_text(line, "total 1,234.56 USDT")
        spy = _Spy(line)
        assert set_static_text(line, "total 1,234.57 USDT")  # same length: repaint only
        assert spy.calls >= 1 and spy.layouts == 0
        assert set_static_text(line, "total 11,234.57 USDT")  # longer: may need more room
        assert spy.layouts == 1
        assert set_static_text(line, Text("total 11,234.57 USDT", style="red"))  # new style
        assert spy.layouts == 1
        assert "11,234.57" in str(line.render())


# --- the router hands a pane an answer only when it differs from the last one ---------------

class _Pane:
    """Stands in for a data pane: records what it is handed."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.pair: Any = "BTC_USDT info"
        self.handed: list[Any] = []
        self.settled = True

    def show_data(self, data: Any) -> None:
        self.handed.append(data)

    def set_pair(self, info: Any) -> None:
        self.pair = info


class _App:
    def __init__(self, panes: list[_Pane]) -> None:
        self.panes = panes
        market = SimpleNamespace(selected="BTC_USDT", info=lambda: None)
        self.session = SimpleNamespace(market=market, feed=None, errors=None)

    def data_panes(self, topic: str | None = None) -> list[_Pane]:
        return [p for p in self.panes if topic is None or p.topic == topic]


def _answer(topic: str, data: Any) -> FeedData:
    return FeedData(topic, FeedParams(pair="BTC_USDT"), data)


def test_an_unchanged_answer_is_not_handed_to_the_pane_again() -> None:
    orders, book = _Pane("orders"), _Pane("orderbook")
    router = PaneRouter(_App([orders, book]))  # type: ignore[arg-type]
    first = [{"id": 1, "price": "100"}]
    router.feed_data(_answer("orders", first))
    router.feed_data(_answer("orders", [{"id": 1, "price": "100"}]))  # equal: no redraw
    assert orders.handed == [first]
    router.feed_data(_answer("orders", [{"id": 1, "price": "101"}]))  # changed: handed
    assert len(orders.handed) == 2
    router.feed_data(_answer("orderbook", "book"))
    assert book.handed == ["book"]  # each pane keeps its own last answer


def test_a_pane_holding_its_own_changes_gets_every_answer() -> None:
    orders = _Pane("orders")
    router = PaneRouter(_App([orders]))  # type: ignore[arg-type]
    router.feed_data(_answer("orders", ["order 1"]))
    orders.settled = False  # e.g. an order just cancelled, hidden until an answer agrees
    router.feed_data(_answer("orders", ["order 1"]))
    assert len(orders.handed) == 2


def test_a_new_pair_makes_every_answer_news_again() -> None:
    trades = _Pane("trades")
    router = PaneRouter(_App([trades]))  # type: ignore[arg-type]
    router.feed_data(_answer("trades", ["t1"]))
    router.pair_changed()  # the panes were emptied for the new pair
    router.feed_data(_answer("trades", ["t1"]))
    assert len(trades.handed) == 2


# --- status lines: a new answer of the same kind waits for the once-a-second beat -----------

class _Statuses(App[None]):
    def compose(self) -> ComposeResult:
        yield PaneStatus("book", id="a")
        yield PaneStatus("trades", id="b")


async def test_a_fresher_answer_alone_does_not_redraw_the_status_line() -> None:
    app = _Statuses()
    async with app.run_test() as pilot:
        a = app.query_one("#a", PaneStatus)
        a.state = FeedState(interval_s=1.0).fresh(now=time.monotonic() - 0.2)
        await pilot.pause()
        assert "fresh" in str(a.render())
        spy = _Spy(a)
        a.state = a.state.fresh(now=time.monotonic())  # only the age is newer
        assert spy.calls == 0
        a.state = a.state.failed(Freshness.ERROR, "timeout")  # news: drawn at once
        assert spy.calls >= 1
        assert "timeout" in str(a.render())


async def test_every_status_line_redraws_from_the_one_beat() -> None:
    app = _Statuses()
    async with app.run_test() as pilot:
        await pilot.pause()
        beat = app._alp_beat  # type: ignore[attr-defined]
        a, b = app.query_one("#a", PaneStatus), app.query_one("#b", PaneStatus)
        assert {owner for owner, _ in beat.calls} == {a, b}
        now = time.monotonic()
        for status in (a, b):
            status.state = FeedState(interval_s=1.0).fresh(now=now - 42.5)  # stale 42s
            status.state = status.state.fresh(now=now - 5.5)  # the age only: not drawn yet
        assert "42s" in str(a.render()) and "42s" in str(b.render())
        beat.tick()  # both in the same call: one frame
        assert "5s" in str(a.render()) and "5s" in str(b.render())


def test_a_flash_ends_on_a_whole_second() -> None:
    assert flash_end(100.2, 0.5) == 101.0
    assert flash_end(100.7, 0.5) == 102.0  # at least half a second
    assert flash_end(100.7, 0.0) == 100.7  # no flash at all


# --- the account reaches its views on the beat, once per change --------------------------

class _View:
    def __init__(self) -> None:
        self.shown: list[Any] = []

    def show_account(self, snapshot: Any) -> None:
        self.shown.append(snapshot)


class _Root:
    def __init__(self, views: list[_View]) -> None:
        self.views = views

    def walk_children(self, _type: Any) -> list[_View]:
        return self.views


def test_the_account_is_shown_on_the_beat_and_not_again_when_unchanged() -> None:
    view = _View()
    app = _App([])
    app.main = _Root([view])  # type: ignore[attr-defined]
    router = PaneRouter(app)  # type: ignore[arg-type]
    first = AccountSnapshot(pair="BTC_USDT", debt=Decimal(5))
    router.account(first)
    router.account(AccountSnapshot(pair="BTC_USDT", debt=Decimal(6)))  # a newer one
    assert view.shown == []  # not before the beat
    router.show_account()
    assert [s.debt for s in view.shown] == [Decimal(6)]  # the latest only
    router.account(AccountSnapshot(pair="BTC_USDT", debt=Decimal(6)))  # republished, equal
    router.show_account()
    assert len(view.shown) == 1
