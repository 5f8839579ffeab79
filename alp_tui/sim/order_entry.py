"""Order entry: a request's typed fields checked against the pair's rules, and the funds an
order has to hold.

Pure functions over the pair's spec and the book; the order desk calls them before it
touches any money, so a refused order changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import (
    OrderSide,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.sim.catalog import PairSpec
from alp_tui.sim.engine import Order, OrderBook
from alp_tui.sim.errors import SimError
from alp_tui.sim.textcheck import check_text

ZERO = Decimal(0)
FEE_QUANTUM = Decimal("1e-8")
STOP_MARKET_BUFFER = Decimal("1.05")
CLIENT_ID_MAX = 64
T_LIMIT = OrderType.LIMIT
T_MARKET = OrderType.MARKET
T_STOP_LIMIT = OrderType.STOP_LIMIT
T_STOP_MARKET = OrderType.STOP_MARKET
TIF_GTC = TimeInForce.GTC
TIF_IOC = TimeInForce.IOC


def opt_enum(cls: Any, value: Any, field: str) -> Any:
    """``value`` parsed as the wire enum ``cls`` (None when absent); a 400 otherwise."""
    if value is None or value == "":
        return None
    try:
        return cls.parse(value, field)
    except ValueError as exc:
        raise SimError.field(field, str(exc)) from None


def opt_decimal(value: Any, field: str) -> Decimal | None:
    """``value`` as a finite Decimal (None when absent); a 400 otherwise."""
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise SimError.field(field, "must be a number") from None
    if not number.is_finite():
        raise SimError.field(field, "must be a finite number")
    return number


def _ts(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def validate_order(spec: PairSpec, account_id: int, req: dict[str, Any], now: float,
                   last_price: Decimal, open_by_client_id: Callable[[str], Order | None]
                   ) -> Order:
    """The order ``req`` describes (id 0), or a 400 naming the first bad field.

    ``open_by_client_id(cid)`` answers the account's open order with that client id."""
    otype = opt_enum(OrderType, req.get("order_type"), "order_type")
    if otype is None:
        raise SimError.field("order_type", "required")
    side = opt_enum(OrderSide, req.get("order_side"), "order_side")
    if side is None:
        raise SimError.field("order_side", "required")
    wallet_type = opt_enum(WalletType, req.get("wallet_type"), "wallet_type") \
        or WalletType.SPOT
    if wallet_type is WalletType.FUNDING:
        raise SimError.field("wallet_type", "orders cannot trade from the FUNDING wallet")
    tif = opt_enum(TimeInForce, req.get("tif"), "tif") or TIF_GTC
    if tif is TimeInForce.UNDEFINED_TIME_IN_FORCE:
        tif = TIF_GTC
    side_effect = opt_enum(SideEffect, req.get("side_effect"), "side_effect") \
        or SideEffect.NO_SIDE_EFFECT
    base = opt_decimal(req.get("base_amount"), "base_amount")
    quote = opt_decimal(req.get("quote_amount"), "quote_amount")
    price = opt_decimal(req.get("limit_price"), "limit_price")
    stop = opt_decimal(req.get("stop_price"), "stop_price")
    stop_op = opt_enum(StopOperator, req.get("stop_operator"), "stop_operator")
    client_order_id = req.get("client_order_id") or None
    if client_order_id is not None:
        client_order_id = check_text("client_order_id", str(client_order_id),
                                     CLIENT_ID_MAX)
        other = open_by_client_id(client_order_id)
        if other is not None:
            raise SimError.field("client_order_id", f"already used by open order {other.id}")
    expire_at = None
    for key in ("expire_after", "valid_till"):
        value = req.get(key)
        if value not in (None, ""):
            ts = _ts(value)
            if ts is not None and ts <= now:
                raise SimError.field(key, "must be in the future")
            expire_at = ts if expire_at is None else min(expire_at, ts)  # type: ignore

    priced = otype in (T_LIMIT, T_STOP_LIMIT)
    if priced:
        if base is None:
            raise SimError.field("base_amount", "required")
        if quote is not None:
            raise SimError.field("quote_amount", f"not allowed for {otype.value}")
        if price is None:
            raise SimError.field("limit_price", "required")
    else:
        if price is not None:
            raise SimError.field("limit_price", f"not allowed for {otype.value}")
        if (base is None) == (quote is None):
            raise SimError.field("base_amount",
                                 "give exactly one of base_amount and quote_amount")
        if otype is T_STOP_MARKET and side is OrderSide.ASK and base is None:
            raise SimError.field("base_amount", "required for a STOP_MARKET sell")
    if otype in (T_STOP_LIMIT, T_STOP_MARKET):
        if stop is None:
            raise SimError.field("stop_price", "required")
        if stop_op is None:
            raise SimError.field("stop_operator", "required")
        if stop <= 0:
            raise SimError.field("stop_price", "must be positive")
        if stop != stop.quantize(spec.price_tick):
            raise SimError.field("stop_price", f"at most {spec.price_precision} decimals")
    else:
        stop = None
        stop_op = None
    _check_amounts(spec, price, base, quote, stop, last_price)
    if not priced:
        tif = TIF_IOC if tif is TIF_GTC else tif
    wallet_pair = spec.name if wallet_type is WalletType.ISOLATED_MARGIN else None
    return Order(
        id=0, account_id=account_id, pair=spec.name, is_bid=side is OrderSide.BID,
        type=otype, amount=base if base is not None else ZERO, price=price,
        created_at=now, wallet_type=wallet_type, wallet_pair=wallet_pair, tif=tif,
        quote_amount=quote, stop_price=stop, stop_operator=stop_op,
        client_order_id=client_order_id, side_effect=side_effect, expire_at=expire_at)


