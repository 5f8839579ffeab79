"""Tests of the chart pane and the pure chart builder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from textual.message import Message
from textual.worker import WorkerCancelled, WorkerFailed

from alp_tui.api.enums import ChartInterval, OrderSide
from alp_tui.ui.chart_render import (
    FRAME_COLUMNS,
    ChartSpec,
    OrderLine,
    build_chart,
    nice_ticks,
    strip_ansi,
)
from alp_tui.ui.panes.chart import ChartPane
from tests.support.pane_data import BTC_USDT, ETH_USDT, make_candles, make_order
from tests.support.panes import PaneHarness

D = Decimal


async def settle(app, pilot) -> None:
    """Let every chart build finish (cancelled ones included) and its result land.

    A finished build worker has already handed its result to the loop (``call_from_thread``
    waits for the callback), so "all workers finished after a pause" means settled.
    """
    for _ in range(50):
        for worker in list(app.workers):
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("chart builds did not settle")


@asynccontextmanager
async def shown(candles: list[Any] | None = None, size: tuple[int, int] = (120, 34), *,
                wait: bool = True,
                message_hook: Callable[[Message], None] | None = None,
                ) -> AsyncIterator[tuple[ChartPane, Any]]:
    """A BTC_USDT chart pane alone in the harness showing ``candles`` (its build landed
    unless ``wait`` is false); yields the pane and the pilot."""
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=size, message_hook=message_hook) as pilot:
        pane.set_pair(BTC_USDT)
        if candles is not None:
            pane.show_data(candles)
            if wait:
                await settle(pilot.app, pilot)
        yield pane, pilot


def posted(messages: list[Message], kind: type) -> list:
    """Messages of ``kind``, once each."""
    seen: dict[int, Message] = {}
    for m in messages:
        if isinstance(m, kind):
            seen.setdefault(id(m), m)
    return list(seen.values())


def spec(width: int = 120, height: int = 30, **kwargs) -> ChartSpec:
    candles = tuple(make_candles(200))
    base = dict(
        width=width,
        height=height,
        candles=candles,
        data_version=1,
        price_precision=2,
        amount_precision=6,
        interval_minutes=60,
    )
    base.update(kwargs)
    return ChartSpec(**base)


# --------------------------------------------------------------------------- pure builder


def test_build_fits_candles_one_per_slot() -> None:
    s = spec()
    build = build_chart(s)
    lines = strip_ansi(build.ansi).splitlines()
    assert len(lines) == s.height
    assert max(len(line) for line in lines) <= s.width
    assert build.count == build.plot_columns // s.columns_per_candle
    assert build.first == len(s.candles) - build.count
    # The volume baseline has one bar per candle, two columns apart: none share a column.
    baseline = next(line for line in lines if line.lstrip().startswith("0┤"))
    plot = baseline[baseline.index("┤") + 1 :][: build.plot_columns]
    columns = [i for i, ch in enumerate(plot) if ch == "█"]
    assert columns == [2 * i + 1 for i in range(build.count)]


def test_build_one_column_per_candle_is_the_densest() -> None:
    s = spec(width=100, columns_per_candle=1)
    build = build_chart(s)
    label_width = 100 - FRAME_COLUMNS - build.plot_columns
    assert build.count == 100 - FRAME_COLUMNS - label_width
    lines = strip_ansi(build.ansi).splitlines()
    baseline = next(line for line in lines if line.lstrip().startswith("0┤"))
    plot = baseline[baseline.index("┤") + 1 :][: build.plot_columns]
    assert plot.count("█") == build.count


def test_build_with_fewer_candles_than_room() -> None:
    s = spec(candles=tuple(make_candles(10)))
    build = build_chart(s)
    assert (build.first, build.count) == (0, 10)


def test_build_labels_come_from_decimals() -> None:
    build = build_chart(spec())
    text = strip_ansi(build.ansi)
    assert "45,000" in text or "44,800" in text  # thousands separators: Decimal formatting


def test_order_lines_off_chart_are_noted() -> None:
    build = build_chart(spec(order_lines=(OrderLine(OrderSide.ASK, D(1)),)))
    assert build.notes == ("sell order 1.00 off chart",)


def test_too_small_builds_nothing() -> None:
    assert build_chart(spec(width=10, height=5)).ansi == ""


def test_nice_ticks() -> None:
    assert nice_ticks(D("44012.5"), D("45990"), 5) == [D(44500), D(45000), D(45500)]
    assert nice_ticks(D("0.000123"), D("0.000456"), 4) == [D("0.0002"), D("0.0004")]
    assert nice_ticks(D(5), D(5), 4) == [D(5)]


# --------------------------------------------------------------------------- pane


async def test_chart_renders_candles_and_info_line() -> None:
    candles = make_candles(200)
    async with shown(candles) as (pane, _pilot):
        build = pane.shown_build
        assert build is not None and build.count > 0
        assert pane.build_count == 1
        rendered = pane.canvas.text()
        assert "█" in rendered and "┤" in rendered
        last = candles[-1]
        info = pane.info_text()
        assert info.startswith("1h last")
        assert f"C {last.close:,.2f}" in info
        assert f"V {last.volume:,.6f}" in info


async def test_interval_choice_posts_interval_changed() -> None:
    messages: list[Message] = []
    async with shown(make_candles(50), wait=False, message_hook=messages.append) as (
            pane, pilot):
        pane.focus()
        await pilot.press("1", "6")  # digits are the app's pane keys, not intervals
        await pilot.pause()
        assert not posted(messages, ChartPane.IntervalChanged)
        for minutes in (5, 1440, 1440, 60):
            pane.action_interval(minutes)
        await pilot.pause()
        changes = [m.interval for m in posted(messages, ChartPane.IntervalChanged)]
        assert changes == [ChartInterval.FIVE_MIN, ChartInterval.DAY, ChartInterval.HOUR]
        assert pane.interval is ChartInterval.HOUR
        # The old interval's candles are gone until the feed answers.
        assert pane.candles == ()
        assert "[ ] interval" in str(pane.border_subtitle)
        assert pane.border_title == "Chart BTC_USDT 1h"


async def test_cursor_shows_the_right_candle() -> None:
    candles = make_candles(200)
    async with shown(candles) as (pane, pilot):
        pane.focus()
        await pilot.press("left")  # the last candle
        await pilot.press("left", "left")  # two back
        await pilot.pause()
        target = candles[-3]
        assert pane.cursor_candle() == target
        info = pane.info_text()
        assert info.startswith("1h cursor")
        for value in (target.open, target.high, target.low, target.close):
            assert f"{value:,.2f}" in info
        assert f"{target.volume:,.6f}" in info
        await pilot.press("right")
        assert pane.cursor_candle() == candles[-2]
        await pilot.press("escape")
        assert pane.cursor_candle() is None
        assert pane.info_text().startswith("1h last")


async def test_cursor_stops_at_the_first_visible_candle() -> None:
    candles = make_candles(200)
    async with shown(candles, (60, 20)) as (pane, _pilot):
        build = pane.shown_build
        assert build is not None
        pane.focus()
        for _ in range(build.count + 5):
            pane.action_cursor(-1)
        assert pane.cursor_candle() == candles[build.first]


async def test_cache_prevents_rebuild_on_repaint_and_same_data() -> None:
    candles = make_candles(200)
    async with shown(candles) as (pane, pilot):
        assert pane.build_count == 1
        pane.refresh()
        pane.canvas.refresh()
        await pilot.pause()
        pane.show_data(list(candles))  # an identical poll
        await settle(pilot.app, pilot)
        assert pane.build_count == 1
        # A new size builds once; going back to the old size is a cache hit.
        await pilot.resize_terminal(100, 30)
        await settle(pilot.app, pilot)
        assert pane.build_count == 2
        await pilot.resize_terminal(120, 34)
        await settle(pilot.app, pilot)
        assert pane.build_count == 2
        assert pane.shown_build is not None
        assert pane.shown_build.count == build_chart(pane._spec()).count


async def test_new_candle_rebuilds() -> None:
    candles = make_candles(201)
    async with shown(candles[:200]) as (pane, pilot):
        pane.show_data(candles)
        await settle(pilot.app, pilot)
        assert pane.build_count == 2
        assert pane.info_text().count(f"{candles[-1].close:,.2f}") >= 1


async def test_own_orders_become_order_lines() -> None:
    candles = make_candles(200)
    async with shown(candles, wait=False) as (pane, pilot):
        price = candles[-1].close - 100
        pane.set_own_orders(
            [
                make_order(1, OrderSide.BID, price),
                make_order(2, OrderSide.ASK, price, pair="ETH_USDT"),
            ]
        )
        await settle(pilot.app, pilot)
        assert pane.order_lines == (OrderLine(OrderSide.BID, price),)
        assert pane.shown_build is not None
        assert pane.build_count >= 1


async def test_set_pair_clears_candles_and_shows_loading() -> None:
    async with shown(make_candles(100)) as (pane, pilot):
        pane.set_pair(ETH_USDT)
        assert pane.candles == ()
        assert pane.shown_build is None
        await pilot.pause()
        assert "loading ETH_USDT 1h candles" in pane.canvas.text()
        pane.show_data([])
        await pilot.pause()
        assert "no candles yet" in pane.canvas.text()


async def test_tiny_pane_asks_for_room() -> None:
    async with shown(make_candles(10), (18, 10), wait=False) as (pane, pilot):
        await pilot.pause()
        assert "enlarge" in pane.canvas.text()
        assert pane.build_count == 0


async def test_info_line_fits_narrow_panes() -> None:
    candles = make_candles(50)
    async with shown(candles, (50, 20)) as (pane, _pilot):
        info = pane.info_text()
        width = pane.query_one("#chart-info").size.width
        assert len(info) <= width
        assert f"C {candles[-1].close:,.2f}" in info  # the close always stays


async def test_order_lines_accept_bare_prices() -> None:
    candles = make_candles(100)
    async with shown(candles, wait=False) as (pane, pilot):
        price = candles[-1].close
        pane.set_order_lines([price, (OrderSide.ASK, price + 1), D(1)])
        await settle(pilot.app, pilot)
        assert OrderLine(None, price) in pane.order_lines
        assert pane.shown_build is not None
        assert pane.shown_build.notes == ("order 1.00 off chart",)
        assert "order 1.00 off chart" in pane.info_text()


async def test_click_puts_cursor_on_candle() -> None:
    candles = make_candles(200)
    async with shown(candles) as (pane, pilot):
        build = pane.shown_build
        assert build is not None
        x = build.label_width + 1 + 2 * 5 + 1  # the sixth candle drawn
        await pilot.click(pane.canvas, offset=(x, 5))
        await settle(pilot.app, pilot)
        assert pane.cursor_candle() == candles[build.first + 5]
        # The candle is drawn in that very column of the chart.
        lines = strip_ansi(build_chart(pane._spec()).ansi).splitlines()
        baseline = next(line for line in lines if line.lstrip().startswith("0┤"))
        assert baseline[x] == "█"


def test_time_axis_names_the_day_when_candles_span_days(monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        hourly = make_candles(120)  # five days; moved to start on the hour
        shift = hourly[0].time % 3600
        candles = tuple(c.model_copy(update={"time": c.time - shift}) for c in hourly)
        spec = ChartSpec(width=120, height=30, candles=candles, data_version=1,
                         price_precision=2, amount_precision=6, interval_minutes=60)
        axis = strip_ansi(build_chart(spec).ansi).splitlines()[-1]
        labels = axis.split()
        assert labels and all(len(label) == 5 for label in labels[::2]), axis  # "11-19"
        assert all(label.endswith(":00") for label in labels[1::2]), axis
        assert all(label[3:5] in {"00", "06", "12", "18"} for label in labels[1::2]), axis
    finally:
        monkeypatch.undo()
        time.tzset()


# --------------------------------------------------------------------------- labelled lines


def _ansi_line(ansi: str, needle: str) -> str:
    """The ANSI line whose plain text contains ``needle`` (exactly one)."""
    lines = [a for a in ansi.splitlines() if needle in strip_ansi(a)]
    assert len(lines) == 1, (needle, [strip_ansi(a) for a in lines])
    return lines[0]


def test_order_lines_are_labelled_with_side_and_price_green_buy_red_sell() -> None:
    candles = make_candles(200)
    last = candles[-1].close
    buy, sell = last - D(200), last + D(200)
    build = build_chart(spec(order_lines=(OrderLine(OrderSide.BID, buy),
                                          OrderLine(OrderSide.ASK, sell))))
    assert build.notes == ()
    buy_label, sell_label = f" BUY {buy:,.2f} ", f" SELL {sell:,.2f} "
    buy_line = _ansi_line(build.ansi, buy_label)
    sell_line = _ansi_line(build.ansi, sell_label)
    # the label on the side's colour (256-colour 2 green, 1 red), the rule in it too
    assert f"\x1b[48;5;2m\x1b[38;5;0m{buy_label}" in buy_line
    assert f"\x1b[48;5;1m\x1b[38;5;0m{sell_label}" in sell_line
    assert "\x1b[38;5;2m─" in buy_line and "\x1b[38;5;1m─" in sell_line
    # buy below sell on screen
    rows = strip_ansi(build.ansi).splitlines()
    assert rows.index(strip_ansi(sell_line)) < rows.index(strip_ansi(buy_line))


def test_last_price_line_is_labelled_and_unlike_the_axis_ticks() -> None:
    candles = make_candles(200)
    build = build_chart(spec())
    label = f" {candles[-1].close:,.2f} "
    line = _ansi_line(build.ansi, label)
    plain = strip_ansi(line)
    assert plain.rstrip().rstrip("│").endswith(label)  # at the right end, the latest side
    assert f"\x1b[48;5;11m\x1b[38;5;0m{label}" in line  # black on bright yellow
    assert plain.count("╌") > 10 and "╌" not in strip_ansi(build.ansi).replace(plain, "")
    assert "\x1b[38;5;11m╌" in line  # the dashes are coloured, not the frame's plain rule
