"""Dashboard benchmark; run by hand: ``.venv/bin/python -m tests.bench.bench_dashboard``.

Measures, headless (``App.run_test``), with the simulator in a separate process (``alp-tui
sim``) so its CPU is not counted against the dashboard:

1. cold start: from building the app to every market pane (markets, header, book, chart,
   trades) holding data from the simulator (target <= 1.5 s);
2. UI cost of applying one full refresh — 50-level book, 100 tickers, 200 candles, 50
   trades — on the event loop: the time to handle and redraw, minus the cost of an idle
   ``pilot.pause()`` (target <= 15 ms);
3. idle CPU with the default polling intervals, against the simulator (target <= 5 % of
   one core);
4. RSS growth over 10,000 full refreshes after a warm-up (target <= 10 MB).

Options: ``--refreshes 10000 --idle-s 30 --ui-rounds 60``. Other processes on the box skew
every number; the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from alp_tui.config import Config
from alp_tui.feed.poller import FeedParams
from alp_tui.services.market import MarketSnapshot
from alp_tui.ui.app import create_app
from alp_tui.ui.messages import FeedData
from tests.support.fake_client import FakeClient

ROOT = Path(__file__).resolve().parents[2]

MARKET = ("tickers", "orderbook", "chart", "trades")


def rss_mb() -> float:
    """Resident set size now, in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def start_sim() -> tuple[subprocess.Popen[str], str]:
    """``alp-tui sim`` on a free port; returns the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "alp_tui", "sim", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "http://" in line:
            url = line[line.index("http://"):].split()[0]
            return proc, url
    raise RuntimeError("the simulator did not print its URL")


def fresh(app: Any) -> bool:
    return all((s := app.topic_states.get(t)) is not None and s.updated_at is not None
               for t in MARKET)


async def cold_start(url: str) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    app = create_app(Config(), base_url=url, api_key="", api_secret="", mode="demo")
    async with app.run_test(size=(160, 48)) as pilot:
        while not fresh(app):
            await pilot.pause(0.005)
        # wait until the data is painted: the next idle after it arrived
        await pilot.pause()
        return time.perf_counter() - started, time.process_time() - cpu


async def idle_cpu(url: str, seconds: float) -> float:
    app = create_app(Config(), base_url=url, api_key="", api_secret="", mode="demo")
    async with app.run_test(size=(160, 48)) as pilot:
        while not fresh(app):
            await pilot.pause(0.05)
        await pilot.pause(2)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        return (time.process_time() - cpu0) / (time.perf_counter() - wall0)


async def refresh_data(client: FakeClient, pair: str) -> dict[str, Any]:
    pairs, tickers = await client.pairs(), await client.tickers()
    return {
        "tickers": MarketSnapshot(tickers=tickers, pairs=pairs),
        "orderbook": await client.orderbook(pair, limit_buy=50, limit_sell=50),
        "chart": await client.charts(pair, 60, limit=200),
        "trades": await client.trades(pair, limit=50),
    }


def bump(data: dict[str, Any], i: int) -> dict[str, Any]:
    """Change every refresh a little (new prices) so nothing is skipped as unchanged."""
    from decimal import Decimal

    delta = Decimal(i % 7) / 100
    snap: MarketSnapshot = data["tickers"]
    tickers = [t.model_copy(update={"last": t.last + delta}) for t in snap.tickers]
    book = data["orderbook"]
    book = book.model_copy(update={"buy": [lvl.model_copy(update={"amount": lvl.amount + delta})
                                           for lvl in book.buy]})
    return {**data, "tickers": MarketSnapshot(tickers=tickers), "orderbook": book}


async def ui_cost(rounds: int) -> tuple[float, float, float]:
    client = FakeClient(100)
    client.book_depth = 50
    app = create_app(Config(), client_factory=lambda: client, api_key="", api_secret="",
                     mode="demo", start_feed=False)
    params = FeedParams(pair="BTC_USDT", interval=60)
    async with app.run_test(size=(160, 48)) as pilot:
        base = await refresh_data(client, "BTC_USDT")
        app.post_message(FeedData("tickers", params, base["tickers"]))
        await pilot.pause()
        for topic in MARKET[1:]:
            app.post_message(FeedData(topic, params, base[topic]))
        await pilot.pause()
        await pilot.pause(0.2)
        idle, idle_cpu_s = [], []
        for _ in range(rounds):
            t, c = time.perf_counter(), time.process_time()
            await pilot.pause()
            idle.append(time.perf_counter() - t)
            idle_cpu_s.append(time.process_time() - c)
        busy, handler, busy_cpu_s = [], [], []
        original = app._feed_data

        def timed(message: FeedData) -> None:
            t = time.perf_counter()
            original(message)
            handler[-1] += time.perf_counter() - t

        app._feed_data = timed  # type: ignore[method-assign]
        for i in range(rounds):
            data = bump(base, i)
            handler.append(0.0)
            t, c = time.perf_counter(), time.process_time()
            for topic in MARKET:
                app._feed_data(FeedData(topic, params, data[topic]))
            await pilot.pause()
            busy.append(time.perf_counter() - t)
            busy_cpu_s.append(time.process_time() - c)
        med = statistics.median
        return (med(busy), med(idle), med(handler), med(busy_cpu_s) - med(idle_cpu_s))


async def rss_growth(refreshes: int) -> tuple[float, float, float]:
    client = FakeClient(100)
    app = create_app(Config(), client_factory=lambda: client, api_key="", api_secret="",
                     mode="demo", start_feed=False)
    params = FeedParams(pair="BTC_USDT", interval=60)
    async with app.run_test(size=(160, 48)) as pilot:
        base = await refresh_data(client, "BTC_USDT")
        variants = [bump(base, i) for i in range(7)]

        async def run(n: int) -> None:
            for i in range(n):
                data = variants[i % 7]
                for topic in MARKET:
                    app.post_message(FeedData(topic, params, data[topic]))
                if i % 10 == 0:
                    await pilot.pause()
                else:
                    await asyncio.sleep(0)

        await run(500)
        await pilot.pause()
        before = rss_mb()
        started = time.perf_counter()
        await run(refreshes)
        await pilot.pause()
        return before, rss_mb(), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=10_000)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--ui-rounds", type=int, default=60)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    proc, url = start_sim()
    try:
        runs = [asyncio.run(cold_start(url)) for _ in range(3)]
        starts = [wall for wall, _ in runs]
        print(f"cold start to every market pane populated: "
              f"{min(starts):.3f} s best, {statistics.median(starts):.3f} s median wall, "
              f"{statistics.median(c for _, c in runs):.3f} s CPU (target <= 1.5 s)")
        busy, idle, handler, cpu_cost = asyncio.run(ui_cost(args.ui_rounds))
        print(f"UI cost of one full refresh: {cpu_cost * 1000:.1f} ms CPU over an idle pause; "
              f"wall {(busy - idle) * 1000:.1f} ms (handle+redraw {busy * 1000:.1f} ms - idle "
              f"pause {idle * 1000:.1f} ms); handlers alone {handler * 1000:.1f} ms "
              f"(target <= 15 ms)")
        cpu = asyncio.run(idle_cpu(url, args.idle_s))
        print(f"idle CPU with default polling: {cpu * 100:.1f} % of one core "
              f"over {args.idle_s:.0f} s (target <= 5 %)")
        before, after, took = asyncio.run(rss_growth(args.refreshes))
        print(f"RSS over {args.refreshes} full refreshes: {before:.1f} -> {after:.1f} MB "
              f"(+{after - before:.1f} MB, {took:.0f} s) (target <= 10 MB); "
              f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
