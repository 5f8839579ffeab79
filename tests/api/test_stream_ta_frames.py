"""The private ``ta`` (account trade) frame is unverified against the live exchange: the
wire notes only name it. The parser reads this project's positional shape, an object
payload with the REST /accounts/trades names, and the public ``t`` frame's order; sides as
BID/ASK, BUY/SELL or buy/sell; flags and numbers as JSON or as strings."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from alp_tui.api.enums import OrderSide, WalletType
from alp_tui.api.errors import BadResponseError
from alp_tui.api.stream_events import AccountTradeEvent, parse_frame

D = Decimal


def _ta(*rest: object) -> AccountTradeEvent:
    event = parse_frame(json.dumps(["ta", 1700000000, *rest]))
    assert isinstance(event, AccountTradeEvent)
    return event


def test_project_positional_shape() -> None:
    e = _ta(7, 34, "BTC_USDT", "BID", "0.5", "45000.10", "0.01", "USDT", True,
            "CROSS_MARGIN", "1700000000.123456")
    assert (e.trade_id, e.order_id, e.pair, e.side) == (7, 34, "BTC_USDT", OrderSide.BID)
    assert (e.amount, e.price, e.fee_amount) == (D("0.5"), D("45000.10"), D("0.01"))
    assert e.is_maker is True and e.wallet_type is WalletType.CROSS_MARGIN
    assert e.trade_ts == D("1700000000.123456")


@pytest.mark.parametrize(("flag", "expected"), [
    ("false", False), ("true", True), (0, False), (1, True), ("0", False), (None, False),
])
def test_is_maker_as_a_string_or_number(flag, expected) -> None:
    e = _ta(7, 34, "BTC_USDT", "ASK", "0.5", "45000", "0", "USDT", flag, "SPOT", None)
    assert e.is_maker is expected


@pytest.mark.parametrize("side", ["buy", "BUY", "bid", "BID"])
def test_side_spellings(side) -> None:
    assert _ta(7, 34, "BTC/USDT", side, "1", "2", "0", None, False, "SPOT").side is OrderSide.BID


def test_object_payload_with_rest_names() -> None:
    e = _ta({"id": 9, "order_id": "35", "pair": "ETH/USDT", "side": "sell", "amount": 1.25,
             "price": "1800.5", "fee_amount": "0.002", "fee_currency": "USDT",
             "is_maker": "false", "wallet_type": "MARGIN_ISOLATED",
             "date": "2023-09-04T12:00:00Z", "status": "FILLED", "new_field": [1]})
    assert (e.trade_id, e.order_id, e.pair, e.side) == (9, 35, "ETH_USDT", OrderSide.ASK)
    assert (e.amount, e.price, e.fee_amount) == (D("1.25"), D("1800.5"), D("0.002"))
    assert e.is_maker is False and e.wallet_type is WalletType.ISOLATED_MARGIN
    assert e.trade_ts == D(1693828800)


def test_object_payload_with_official_ws_names() -> None:
    """Names the official client's other frames use: symbol, direction, trade_id, date."""
    e = _ta({"trade_id": 10, "symbol": "BTC_USDT", "direction": "buy", "amount": "0.1",
             "price": "45000", "date": 1700000000.5})
    assert (e.trade_id, e.order_id, e.pair, e.side) == (10, None, "BTC_USDT", OrderSide.BID)
    assert e.fee_amount == 0 and e.fee_currency is None and e.wallet_type is WalletType.SPOT
    assert e.trade_ts == D("1700000000.5")


def test_public_trade_order() -> None:
    """``["ta", ts, trade_id, pair, amount, price, side]`` as the public ``t`` frame."""
    e = _ta(11, "BTC_USDT", "0.25", "45000.5", "sell")
    assert (e.trade_id, e.order_id, e.pair, e.side) == (11, None, "BTC_USDT", OrderSide.ASK)
    assert (e.amount, e.price) == (D("0.25"), D("45000.5"))


@pytest.mark.parametrize("rest", [
    [], [{"id": 1}], ["x", 34, "BTC_USDT", "BID", "1", "2"], [7, 34, "BTC_USDT", "UP", "1", "2"],
])
def test_malformed_frames_are_refused_as_bad_answers(rest) -> None:
    with pytest.raises(BadResponseError):
        parse_frame(json.dumps(["ta", 1, *rest]))


def test_a_garbled_number_in_any_frame_is_a_bad_answer_not_a_crash() -> None:
    """The feed reader drops frames that raise BadResponseError; anything else would end
    the reader."""
    order = ["o", 1, 5, "BTC_USDT", "BID", "LIMIT", "1", "2", "1", "0", "0", "0", "", "soon",
             "OPEN", "", "SPOT", "", ""]
    for frame in (order, ["ta", 1, 7, "x-1", "BTC_USDT", "BID", "1", "2"],
                  ["w", 1, "BTC", "SPOT", None, "1e", "0"], ["auth", 1, "NaN"]):
        with pytest.raises(BadResponseError):
            parse_frame(json.dumps(frame))


def test_an_order_update_done_at_with_a_fraction_of_a_second() -> None:
    """The official client types ``done_at`` as a float: 1700000000.25 is a done order."""
    frame = ["o", 1, 5, "BTC_USDT", "BID", "LIMIT", "1", "2", "0", "1", "0", "2", "2",
             1700000000.25, "FILLED", "", "SPOT", "", ""]
    event = parse_frame(json.dumps(frame))
    assert event.done_at == 1700000000  # type: ignore[union-attr]
