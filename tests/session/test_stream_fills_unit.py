"""StreamFills alone, with a stand-in stream: a taker order's ``ta`` frames are one hand-over
closed by its ``o`` frame; nothing is taken from a stream not signed in; until a first
``ta`` frame the caller reads fills from REST at once; after that, an order that moved
with no ``ta`` frame is read from REST once, after the wait."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from session_support import until

from alp_tui.api.models import AccountTrade
from alp_tui.api.stream import StreamState
from alp_tui.api.stream_events import AccountTradeEvent, OrderEvent
from alp_tui.session.stream_fills import StreamFills

D = Decimal


class FakeStream:
    """What StreamFills uses of a StreamClient."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Any], None]] = []
        self.state = StreamState.CONNECTED
        self.authenticated = True

    def add_listener(self, listener: Callable[[Any], None]) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener: Callable[[Any], None]) -> None:
        self.listeners.remove(listener)

    def send(self, event: Any) -> None:
        for listener in list(self.listeners):
            listener(event)


def _ta(trade_id: int, order_id: int, amount: str, price: str) -> AccountTradeEvent:
    return AccountTradeEvent(trade_id=trade_id, order_id=order_id, pair="BTC_USDT",
                             side="BID", amount=D(amount), price=D(price),
                             fee_amount=D(0), fee_currency="BTC", is_maker=False,
                             wallet_type="SPOT")


def _o(order_id: int, status: str) -> OrderEvent:
    return OrderEvent(order_id=order_id, pair="BTC_USDT", side="BID", type="LIMIT",
                      base_amount=D("0.007"), limit_price=D(90001), amount_unfilled=D(0),
                      amount_filled=D("0.007"), amount_cancelled=D(0), value_filled=None,
                      price_avg=None, done_at=None, status=status, quote_amount=None,
                      wallet_type="SPOT", stop_price=None, stop_operator=None)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[list[AccountTrade], dict[int, bool]]] = []
        self.refreshes = 0

    def trades(self, trades: list[AccountTrade], still_open: Mapping[int, bool]) -> None:
        self.calls.append((trades, dict(still_open)))

    def refresh(self) -> None:
        self.refreshes += 1


def _fills(stream: FakeStream, rec: Recorder, **kwargs: Any) -> StreamFills:
    return StreamFills(stream, on_trades=rec.trades, refresh=rec.refresh, **kwargs)


async def test_an_orders_trades_go_together_once_its_update_comes() -> None:
    stream, rec = FakeStream(), Recorder()
    _fills(stream, rec, gather_s=60)  # only the order's own update can end the burst
    stream.send(_ta(1, 7, "0.003", "90000"))
    stream.send(_ta(2, 7, "0.004", "90001"))
    assert rec.calls == []
    stream.send(_o(7, "FILLED"))
    await until(lambda: rec.calls)
    ((trades, still_open),) = rec.calls
    assert [t.id for t in trades] == [1, 2] and still_open == {7: False}


async def test_without_an_update_the_trades_go_after_the_gathering_wait() -> None:
    stream, rec = FakeStream(), Recorder()
    _fills(stream, rec, gather_s=0.05)
    stream.send(_ta(1, 7, "0.003", "90000"))
    await until(lambda: rec.calls)
    assert [t.amount for t in rec.calls[0][0]] == [D("0.003")]


async def test_frames_of_a_stream_not_signed_in_are_not_ours() -> None:
    stream, rec = FakeStream(), Recorder()
    fills = _fills(stream, rec, gather_s=0.01)
    stream.authenticated = False
    stream.send(_ta(1, 7, "0.003", "90000"))
    stream.send(_o(7, "FILLED"))
    stream.authenticated = True
    stream.send(_ta(2, 8, "0.001", "90000"))
    await until(lambda: rec.calls)
    assert [t.id for t in rec.calls[0][0]] == [2] and fills.told == 1


async def test_orders_that_moved_without_a_trade_frame_are_read_from_rest() -> None:
    stream, rec = FakeStream(), Recorder()
    fills = _fills(stream, rec, gather_s=0.01, confirm_s=0.05)
    assert fills.expect({7}) is False  # no ta frame ever: read now, as without a stream
    stream.send(_ta(1, 7, "0.003", "90000"))
    await until(lambda: rec.calls)
    assert fills.expect({7}) is True  # its ta frame came: nothing to read
    assert fills.expect({9}) is True  # a cancel, or a fill told by no frame: read later
    await until(lambda: rec.refreshes == 1)
    stream.state = StreamState.BACKOFF
    assert fills.expect({10}) is False  # the stream is down: read now
