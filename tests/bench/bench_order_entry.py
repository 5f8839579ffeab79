"""Order entry latency; run by hand: ``.venv/bin/python -m tests.bench.bench_order_entry``.

Measures, against the local simulator over HTTP (loopback), the time from the Enter that
confirms an order to the order's row being in the open orders table, and to the first frame
of the dashboard (modals closed) written with it, with five other orders listed. Target:
median <= 150 ms for the frame.

Also reports the parts: the place request alone (client.place_order), and the service's
place (journal write + request + read-back of the new order).

``--process`` runs the simulator as its own process (``alp-tui sim``), as a real exchange
is: the in-process simulator shares the interpreter lock with the UI, so it is slowed by
the very rendering being measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from alp_tui.api.client import AlpClient
from alp_tui.api.models import PairInfo
from alp_tui.services.journal import Journal
from alp_tui.services.order_draft import FormInput, build_draft
from alp_tui.services.trading import TradingService
from alp_tui.sim.server import SimServer
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.panes.open_orders import OpenOrdersPane

ROUNDS = 30
OTHER_ORDERS = 5


class Bench(App[None]):
    """Just the open orders pane."""

    def __init__(self, service: TradingService, pair: PairInfo) -> None:
        super().__init__()
        self.service = service
        self.pair = pair

    def compose(self) -> ComposeResult:
        yield OpenOrdersPane(self.service, pairs={self.pair.name: self.pair})

    armed = False
    drawn_at = 0.0

    def on_mount(self) -> None:
        self.query_one(OpenOrdersPane).set_pair(self.pair)

    def _display(self, screen: Any, renderable: Any) -> None:
        # The first frame of the dashboard screen written after the confirm: the moment
        # the new row is on the terminal.
        if self.armed and screen is self.screen_stack[0] and len(self.screen_stack) == 1:
            self.armed = False
            self.drawn_at = time.perf_counter()
        super()._display(screen, renderable)


@dataclass
class Endpoint:
    """Where the simulator listens and the credentials it accepts."""

    base_url: str
    api_key: str
    api_secret: str


@contextlib.contextmanager
def simulator(separate_process: bool) -> Iterator[Endpoint]:
    """A quiet simulator (no market life), in this process or its own."""
    if not separate_process:
        server = SimServer(seed=1, market_life=False)
        server.start()
        try:
            yield Endpoint(server.base_url, server.api_key, server.api_secret)
        finally:
            server.stop()
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key, secret = "bench-key", secrets.token_hex(32)
    proc = subprocess.Popen(
        [sys.executable, "-m", "alp_tui", "sim", "--port", str(port), "--api-key", key,
         "--api-secret", secret, "--seed", "1", "--no-market-life"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port),
                                                                        timeout=0.1):
                break
            time.sleep(0.05)
        yield Endpoint(f"http://127.0.0.1:{port}/api/v3", key, secret)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (f"{name:<44} median {statistics.median(samples):6.1f} ms   p90 {p90:6.1f} ms   "
            f"best {ordered[0]:6.1f} ms   (n={len(samples)})")


async def main(separate_process: bool = False) -> None:
    tmp = tempfile.TemporaryDirectory()
    with simulator(separate_process) as server:
        async with AlpClient(server.base_url, server.api_key, server.api_secret) as client:
            pair = {p.name: p for p in await client.pairs()}["BTC_USDT"]
            service = TradingService(client, Journal(Path(tmp.name) / "j.sqlite3"))
            await client.balances()  # token and connection warm

            # Parts.
            raw, svc = [], []
            ctx = await service.market_context(pair)
            for i in range(ROUNDS):
                price = Decimal(80000 + i)
                t0 = time.perf_counter()
                await client.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                         base_amount=Decimal("0.001"), limit_price=price)
                raw.append((time.perf_counter() - t0) * 1000)
                draft = build_draft(FormInput(amount="0.001", price=str(price - 1000)), ctx).draft
                assert draft is not None
                t0 = time.perf_counter()
                await service.place(draft)
                svc.append((time.perf_counter() - t0) * 1000)
            await service.cancel_all()

            # End to end through the UI, with OTHER_ORDERS resting orders listed; each new
            # order is cancelled after its round so the table stays that size.
            for i in range(OTHER_ORDERS):
                await client.place_order(pair="BTC_USDT", order_side="SELL",
                                         order_type="LIMIT", base_amount=Decimal("0.001"),
                                         limit_price=Decimal(120000 + i))
            to_row, to_frame = [], []
            app = Bench(service, pair)
            async with app.run_test(size=(120, 40)) as pilot:
                table = app.query_one("#orders-table", DataTable)
                app.query_one(OpenOrdersPane).show_data(await service.open_orders())
                await pilot.pause()
                assert table.row_count == OTHER_ORDERS
                known = {int(k.value) for k in table.rows if k.value is not None}
                form = OrderFormModal(service, pair, "BID")
                app.install_screen(form, name="order-form")  # as the dashboard does
                for i in range(ROUNDS):
                    if i:
                        form.reuse("BID")
                    app.push_screen(form)
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    form = app.screen
                    assert isinstance(form, OrderFormModal)
                    form.query_one("#amount", Input).value = "0.001"
                    form.query_one("#price", Input).value = str(70000 + i)
                    await pilot.pause()
                    form.review()
                    await pilot.pause()
                    assert isinstance(app.screen, ConfirmModal)
                    rows_before = table.row_count
                    row_at: list[float] = []

                    def added(_change: Any, rows_before: int = rows_before,
                              row_at: list[float] = row_at) -> None:
                        # Called right after the pane's own listener added the row.
                        if not row_at and table.row_count > rows_before:
                            row_at.append(time.perf_counter())

                    service.add_listener(added)
                    app.armed = True
                    t0 = time.perf_counter()
                    app.screen.action_confirm()  # what Enter runs on the confirm step
                    while app.armed:
                        await asyncio.sleep(0.0005)
                    service.remove_listener(added)
                    assert row_at and table.row_count == rows_before + 1
                    to_row.append((row_at[0] - t0) * 1000)
                    to_frame.append((app.drawn_at - t0) * 1000)
                    await app.workers.wait_for_complete()
                    new_ids = [int(k.value) for k in table.rows if k.value is not None
                               and int(k.value) not in known]
                    await service.cancel(new_ids, pair="BTC_USDT")
                    await pilot.pause()
                idle = []
                for _ in range(ROUNDS):
                    t0 = time.perf_counter()
                    await pilot.pause()
                    idle.append((time.perf_counter() - t0) * 1000)
            await service.cancel_all()
        print(summary("client.place_order (HTTP round trip)", raw))
        print(summary("service.place (journal + place + read back)", svc))
        print(summary("confirm Enter -> row in open orders", to_row))
        print(summary("confirm Enter -> dashboard frame with the row", to_frame))
        print(summary("idle pilot.pause() baseline", idle))
        median = statistics.median(to_frame)
        print(f"\ntarget <= 150 ms median: {'OK' if median <= 150 else 'MISSED'} "
              f"({median:.1f} ms)")
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main(separate_process="--process" in sys.argv))
