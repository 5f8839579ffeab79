"""The ``stream`` alert on screen, against the simulator's live stream: cut while an order is
open, a red banner that stays (and the bell); back, a calm toast, and the banner no longer
says the stream is lost (nor rings for the good news)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from alp_tui.config import AlertsConfig, Config
from alp_tui.ui.widgets.alert_banner import AlertBanner
from tests.support.dashboard import sim_app
from tests.support.wait import wait_until


def _notes(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_stream_lost_banner_then_back_clears_it(sim_server: Any, tmp_path: Path) -> None:
    config = Config(alerts=AlertsConfig(stream_lost_s=0.5))
    app = sim_app(sim_server, keys=True, config=config, stream=True)
    app.journal_path = tmp_path / "journal.sqlite3"
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        session = app.session
        await wait_until(pilot, lambda: session.started and session.stream_feed is not None
                         and session.stream_feed.is_streaming("orders"),
                         what="private stream delivering")
        feed = session.stream_feed
        feed.stream.backoff_initial_s = 0.01
        feed.stream.backoff_max_s = 0.05
        price = (sim_server.exchange.last_price("BTC_USDT") * Decimal("0.9")).quantize(
            Decimal(1))
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.01",
                                         limit_price=price, tif="GTC")
        session.after_action()
        await wait_until(pilot, lambda: session.account.open_orders, what="order open")

        hub = sim_server.feed
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await wait_until(pilot, lambda: any("Private stream lost" in n for n in _notes(app)),
                         what="the lost toast")
        banner = app.main.query_one(AlertBanner)
        assert banner.display and "Private stream lost" in banner.messages[-1]
        # the margin tab's dismiss key is no help with a stream alert
        assert "Margin tab" not in str(banner.render())
        rung = len(bells)
        assert rung >= 1

        hub.faults.refuse_connections = False
        await wait_until(pilot, lambda: any("Private stream back" in n for n in _notes(app)),
                         what="the back toast")
        await pilot.pause()
        assert not any("Private stream lost" in m for m in banner.messages)
        assert not banner.display  # nothing else was on it
        assert len(bells) == rung  # good news does not ring
