"""Typed events of the ALP.COM WebSocket feed, parsed from its positional JSON arrays.

Every frame is a JSON array whose first element names its type (see the wire notes):

========= ==============================================================================
type      positions after the type
========= ==============================================================================
welcome   ts, ping_interval_ns, ping_timeout_ns, client_uuid
subscribe ts, topic, ...                        (``unsubscribe`` alike)
error     ts, message[, command]
auth      ts[, account_id]                       (simulator extension: auth accepted)
tk        ts, [pair, close, base_vol, quote_vol, change_pct, high, low, bid, ask], ...
t         ts, trade_id, pair, amount, price, "buy"|"sell"
d         ts, pair, [[[price, delta], ...asks], [[price, delta], ...bids]][, seq]
p         ts, {"Asks", "Bids", "Symbol", "TotalAsks", "TotalBids"}
r         ts, [[rate, base, quote], ...]
o         ts, order_id, pair, side, type, base_amount, limit_price, amount_unfilled,
          amount_filled, amount_cancelled, value_filled, price_avg, done_at, status,
          quote_amount, wallet_type, stop_price, stop_operator
w         ts, currency, wallet_type, isolated_pair_or_null, balance, reserve
ta        ts, trade_id, order_id, pair, side, amount, price, fee_amount, fee_currency,
          is_maker, wallet_type, trade_ts
========= ==============================================================================

``ta`` is not documented anywhere public; the shape above is this project's definition
(the simulator sends it, the client parses it; extra trailing positions are ignored). As
the live shape is unconfirmed, the parser also reads an object payload with the REST
/accounts/trades names and the public ``t`` frame's order (see :func:`_account_trade`).
``d``'s optional fifth element ``seq`` is a per-pair sequence number that only the
simulator sends: with it a lost diff is detected exactly; without it (the live exchange
sends no diffs at all) the local book relies on crossed-book / negative-amount checks and
a periodic comparison with REST.

Money travels as strings and becomes ``Decimal`` here; timestamps are integer seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from alp_tui.api.enums import OrderSide, OrderStatus, OrderType, StopOperator, WalletType
from alp_tui.api.errors import BadResponseError
from alp_tui.api.models import Pair


class StreamEvent(BaseModel):
    """Base of every parsed frame; ``ts`` is the frame's integer-second timestamp."""

    model_config = ConfigDict(frozen=True)

    ts: int = 0


class Welcome(StreamEvent):
    """First frame of a connection."""

    kind: Literal["welcome"] = "welcome"
    ping_interval_ns: int
    ping_timeout_ns: int
    client_uuid: str


class SubscribeAck(StreamEvent):
    """Acknowledgement of a ``subscribe`` command, naming the topics accepted."""

    kind: Literal["subscribe"] = "subscribe"
    topics: tuple[str, ...]


class UnsubscribeAck(StreamEvent):
    """Acknowledgement of an ``unsubscribe`` command."""

    kind: Literal["unsubscribe"] = "unsubscribe"
    topics: tuple[str, ...]


class AuthAck(StreamEvent):
    """The simulator's acknowledgement of ``auth`` (the live exchange may send none)."""

    kind: Literal["auth"] = "auth"
    account_id: int | None = None


class ErrorEvent(StreamEvent):
    """``["error", ts, message, command]``; ``command`` is None on old servers."""

    kind: Literal["error"] = "error"
    message: str
    command: str | None = None


class TickerItem(BaseModel):
    """One pair's row of a ``tk`` frame. ``change_percent`` is per cent."""

    model_config = ConfigDict(frozen=True)

    pair: Pair
    close: Decimal
    base_volume: Decimal
    quote_volume: Decimal
    change_percent: Decimal
    high: Decimal
    low: Decimal
    bid: Decimal
    ask: Decimal


class TickerEvent(StreamEvent):
    """``tk``: ticker rows of the pairs that changed."""

    kind: Literal["tk"] = "tk"
    items: tuple[TickerItem, ...]


class TradeEvent(StreamEvent):
    """``t``: one public trade; ``side`` is the taker's ``buy`` or ``sell``."""

    kind: Literal["t"] = "t"
    trade_id: int
    pair: Pair
    amount: Decimal
    price: Decimal
    side: str

    @property
    def is_buy(self) -> bool:
        """True when the taker bought."""
        return self.side.lower() in ("buy", "bid")


