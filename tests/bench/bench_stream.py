"""Benchmark the streaming path (run by hand: ``.venv/bin/python -m tests.bench.bench_stream``).

1. Latency from a trade in the simulator's engine to the new row on screen (the trades
   pane, after the next screen refresh), streaming vs polling (the default 2 s interval).
   Targets for the stream: p50 <= 30 ms, p99 <= 100 ms.
2. Book updates absorbed while input stays responsive: a thread places and cancels orders
   in the selected pair's top of book as fast as the engine allows (every call changes the
   top 20); the dashboard follows by stream while a key is pressed every 25 ms; we report
   engine book changes/s, diff frames applied/s, book pane renders/s and the key-press
   latency (key event sent → its action running). Target >= 2,000 updates/s with key
   presses answered within 50 ms.
3. The same burst injected straight into the feed (no network, no engine): the UI's own
   ceiling.

Options: ``--samples N`` (latency samples, stream), ``--poll-samples N``, ``--seconds S``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import threading
import time
from decimal import Decimal
from typing import Any

from textual import events

from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.api.stream_events import DiffEvent
from alp_tui.config import Config
from alp_tui.feed.stream_feed import StreamFeed
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import AlpApp, create_app
from tests.support.wait import wait_until

D = Decimal
PAIR = "BTC_USDT"
SIZE = (180, 50)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` in milliseconds."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index] * 1000


def summary(name: str, values: list[float]) -> str:
    """p50 / p99 / max in ms."""
    if not values:
        return f"{name}: no samples"
    return (f"{name}: n={len(values)} p50={pct(values, 0.5):.1f} ms "
            f"p99={pct(values, 0.99):.1f} ms max={max(values) * 1000:.1f} ms "
            f"mean={statistics.fmean(values) * 1000:.1f} ms")


class Holder:
    """The app; ``feed`` is its stream feed once started (None when polling only)."""

    def __init__(self, app: AlpApp) -> None:
        self.app = app

    @property
    def feed(self) -> StreamFeed | None:
        return self.app.stream_feed


def build_app(server: SimServer, stream: bool) -> Holder:
    """The dashboard against ``server`` as the CLI builds it, streaming or polling only."""
    return Holder(create_app(Config(), base_url=server.base_url, api_key="", api_secret="",
                             mode="demo", stream=stream))


async def close_feed(holder: Holder) -> None:
    """Stop streaming before the app shuts down."""
    if holder.feed is not None:
        await holder.feed.aclose()


def order(side: OrderSide, price: Decimal, amount: str) -> dict[str, Any]:
    """A limit order body for the engine."""
    return {"pair": PAIR, "order_type": OrderType.LIMIT, "order_side": side,
            "wallet_type": WalletType.SPOT, "base_amount": D(amount), "limit_price": price}


SETTLE_S = 2.0  # let the dashboard finish its first renders before measuring


async def trade_latency(stream: bool, samples: int) -> list[float]:
    """Engine trade → trades pane row on screen, ``samples`` times."""
    server = SimServer(seed=1, market_life=False)
    server.start()
    holder = build_app(server, stream)
    app = holder.app
    latencies: list[float] = []
    try:
        await _measure_trades(app, holder, server, stream, samples, latencies)
    except Exception as exc:
        if len(latencies) < samples:
            raise
        print(f"   (dashboard shutdown: {type(exc).__name__})")
    finally:
        server.stop()
    return latencies


async def _measure_trades(app: AlpApp, holder: Holder, server: SimServer, stream: bool,
                          samples: int, latencies: list[float]) -> None:
    async with app.run_test(size=SIZE):
        pane = app.data_panes("trades")[0]
        await wait_until(None, lambda: pane.pair is not None)
        if stream:
            await wait_until(None, lambda: holder.feed is not None
                           and holder.feed.is_streaming("trades"))
        await asyncio.sleep(SETTLE_S)
        target: dict[str, Any] = {"id": None, "done": asyncio.Event(), "t0": 0.0}
        original = pane.show_data

        def show_data(data: Any) -> Any:
            result = original(data)
            if target["id"] is not None and any(t.id == target["id"] for t in data):
                target["id"] = None
                app.call_after_refresh(target["done"].set)
            return result

        pane.show_data = show_data  # type: ignore[method-assign]
        ex, account = server.exchange, server.account_id
        price = D(91000)
        for _ in range(samples):
            price += 1
            ex.place_order(account, order(OrderSide.ASK, price, "0.0001"))
            target["done"].clear()
            t0 = time.perf_counter()
            ex.place_order(account, order(OrderSide.BID, price, "0.0001"))
            target["id"] = ex.trades(PAIR, limit=1)[0]["id"]
            await asyncio.wait_for(target["done"].wait(), 10)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(random.uniform(0.005, 0.03))
        await close_feed(holder)


class KeyProbe:
    """Sends a key every ``every_s`` and times it until its (trivial) action runs.

    The key is bound at run time to an action that only records the time, so what is
    measured is how long input waits behind the burst's work, not the cost of an action
    (moving the focus, for instance, recomposes the footer: ~100 ms on its own)."""

    def __init__(self, app: AlpApp, every_s: float = 0.025) -> None:
        self.app = app
        self.every_s = every_s
        self.latencies: list[float] = []
        self._sent = 0.0
        app.bind("f12", "bench_probe", show=False)

        def action() -> None:
            self.latencies.append(time.perf_counter() - self._sent)

        app.action_bench_probe = action  # type: ignore[attr-defined]

    async def run(self, seconds: float) -> None:
        driver = self.app._driver
        assert driver is not None
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            event = events.Key("f12", None)
            event.set_sender(self.app)
            self._sent = time.perf_counter()
            count = len(self.latencies)
            driver.send_message(event)
            deadline = time.monotonic() + 2
            while len(self.latencies) == count and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            await asyncio.sleep(self.every_s)


async def book_burst(seconds: float, rate: float | None) -> dict[str, float]:
    """Engine place/cancel burst (``rate`` changes/s, None: as fast as it goes) followed
    by stream while keys are pressed."""
    server = SimServer(seed=1, market_life=False)
    server.start()
    holder = build_app(server, True)
    app = holder.app
    result: dict[str, float] = {}
    try:
        async with app.run_test(size=SIZE):
            book_pane = app.data_panes("orderbook")[0]
            await wait_until(None, lambda: book_pane.pair is not None and holder.feed is not None
                           and holder.feed.is_streaming("orderbook"))
            await asyncio.sleep(SETTLE_S)
            feed = holder.feed
            assert feed is not None and feed.book is not None
            renders = {"n": 0}
            original = book_pane.show_data

            def show_data(data: Any) -> Any:
                renders["n"] += 1
                return original(data)

            book_pane.show_data = show_data  # type: ignore[method-assign]
            applied_before = feed.book.book.version
            probe = KeyProbe(app)
            stop = threading.Event()
            ops = {"n": 0}

            def produce() -> None:
                ex, account = server.exchange, server.account_id
                i = 0
                live: list[int] = []
                started = time.perf_counter()
                while not stop.is_set():
                    if rate is not None:
                        ahead = ops["n"] / rate - (time.perf_counter() - started)
                        if ahead > 0:
                            time.sleep(ahead)
                    price = D(80000) + (i % 20)
                    ids = ex.place_order(account, order(OrderSide.BID, price, "0.0001"))
                    live.extend(int(x) for x in ids)
                    ops["n"] += 1
                    if len(live) > 10:
                        ex.cancel_orders(account, order_ids=[live.pop(0)])
                        ops["n"] += 1
                    i += 1

            producer = threading.Thread(target=produce, daemon=True)
            t0 = time.perf_counter()
            producer.start()
            await probe.run(seconds)
            stop.set()
            producer.join()
            elapsed = time.perf_counter() - t0
            await wait_until(None, lambda: feed.book is not None and feed.book.book.matches(
                _engine_book(server)), timeout=10)
            result = {
                "engine_changes_per_s": ops["n"] / elapsed,
                "diffs_applied_per_s": (feed.book.book.version - applied_before) / elapsed,
                "pane_renders_per_s": renders["n"] / elapsed,
                "resyncs": feed.book.resyncs,
            }
            result["keys"] = probe.latencies  # type: ignore[assignment]
            await close_feed(holder)
    finally:
        server.stop()
    return result


def _engine_book(server: SimServer) -> Any:
    from alp_tui.api.models import OrderBook

    return OrderBook.model_validate(
        server.exchange.orderbook(PAIR, group=True, limit_buy=20, limit_sell=20))


async def injected_burst(seconds: float, rate: int) -> dict[str, Any]:
    """``rate`` diff events/s straight into the stream feed, keys pressed meanwhile."""
    server = SimServer(seed=1, market_life=False)
    server.start()
    holder = build_app(server, True)
    app = holder.app
    try:
        async with app.run_test(size=SIZE):
            book_pane = app.data_panes("orderbook")[0]
            await wait_until(None, lambda: book_pane.pair is not None and holder.feed is not None
                           and holder.feed.is_streaming("orderbook"))
            await asyncio.sleep(SETTLE_S)
            feed = holder.feed
            assert feed is not None and feed.book is not None
            renders = {"n": 0}
            original = book_pane.show_data

            def show_data(data: Any) -> Any:
                renders["n"] += 1
                return original(data)

            book_pane.show_data = show_data  # type: ignore[method-assign]
            probe = KeyProbe(app)
            sent = {"n": 0}

            async def inject() -> None:
                batch = max(1, rate // 200)
                end = time.monotonic() + seconds
                i = 0
                while time.monotonic() < end:
                    for _ in range(batch):
                        price = D(70000) + (i % 20)
                        delta = D("0.001") if (i // 20) % 2 == 0 else D("-0.001")
                        feed._on_event(DiffEvent(pair=PAIR, asks=(), bids=((price, delta),)))
                        i += 1
                    sent["n"] += batch
                    await asyncio.sleep(0.005)

            t0 = time.perf_counter()
            await asyncio.gather(inject(), probe.run(seconds))
            elapsed = time.perf_counter() - t0
            await close_feed(holder)
            return {"events_per_s": sent["n"] / elapsed,
                    "pane_renders_per_s": renders["n"] / elapsed, "keys": probe.latencies}
    finally:
        server.stop()


async def guarded(coro: Any, default: Any) -> Any:
    """Run one scenario; a failure while the dashboard shuts down is reported, not fatal."""
    try:
        return await coro
    except Exception as exc:
        print(f"   (scenario ended with {type(exc).__name__}: {exc})")
        return default


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--poll-samples", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    random.seed(1)
    print("== trade → row on screen")
    print(summary("stream ", await guarded(trade_latency(True, args.samples), [])))
    if args.poll_samples:
        print(summary("polling", await guarded(trade_latency(False, args.poll_samples), [])))
    for rate in (2000, None):
        print(f"== engine book changes at {rate or 'full speed'}/s, followed by stream, "
              "a key every 25 ms")
        burst = await guarded(book_burst(args.seconds, rate), {"keys": []})
        keys = burst.pop("keys")
        print({k: round(v, 1) for k, v in burst.items()})
        print(summary("key → action", keys))
    for rate in (2000, 5000):
        print(f"== {rate} diff events/s injected into the feed, keys every 25 ms")
        injected = await guarded(injected_burst(args.seconds, rate), {"keys": []})
        keys = injected.pop("keys")
        print({k: round(v, 1) for k, v in injected.items()})
        print(summary("key → action", keys))


if __name__ == "__main__":
    asyncio.run(main())
