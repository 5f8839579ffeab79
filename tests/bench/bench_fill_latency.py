"""Benchmark: a fill in the simulator's engine → the fill toast on screen (run by hand:
``.venv/bin/python -m tests.bench.bench_fill_latency``).

A resting BUY of the demo account is hit, ``--samples`` times, by another account's SELL;
each sample times the engine call to the "Filled BUY" toast being in the app's
notifications. Three ways:

* ``stream``: the private stream's ``ta`` frames tell the fill (what the app does now);
* ``stream+rest``: the stream is on but its ``ta`` frames are not used: the order's ``o``
  frame makes the session read /accounts/trades at once (the path before);
* ``poll``: no stream; the open orders (on screen at 160x48: every 2 s) show the order
  moved, then /accounts/trades is read.

Reports engine call → FillEvent published by the session ("event") and → the toast
delivered ("toast"), and the /accounts/trades requests each way made during the samples.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.config import Config
from alp_tui.session import FillEvent
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
from tests.support.wait import wait_until

D = Decimal
PAIR = "BTC_USDT"


def _fills_on_screen(app: Any) -> int:
    """Alerts delivered as toasts so far (only fills happen here; a toast that timed out
    leaves ``app._notifications``, so that list is not counted)."""
    return app.alert_delivery.delivered


async def run(mode: str, samples: int) -> tuple[list[float], list[float], int]:
    server = SimServer(seed=1, market_life=False)
    server.start()
    try:
        app = create_app(Config(), base_url=server.base_url, api_key=server.api_key,
                         api_secret=server.api_secret, mode="demo",
                         stream=mode != "poll")
        app.journal_path = Path(tempfile.mkdtemp()) / "journal.sqlite3"
        async with app.run_test(size=(160, 48)) as pilot:
            session = app.session
            told: list[float] = []  # when the session published each FillEvent
            session.subscribe(lambda e: told.append(time.perf_counter())
                              if isinstance(e, FillEvent) else None)
            await wait_until(pilot, lambda: session.started, what="started")
            fills = session.feed.pollers["fills"]
            if mode != "poll":
                await wait_until(pilot, lambda: session.stream_feed.is_streaming("orders"),
                                 what="private stream")
            if mode == "stream+rest":
                session.stream_fills.close()
                session.stream_fills = None
            await wait_until(pilot, lambda: fills.requests >= 1 and not fills.in_flight,
                             what="fills primed")
            ex = server.exchange
            price = (ex.last_price(PAIR) * D("0.95")).quantize(D(1))
            await session.client.place_order(PAIR, "BID", "LIMIT",
                                             base_amount=str(D("0.001") * (samples + 1)),
                                             limit_price=price, tif="GTC")
            session.after_action()
            await wait_until(pilot, lambda: session.account.open_orders, what="order open")
            seller = ex.create_account(email="bench-seller@example.test", name="Seller",
                                       funds={"BTC": D(10)})
            asked = fills.requests
            out, events = [], []
            for _ in range(samples):
                await pilot.pause(random.uniform(0.2, 2.2))  # any phase of the polls
                before = _fills_on_screen(app)
                started = time.perf_counter()
                ex.place_order(seller, {
                    "pair": PAIR, "order_type": OrderType.LIMIT,
                    "order_side": OrderSide.ASK, "wallet_type": WalletType.SPOT,
                    "base_amount": D("0.001"), "limit_price": price,
                    "tif": TimeInForce.GTC})
                await wait_until(pilot, lambda b=before: _fills_on_screen(app) > b,
                                 what="fill toast", step=0.002)
                out.append(time.perf_counter() - started)
                events.append(told[-1] - started)
            return out, events, fills.requests - asked
    finally:
        server.stop()


def _report(mode: str, what: str, lat: list[float]) -> None:
    ms = sorted(x * 1000 for x in lat)
    print(f"{mode:12s} {what:6s} n={len(ms):3d}  p50 {statistics.median(ms):8.1f} ms  "
          f"min {ms[0]:8.1f}  max {ms[-1]:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--modes", default="stream,stream+rest,poll")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        lat, events, requests = asyncio.run(run(mode, args.samples))
        _report(mode, "event", events)
        _report(mode, "toast", lat)
        print(f"{mode:12s} /accounts/trades requests during the samples: {requests}")


if __name__ == "__main__":
    main()
