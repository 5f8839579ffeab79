"""Fills from the private stream, with no app: the simulator's ``ta`` frames tell a fill at
once (no /accounts/trades request), a later poll of the same trades tells nothing again,
and an order filled by several trades is one event at their average price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from session_support import make_session, offer, until

from alp_tui.config import Config, PollingConfig
from alp_tui.session import AlertFired, AlertKind, FillEvent, Session


def _fills(seen: list[Any]) -> list[FillEvent]:
    return [e for e in seen if isinstance(e, FillEvent)]


def _fill_alerts(seen: list[Any]) -> list[AlertFired]:
    return [e for e in seen if isinstance(e, AlertFired) and e.kind is AlertKind.FILL]


def _fills_poller(session: Session) -> Any:
    assert session.feed is not None
    return session.feed.pollers["fills"]


async def _streaming(session: Session) -> None:
    """The private stream delivers and the fills poll has read what was there."""
    poller = _fills_poller(session)
    feed = session.stream_feed
    assert feed is not None
    await until(lambda: feed.is_streaming("orders") and poller.requests >= 1
                and not poller.in_flight)


async def _fills_polled(session: Session) -> None:
    """Ask /accounts/trades now and wait for its answer to be handled."""
    poller = _fills_poller(session)
    asked = poller.requests
    poller.refresh_now()
    await until(lambda: poller.requests > asked and not poller.in_flight)


async def test_stream_tells_a_resting_orders_fills_at_once_and_once(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    price = (ex.last_price("BTC_USDT") * Decimal("0.9")).quantize(Decimal(1))
    session = make_session(sim_server, tmp_path, stream=True)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await _streaming(session)
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.02",
                                         limit_price=price, tif="GTC")
        session.after_action()
        await until(lambda: session.account.open_orders)
        await _fills_polled(session)  # the action's own re-read is over
        poller = _fills_poller(session)
        asked = poller.requests

        offer(sim_server, amount="0.005", price=price)  # another account: a partial fill
        await until(lambda: _fills(seen))
        assert poller.requests == asked  # told by the stream, not by a poll
        (first,) = _fills(seen)
        assert first.partial and first.amount == Decimal("0.005")
        assert first.average_price == price
        await _fills_polled(session)  # the poll sees the same trade: nothing new
        assert len(_fills(seen)) == 1 and len(_fill_alerts(seen)) == 1

        offer(sim_server, amount="0.015", price=price)  # the rest
        await until(lambda: len(_fills(seen)) == 2)
        last = _fills(seen)[-1]
        assert not last.partial and last.amount == Decimal("0.015")
        await _fills_polled(session)
        assert len(_fills(seen)) == 2
        shown = f"{price:,.2f}"  # BTC_USDT prices have two places
        assert _fill_alerts(seen)[-1].text == (
            f"Filled BUY 0.015 BTC of BTC_USDT @ {shown} avg")


async def test_an_order_filled_by_two_trades_is_one_event_at_their_average(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    last = ex.last_price("BTC_USDT")
    low, high = last + 1000, last + 1001
    session = make_session(sim_server, tmp_path, stream=True)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await _streaming(session)
        offer(sim_server, amount="0.003", price=low)
        offer(sim_server, amount="0.004", price=high)
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.007",
                                         limit_price=high, tif="GTC")
        session.after_action()  # the stream and this re-read race: still one event
        await until(lambda: _fills(seen))
        await _fills_polled(session)
        (fill,) = _fills(seen)
        assert not fill.partial and fill.amount == Decimal("0.007")
        assert fill.average_price == (low * 3 + high * 4) / 7
        assert f"@ {(low * 3 + high * 4) / 7:,.2f} avg" in fill.text


async def test_with_the_stream_down_a_poll_tells_the_fill_and_only_once(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    price = (ex.last_price("BTC_USDT") * Decimal("0.9")).quantize(Decimal(1))
    config = Config(polling=PollingConfig(orders=0.5))
    session = make_session(sim_server, tmp_path, config=config, stream=True)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        feed = session.stream_feed
        assert feed is not None
        feed.stream.backoff_initial_s = 0.01
        feed.stream.backoff_max_s = 0.05
        session.show({"orders"})  # the open orders on screen: polled every 0.5 s
        await _streaming(session)
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.02",
                                         limit_price=price, tif="GTC")
        session.after_action()
        await until(lambda: session.account.open_orders)
        hub = sim_server.feed
        hub.faults.refuse_connections = True
        hub.drop_connections()
        await until(lambda: not session.stream_fills.delivering())  # type: ignore[union-attr]
        asked = _fills_poller(session).requests

        offer(sim_server, amount="0.005", price=price)
        await until(lambda: _fills(seen))
        assert _fills_poller(session).requests > asked  # read from REST
        (fill,) = _fills(seen)
        assert fill.partial and fill.amount == Decimal("0.005")

        hub.faults.refuse_connections = False
        await until(lambda: feed.is_streaming("orders"))
        await _fills_polled(session)
        assert len(_fills(seen)) == 1 and len(_fill_alerts(seen)) == 1