PriceAmount = tuple[Decimal, Decimal]


class DiffEvent(StreamEvent):
    """``d``: per-price amount changes; a level whose amount reaches 0 is removed."""

    kind: Literal["d"] = "d"
    pair: Pair
    asks: tuple[PriceAmount, ...]
    bids: tuple[PriceAmount, ...]
    seq: int | None = None


class DepthEvent(StreamEvent):
    """``p``: the whole top of the book (up to 20 levels a side), replacing what was."""

    kind: Literal["p"] = "p"
    pair: Pair
    asks: tuple[PriceAmount, ...]
    bids: tuple[PriceAmount, ...]
    total_asks: Decimal
    total_bids: Decimal


class RateItem(BaseModel):
    """One conversion rate: 1 ``base`` = ``rate`` ``quote``."""

    model_config = ConfigDict(frozen=True)

    rate: Decimal
    base: str
    quote: str


class RatesEvent(StreamEvent):
    """``r``: currency rates."""

    kind: Literal["r"] = "r"
    rates: tuple[RateItem, ...]


class OrderEvent(StreamEvent):
    """``o``: one of the account's orders changed."""

    kind: Literal["o"] = "o"
    order_id: int
    pair: Pair
    side: OrderSide
    type: OrderType
    base_amount: Decimal | None
    limit_price: Decimal | None
    amount_unfilled: Decimal | None
    amount_filled: Decimal | None
    amount_cancelled: Decimal | None
    value_filled: Decimal | None
    price_avg: Decimal | None
    done_at: int | None
    status: OrderStatus
    quote_amount: Decimal | None
    wallet_type: WalletType
    stop_price: Decimal | None
    stop_operator: StopOperator | None

    @property
    def is_open(self) -> bool:
        """True while the order can still fill."""
        return self.status in (OrderStatus.OPEN, OrderStatus.PARTIAL_FILLED, OrderStatus.PENDING)


class WalletEvent(StreamEvent):
    """``w``: one wallet's balance changed. ``pair`` is set for isolated margin."""

    kind: Literal["w"] = "w"
    currency: str
    wallet_type: WalletType
    pair: Pair | None
    balance: Decimal
    reserve: Decimal

    @property
    def available(self) -> Decimal:
        """Balance minus reserve."""
        return self.balance - self.reserve


class AccountTradeEvent(StreamEvent):
    """``ta``: one of the account's fills (shape defined by this project, see module doc)."""

    kind: Literal["ta"] = "ta"
    trade_id: int
    order_id: int | None
    pair: Pair
    side: OrderSide
    amount: Decimal
    price: Decimal
    fee_amount: Decimal
    fee_currency: str | None
    is_maker: bool
    wallet_type: WalletType
    trade_ts: Decimal | None = None


class UnknownEvent(StreamEvent):
    """A well-formed frame of a type this client does not know; kept, not fatal."""

    kind: Literal["unknown"] = "unknown"
    type: str
    raw: tuple[Any, ...]


AnyEvent = (
    Welcome
    | SubscribeAck
    | UnsubscribeAck
    | AuthAck
    | ErrorEvent
    | TickerEvent
    | TradeEvent
    | DiffEvent
    | DepthEvent
    | RatesEvent
    | OrderEvent
    | WalletEvent
    | AccountTradeEvent
    | UnknownEvent
)

