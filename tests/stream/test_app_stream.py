"""The dashboard with streaming on (as the CLI runs it): header badge STREAM, POLLING while
the feed is down, STREAM again; the book pane keeps updating throughout."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.config import Config
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app

PAIR = "BTC_USDT"


async def wait(pilot: Any, condition: Callable[[], bool], what: str, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_badge_follows_the_stream(sim_server: SimServer) -> None:
    app = create_app(Config(), base_url=sim_server.base_url, api_key=sim_server.api_key,
                     api_secret=sim_server.api_secret, mode="demo", stream=True)
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.stream_feed is not None
        app.stream_feed.stream.backoff_initial_s = 0.01
        app.stream_feed.stream.backoff_max_s = 0.05
        header = app.header_pane
        app.set_book_grouping(True)  # a price-grouped book is what the stream can serve
        await wait(pilot, lambda: header.connection == "STREAM", "STREAM badge")
        await wait(pilot, lambda: app.stream_feed.is_streaming("orderbook"), "book streamed")
        hub = sim_server.feed
        assert hub is not None
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await wait(pilot, lambda: header.connection == "POLLING", "POLLING badge")
        hub.faults.refuse_connections = False
        await wait(pilot, lambda: header.connection == "STREAM", "STREAM again")
        seen: list[Any] = []
        pane = app.data_panes("orderbook")[0]
        original = pane.show_data

        def spy(data: Any) -> Any:
            seen.append(data)
            return original(data)

        pane.show_data = spy  # type: ignore[method-assign]
        sim_server.exchange.place_order(sim_server.account_id, {
            "pair": PAIR, "order_type": OrderType.LIMIT, "order_side": OrderSide.BID,
            "wallet_type": WalletType.SPOT, "base_amount": Decimal("0.01"),
            "limit_price": Decimal("90500")})
        await wait(pilot, lambda: any(b.buy and b.buy[0].price == Decimal("90500")
                                      for b in seen), "streamed book on screen")
        await app.stream_feed.aclose()
