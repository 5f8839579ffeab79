"""The ``stream`` alert end to end, with no app: the simulator's private stream is cut while
an order is open; the alert fires once after ``stream_lost_s``, and once the stream is back
the trader is told so (a second, calm alert: the danger is over)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from session_support import make_session, until

from alp_tui.config import AlertsConfig, Config
from alp_tui.session import AlertFired, AlertKind, Session

LOST_S = 0.5  # small in the test; 30 s by default


def _stream_alerts(session: Session) -> list[AlertFired]:
    return [a for a in session.alert_log if a.kind is AlertKind.STREAM]


async def _checks(session: Session, count: int) -> None:
    """Wait for ``count`` more once-a-second looks at the stream."""
    engine = session.alerts
    done = engine.stream_checks
    await until(lambda: engine.stream_checks >= done + count)


async def test_stream_lost_with_an_open_order_fires_once_then_back_is_told(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    price = (ex.last_price("BTC_USDT") * Decimal("0.9")).quantize(Decimal(1))
    config = Config(alerts=AlertsConfig(stream_lost_s=LOST_S))
    session = make_session(sim_server, tmp_path, config=config, stream=True)
    async with session:
        feed = session.stream_feed
        assert feed is not None
        feed.stream.backoff_initial_s = 0.01
        feed.stream.backoff_max_s = 0.05
        await until(lambda: feed.is_streaming("orders"))
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.01",
                                         limit_price=price, tif="GTC")
        session.after_action()
        await until(lambda: session.account.open_orders)
        await _checks(session, 2)
        assert _stream_alerts(session) == []  # delivering: nothing to say

        hub = sim_server.feed
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await until(lambda: _stream_alerts(session))
        (lost,) = _stream_alerts(session)
        assert lost.danger and "lost" in lost.text and "open orders" in lost.text
        await _checks(session, 3)
        assert len(_stream_alerts(session)) == 1  # once, however long it stays down

        hub.faults.refuse_connections = False
        await until(lambda: len(_stream_alerts(session)) == 2)
        back = _stream_alerts(session)[1]
        assert not back.danger and "back" in back.text
        await _checks(session, 3)
        assert len(_stream_alerts(session)) == 2


async def test_a_short_cut_or_no_open_order_says_nothing(
    sim_server: Any, tmp_path: Path
) -> None:
    config = Config(alerts=AlertsConfig(stream_lost_s=LOST_S))
    session = make_session(sim_server, tmp_path, config=config, stream=True)
    async with session:
        feed = session.stream_feed
        assert feed is not None
        feed.stream.backoff_initial_s = 0.01
        feed.stream.backoff_max_s = 0.05
        await until(lambda: feed.is_streaming("orders") and "orders" in session.account.known)
        assert not session.account.open_orders
        hub = sim_server.feed
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await until(lambda: not feed.stream.authenticated)
        await _checks(session, 3)  # lost for longer than LOST_S, but nothing at risk
        hub.faults.refuse_connections = False
        await until(lambda: feed.stream.authenticated)
        await _checks(session, 2)
        assert _stream_alerts(session) == []