_ORDER_FIELDS = (
    "order_id", "pair", "side", "type", "base_amount", "limit_price", "amount_unfilled",
    "amount_filled", "amount_cancelled", "value_filled", "price_avg", "done_at", "status",
    "quote_amount", "wallet_type", "stop_price", "stop_operator",
)
_TICKER_FIELDS = (
    "pair", "close", "base_volume", "quote_volume", "change_percent", "high", "low", "bid", "ask",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TA_FIELDS = (
    "trade_id", "order_id", "pair", "side", "amount", "price", "fee_amount", "fee_currency",
    "is_maker", "wallet_type", "trade_ts",
)


def _dec(value: Any) -> Decimal | None:
    """Exact Decimal from a wire string or number; None/"" stay None."""
    if value is None or value == "":
        return None
    if isinstance(value, float):  # never produced by our decoder; be safe anyway
        return Decimal(repr(value))
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def _levels(raw: Any) -> tuple[PriceAmount, ...]:
    if raw is None:
        return ()
    out: list[PriceAmount] = []
    for level in raw:
        price, amount = _dec(level[0]), _dec(level[1])
        if price is None or amount is None:
            raise ValueError("empty price level")
        out.append((price, amount))
    return tuple(out)


def _opt_enum(value: Any) -> Any:
    return None if value in (None, "", 0, "0") else value


def _opt_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = _dec(value)
    if number is None or not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return int(number)  # a time with a fraction of a second counts its whole seconds


def _flag(value: Any) -> bool:
    """A JSON flag that may come as a bool, 0/1 or the text "true"/"false"."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
        raise ValueError(f"not a flag: {value!r}")
    return bool(value)


def _when(value: Any) -> Decimal | None:
    """Unix seconds from a number, a numeric string or an RFC 3339 time; None if unknown."""
    if isinstance(value, str) and ("T" in value or "-" in value.strip()[1:]):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        since = moment - _EPOCH  # exact: no float in between
        return Decimal(since.days * 86400 + since.seconds) + Decimal(since.microseconds) / 10**6
    try:
        return _dec(value)
    except ValueError:
        return None


def _first(row: dict[str, Any], *names: str) -> Any:
    for name in names:
        if row.get(name) is not None:
            return row[name]
    return None


def _account_trade(ts: int, rest: list[Any]) -> AccountTradeEvent:
    """A ``ta`` frame in any of the shapes it may take (the live one is unconfirmed):

    - this project's positional shape (see the module table);
    - one object with the REST /accounts/trades names (``id``, ``pair``, ``side``...) or
      the official client's frame names (``trade_id``, ``symbol``, ``direction``, ``date``);
    - the public ``t`` frame's order: trade_id, pair, amount, price, side.
    """
    if len(rest) == 1 and isinstance(rest[0], dict):
        row = rest[0]
        v = {
            "trade_id": _first(row, "trade_id", "id"), "order_id": row.get("order_id"),
            "pair": _first(row, "pair", "symbol"),
            "side": _first(row, "side", "order_side", "direction"),
            "amount": _first(row, "amount", "base_amount"), "price": row.get("price"),
            "fee_amount": row.get("fee_amount"), "fee_currency": row.get("fee_currency"),
            "is_maker": row.get("is_maker"), "wallet_type": row.get("wallet_type"),
            "trade_ts": _first(row, "trade_ts", "timestamp", "date", "ts"),
        }
    elif len(rest) >= 5 and isinstance(rest[1], str) and not _numeric(rest[1]):
        v = dict(zip(("trade_id", "pair", "amount", "price", "side"), rest, strict=False))
    else:
        v = dict(zip(_TA_FIELDS, rest, strict=False))
    trade_id = _opt_int(v.get("trade_id"))
    if trade_id is None:
        raise ValueError("account trade without an id")
    return AccountTradeEvent(
        ts=ts, trade_id=trade_id, order_id=_opt_int(v.get("order_id")),
        pair=v["pair"], side=v["side"], amount=_dec(v["amount"]), price=_dec(v["price"]),
        fee_amount=_dec(v.get("fee_amount")) or Decimal(0),
        fee_currency=v.get("fee_currency") or None, is_maker=_flag(v.get("is_maker")),
        wallet_type=v.get("wallet_type") or WalletType.SPOT,
        trade_ts=_when(v.get("trade_ts")),
    )


def _numeric(text: str) -> bool:
    try:
        Decimal(text.strip())
    except ArithmeticError:
        return False
    return True


def _build(frame: list[Any]) -> AnyEvent:
    kind = frame[0]
    ts = int(frame[1]) if len(frame) > 1 and frame[1] is not None else 0
    rest = frame[2:]
    if kind == "welcome":
        return Welcome(ts=ts, ping_interval_ns=int(rest[0]), ping_timeout_ns=int(rest[1]),
                       client_uuid=str(rest[2]))
    if kind == "subscribe":
        return SubscribeAck(ts=ts, topics=tuple(str(t) for t in rest))
    if kind == "unsubscribe":
        return UnsubscribeAck(ts=ts, topics=tuple(str(t) for t in rest))
    if kind == "auth":
        return AuthAck(ts=ts, account_id=_opt_int(rest[0]) if rest else None)
    if kind == "error":
        return ErrorEvent(ts=ts, message=str(rest[0]) if rest else "",
                          command=str(rest[1]) if len(rest) > 1 and rest[1] is not None else None)
    if kind == "tk":
        items = []
        for row in rest:
            if len(row) < len(_TICKER_FIELDS):
                raise ValueError("ticker row needs 9 fields")
            values = dict(zip(_TICKER_FIELDS, row, strict=False))
            items.append(TickerItem(**{k: (v if k == "pair" else _dec(v) or Decimal(0))
                                       for k, v in values.items()}))
        return TickerEvent(ts=ts, items=tuple(items))
    if kind == "t":
        return TradeEvent(ts=ts, trade_id=int(rest[0]), pair=rest[1], amount=_dec(rest[2]),
                          price=_dec(rest[3]), side=str(rest[4]))
    if kind == "d":
        sides = rest[1]
        seq = _opt_int(rest[2]) if len(rest) > 2 else None
        return DiffEvent(ts=ts, pair=rest[0], asks=_levels(sides[0]), bids=_levels(sides[1]),
                         seq=seq)
    if kind == "p":
        body = rest[0]
        if not isinstance(body, dict):
            raise ValueError("market depth body must be an object")
        return DepthEvent(ts=ts, pair=body["Symbol"], asks=_levels(body["Asks"]),
                          bids=_levels(body["Bids"]), total_asks=_dec(body["TotalAsks"]),
                          total_bids=_dec(body["TotalBids"]))
    if kind == "r":
        rows = rest[0] if rest else []
        return RatesEvent(ts=ts, rates=tuple(
            RateItem(rate=_dec(r[0]), base=str(r[1]), quote=str(r[2])) for r in rows))
    if kind == "o":
        if len(rest) < len(_ORDER_FIELDS):
            raise ValueError("order update needs 18 positions after the type")
        v = dict(zip(_ORDER_FIELDS, rest, strict=False))
        return OrderEvent(
            ts=ts, order_id=int(v["order_id"]), pair=v["pair"], side=v["side"], type=v["type"],
            base_amount=_dec(v["base_amount"]), limit_price=_dec(v["limit_price"]),
            amount_unfilled=_dec(v["amount_unfilled"]), amount_filled=_dec(v["amount_filled"]),
            amount_cancelled=_dec(v["amount_cancelled"]), value_filled=_dec(v["value_filled"]),
            price_avg=_dec(v["price_avg"]), done_at=_opt_int(v["done_at"]),
            status=v["status"], quote_amount=_dec(v["quote_amount"]),
            wallet_type=v["wallet_type"] or WalletType.SPOT,
            stop_price=_dec(v["stop_price"]), stop_operator=_opt_enum(v["stop_operator"]),
        )
    if kind == "w":
        return WalletEvent(ts=ts, currency=str(rest[0]), wallet_type=rest[1],
                           pair=rest[2] or None, balance=_dec(rest[3]), reserve=_dec(rest[4]))
    if kind == "ta":
        return _account_trade(ts, rest)
    return UnknownEvent(ts=ts, type=str(kind), raw=tuple(frame))


def parse_frame(raw: str | bytes) -> AnyEvent:
    """Parse one text frame into its typed event.

    Raises :class:`BadResponseError` for anything that is not a JSON array starting with
    a string type, or whose known type has the wrong shape. The text ``1``/``2`` pings are
    not frames: the stream client handles them before calling this.
    """
    try:
        frame = json.loads(raw, parse_float=Decimal)
    except ValueError as exc:
        raise BadResponseError("The feed sent a frame that is not JSON.") from exc
    if not isinstance(frame, list) or not frame or not isinstance(frame[0], str):
        raise BadResponseError("The feed sent a frame that is not a typed JSON array.")
    try:
        return _build(frame)
    except (ValueError, ArithmeticError, TypeError, KeyError, IndexError,
            ValidationError) as exc:
        raise BadResponseError(
            f"The feed sent a malformed {frame[0]!r} frame: {type(exc).__name__}."
        ) from exc
