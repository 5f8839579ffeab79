"""Benchmarks of the market panes; run by hand: ``.venv/bin/python -m tests.bench.bench_panes``.

Measures
- the chart build off the loop (plotext, 200 candles at 120x30, fitted and unfitted), the
  ANSI → Content conversion, and what a cache hit costs on the loop;
- the order book: apply (snapshot + layout) and full render of a 50-level book, and the
  event-loop cost of a refresh cycle against an idle ``pilot.pause()`` baseline;
- the trades tape: merging 2 new trades into 100 and rendering the visible lines.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable

import plotext as plt
from rich.text import Text
from textual.content import Content

from alp_tui.ui.chart_render import PLOTEXT_LOCK, ChartSpec, build_chart
from alp_tui.ui.panes.chart import ChartPane
from alp_tui.ui.panes.orderbook import OrderBookPane
from alp_tui.ui.panes.trades import TradesPane
from alp_tui.ui.widgets.chart_canvas import ansi_to_strips
from tests.support.pane_data import BTC_USDT, make_book, make_candles, make_trades
from tests.support.panes import PaneHarness


def timed(fn: Callable[[], object], repeat: int = 30) -> tuple[float, float]:
    """Median and best of ``repeat`` runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), min(runs)


def report(name: str, result: tuple[float, float]) -> None:
    median, best = result
    print(f"{name:<62} median {median:7.2f} ms   best {best:7.2f} ms")


def bench_chart_builds() -> None:
    candles = tuple(make_candles(200))
    spec = ChartSpec(120, 30, candles, 1, 2, 6, 60)
    build = build_chart(spec)
    report(
        f"chart build 120x30, fitted ({build.count} of 200 candles)",
        timed(lambda: build_chart(spec)),
    )
    wide = ChartSpec(420, 30, candles, 1, 2, 6, 60, columns_per_candle=2)
    report("chart build 420x30 (all 200 candles fit)", timed(lambda: build_chart(wide), 10))

    def raw_plotext() -> str:
        with PLOTEXT_LOCK:
            plt.clear_figure()
            plt.limit_size(False, False)
            plt.plotsize(120, 30)
            plt.candlestick(
                list(range(200)),
                {
                    "Open": [float(c.open) for c in candles],
                    "Close": [float(c.close) for c in candles],
                    "High": [float(c.high) for c in candles],
                    "Low": [float(c.low) for c in candles],
                },
            )
            return plt.build()

    report("raw plotext candlestick, 200 candles squeezed into 120x30", timed(raw_plotext, 10))
    report(
        "ANSI -> strips of the 120x30 chart (in the build thread)",
        timed(lambda: ansi_to_strips(build.ansi, 120)),
    )
    report(
        "  (for comparison) Text.from_ansi + Content.from_rich_text",
        timed(lambda: Content.from_rich_text(Text.from_ansi(build.ansi, no_wrap=True))),
    )


async def bench_chart_pane() -> None:
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(124, 36)) as pilot:
        pane.set_pair(BTC_USDT)
        candles = make_candles(200)
        pane.show_data(candles)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.build_count == 1
        # Cache hit: cursor on, build once, then alternate between two cached cursor spots.
        pane.action_cursor(-1)
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane.action_cursor(-1)
        await app.workers.wait_for_complete()
        await pilot.pause()
        builds = pane.build_count
        hits = []
        for i in range(30):
            start = time.perf_counter()
            pane.action_cursor(1 if i % 2 == 0 else -1)  # info line + cache hit + canvas update
            hits.append((time.perf_counter() - start) * 1000)
            await pilot.pause()
        assert pane.build_count == builds, "cursor moves between cached spots must not build"
        report(
            "chart cache hit on the loop (cursor move, info + update)",
            (statistics.median(hits), min(hits)),
        )
        idle = []
        for _ in range(20):
            start = time.perf_counter()
            await pilot.pause()
            idle.append((time.perf_counter() - start) * 1000)
        hit_cycle = []
        for i in range(20):
            start = time.perf_counter()
            pane.action_cursor(1 if i % 2 == 0 else -1)
            await pilot.pause()
            hit_cycle.append((time.perf_counter() - start) * 1000)
        report("  idle pilot.pause() baseline", (statistics.median(idle), min(idle)))
        report(
            "  cache hit + redraw cycle (minus baseline)",
            (statistics.median(hit_cycle) - statistics.median(idle), min(hit_cycle) - min(idle)),
        )


