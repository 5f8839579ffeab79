"""Order entry latency; run by hand: ``.venv/bin/python tests/bench/bench_order_entry.py``.

Measures, against the local simulator over HTTP (loopback), the time from the Enter that
confirms an order to the order's row being in the open orders table, and then to the next
screen refresh having drawn it. Target: median <= 150 ms.

Also reports the parts: the place request alone (client.place_order), and the service's
place (journal write + request + read-back of the new order).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

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


class Bench(App[None]):
    """Just the open orders pane."""

    def __init__(self, service: TradingService, pair: PairInfo) -> None:
        super().__init__()
        self.service = service
        self.pair = pair

    def compose(self) -> ComposeResult:
        yield OpenOrdersPane(self.service, pairs={self.pair.name: self.pair})

    def on_mount(self) -> None:
        self.query_one(OpenOrdersPane).set_pair(self.pair)


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (f"{name:<44} median {statistics.median(samples):6.1f} ms   p90 {p90:6.1f} ms   "
            f"best {ordered[0]:6.1f} ms   (n={len(samples)})")


async def main() -> None:
    server = SimServer(seed=1, market_life=False)
    server.start()
    tmp = tempfile.TemporaryDirectory()
    try:
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

            # End to end through the UI.
            to_row, to_frame = [], []
            app = Bench(service, pair)
            async with app.run_test(size=(120, 40)) as pilot:
                table = app.query_one("#orders-table", DataTable)
                for i in range(ROUNDS):
                    app.push_screen(OrderFormModal(service, pair, "BID"))
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
                    t0 = time.perf_counter()
                    app.screen.action_confirm()  # what Enter runs on the confirm step
                    while table.row_count == rows_before:
                        await asyncio.sleep(0.0005)
                    to_row.append((time.perf_counter() - t0) * 1000)
                    await pilot.pause()  # the next refresh draws it
                    to_frame.append((time.perf_counter() - t0) * 1000)
                    await app.workers.wait_for_complete()
                idle = []
                for _ in range(ROUNDS):
                    t0 = time.perf_counter()
                    await pilot.pause()
                    idle.append((time.perf_counter() - t0) * 1000)
            await service.cancel_all()
        print(summary("client.place_order (HTTP round trip)", raw))
        print(summary("service.place (journal + place + read back)", svc))
        print(summary("confirm Enter -> row in open orders", to_row))
        print(summary("confirm Enter -> row drawn (after a pause)", to_frame))
        print(summary("idle pilot.pause() baseline", idle))
        median = statistics.median(to_row)
        print(f"\ntarget <= 150 ms median: {'OK' if median <= 150 else 'MISSED'} "
              f"({median:.1f} ms)")
    finally:
        server.stop()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