def _check_amounts(spec: PairSpec, price: Decimal | None, base: Decimal | None,
                   quote: Decimal | None, stop: Decimal | None, last_price: Decimal) -> None:
    if price is not None:
        if price <= 0:
            raise SimError.field("limit_price", "must be positive")
        if price != price.quantize(spec.price_tick):
            raise SimError.field("limit_price", f"at most {spec.price_precision} decimals")
    if base is not None:
        if base <= 0:
            raise SimError.field("base_amount", "must be positive")
        if base != base.quantize(spec.amount_step):
            raise SimError.field("base_amount", f"at most {spec.amount_precision} decimals")
        if base < spec.minimum_order_size:
            raise SimError.field("base_amount",
                                 f"below the minimum order size {spec.minimum_order_size}")
        if base > spec.maximum_order_size:
            raise SimError.field("base_amount",
                                 f"above the maximum order size {spec.maximum_order_size}")
        ref_price = price if price is not None else (stop or last_price)
        if base * ref_price < spec.minimum_order_value:
            raise SimError.field(
                "base_amount",
                f"order value below the minimum {spec.minimum_order_value} {spec.quote}")
    if quote is not None:
        if quote <= 0:
            raise SimError.field("quote_amount", "must be positive")
        if quote != quote.quantize(FEE_QUANTUM):
            raise SimError.field("quote_amount", "at most 8 decimals")
        if quote < spec.minimum_order_value:
            raise SimError.field(
                "quote_amount",
                f"below the minimum order value {spec.minimum_order_value} {spec.quote}")


def hold_needed(o: Order, book: OrderBook) -> Decimal:
    """Funds to hold for ``o``, in the quote (bids) or base (asks) currency."""
    if o.type is T_LIMIT or o.type is T_STOP_LIMIT:
        return o.amount * o.price if o.is_bid else o.amount  # type: ignore[operator]
    if o.type is T_STOP_MARKET:
        if not o.is_bid:
            return o.amount
        if o.quote_amount is not None:
            return o.quote_amount
        return (o.amount * o.stop_price * STOP_MARKET_BUFFER).quantize(  # type: ignore
            FEE_QUANTUM)
    # MARKET: what the book shows now (the order executes in this same call).
    if o.is_bid:
        if o.quote_amount is not None:
            return o.quote_amount
        return book.fillable(True, None, base=o.amount)[1]
    if o.quote_amount is None:
        return o.amount
    return book.fillable(False, None, quote=o.quote_amount)[0]