async def bench_plotext_widget() -> None:
    """For comparison: textual-plotext's PlotextPlot builds in ``render()`` on the loop."""
    from textual_plotext import PlotextPlot

    widget = PlotextPlot()
    app = PaneHarness(widget)
    async with app.run_test(size=(120, 30)) as pilot:
        candles = make_candles(200)[-54:]
        widget.plt.candlestick(
            list(range(len(candles))),
            {
                "Open": [float(c.open) for c in candles],
                "Close": [float(c.close) for c in candles],
                "High": [float(c.high) for c in candles],
                "Low": [float(c.low) for c in candles],
            },
        )
        await pilot.pause()
        report(
            "PlotextPlot.render() (54 candles, every repaint, on the loop)",
            timed(widget.render, 20),
        )


async def bench_book() -> None:
    pane = OrderBookPane(id="orderbook")
    app = PaneHarness(pane)
    books = [make_book(50, seed=s) for s in range(40)]
    async with app.run_test(size=(44, 60)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(books[0])
        await pilot.pause()
        ladder = pane.ladder
        height = ladder.size.height
        index = [0]

        def apply_and_render() -> None:
            index[0] = (index[0] + 1) % len(books)
            pane.show_data(books[index[0]])
            for y in range(height):
                ladder.render_line(y)

        report(
            f"book apply + render all {height} lines, 50-level book (every level new)",
            timed(apply_and_render),
        )

        def apply_only() -> None:
            index[0] = (index[0] + 1) % len(books)
            pane.show_data(books[index[0]])

        report("book apply only (snapshot, flash diff, layout, line diff)", timed(apply_only))
        report(
            "book render, all lines from the strip cache",
            timed(lambda: [ladder.render_line(y) for y in range(height)]),
        )
        idle, cycle = [], []
        for _ in range(20):
            start = time.perf_counter()
            await pilot.pause()
            idle.append((time.perf_counter() - start) * 1000)
        for i in range(20):
            start = time.perf_counter()
            pane.show_data(books[i % len(books)])
            await pilot.pause()
            cycle.append((time.perf_counter() - start) * 1000)
        report("  idle pilot.pause() baseline", (statistics.median(idle), min(idle)))
        report(
            "  new 50-level book + full redraw cycle (minus baseline)",
            (statistics.median(cycle) - statistics.median(idle), min(cycle) - min(idle)),
        )


async def bench_trades() -> None:
    pane = TradesPane(id="trades")
    app = PaneHarness(pane)
    async with app.run_test(size=(50, 40)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(make_trades(100, first_id=1))
        await pilot.pause()
        tape = pane.tape
        height = tape.size.height
        next_id = [101]

        def two_new() -> None:
            # A poll answer of 100 trades, 2 of them new.
            batch = make_trades(100, first_id=next_id[0] - 98)
            next_id[0] += 2
            pane.show_data(batch)
            for y in range(height):
                tape.render_line(y)

        report(f"trades: merge 2 new into 100 + render {height} lines", timed(two_new))


def main() -> None:
    print(f"python {sys.version.split()[0]}")
    bench_chart_builds()
    asyncio.run(bench_chart_pane())
    asyncio.run(bench_plotext_widget())
    asyncio.run(bench_book())
    asyncio.run(bench_trades())


if __name__ == "__main__":
    main()
