"""The official ``alpcom-api`` 1.0.3 client's response models, restated for the tests.

The package can't be installed beside this project (it pins pydantic 2.1.1 and requests
2.31.0, and its wheel does not import), so these models restate what its source requires:
the field names, which fields have no default, and each field's type, validated the way
pydantic 2 validates them (a ``str`` field refuses numbers and null; a field declared
``T = None`` refuses an explicit null too, since pydantic 2 validates every given value).

WebSocket events: the client's ``dto.ws`` module is not in any published wheel; its frame
handlers are positional and annotate each argument (``base_amount: str``, ``done_at:
float``...), which is what :data:`WS_ORDER` and friends restate. Facts carry over, code does
not: this is this project's own code.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel as _PydanticModel
from pydantic import model_validator


class BaseModel(_PydanticModel):
    """A model whose ``T = None`` fields take an explicit null as "not given".

    The official source declares its optional fields ``x: T = None`` (pydantic 1 style);
    the reference's own examples send null in exactly such fields (the fee schedule's
    ``currency`` and ``pair``), so that is the reading these tests hold the simulator to.
    Fields without a default must be present and non-null with their type."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items()
                if not (v is None and k in cls.model_fields
                        and not cls.model_fields[k].is_required()
                        and cls.model_fields[k].default is None)}

WalletType = Enum("WalletType", {v: v for v in (
    "SPOT", "CROSS_MARGIN", "ISOLATED_MARGIN", "FUNDING")}, type=str)
OrderSide = Enum("OrderSide", {v: v for v in ("BID", "ASK")}, type=str)
OrderType = Enum("OrderType", {v: v for v in (
    "MARKET", "LIMIT", "STOP_LIMIT", "STOP_MARKET")}, type=str)
OrderStatus = Enum("OrderStatus", {v: v for v in (
    "UNDEFINED", "PENDING", "OPEN", "CANCELLED", "PARTIAL_CANCELLED", "PARTIAL_FILLED",
    "FILLED", "EXPIRED", "FAILED")}, type=str)
TimeInForce = Enum("TimeInForce", {v: v for v in (
    "GTC", "IOC", "AON", "FOK", "UNDEFINED_TIME_IN_FORCE")}, type=str)
LoanType = Enum("LoanType", {v: v for v in ("LOAN_AUTO", "LOAN_MANUAL")}, type=str)
MarginDirection = Enum("MarginDirection", {v: v for v in ("ADD", "SUB")}, type=str)
DepositStatus = Enum("DepositStatus", {v: v for v in (
    "PENDING", "MODERATION", "CONFIRMED", "REJECTED")}, type=str)
WithdrawStatus = Enum("WithdrawStatus", {v: v for v in (
    "NEW", "CONFIRMED", "VERIFIED", "MODERATION", "APPROVED", "SUSPENDED", "DONE",
    "REFUSED", "CANCELED")}, type=str)


class Currency(BaseModel):
    short_name: str
    sign: str


class Pair(BaseModel):
    name: str
    currency1: str
    currency2: str
    amount_precision: int
    price_precision: int
    maximum_order_size: float
    minimum_order_size: float
    minimum_order_value: float


class Ticker(BaseModel):
    pair: str
    last: float
    vol: float
    buy: float
    sell: float
    high: float
    low: float
    diff: float
    timestamp: float


class BookRow(BaseModel):
    amount: float
    price: float


class Orderbook(BaseModel):
    buy: list[BookRow]
    sell: list[BookRow]


class Trade(BaseModel):
    id: int
    account_id: int
    pair: str
    amount: float
    price: float
    timestamp: float
    type: str


class Candle(BaseModel):
    open: float
    close: float
    high: float
    low: float
    volume: float
    time: float


class Account(BaseModel):
    id: int
    email: str
    name: str
    parent_id: int | None = None


class AccountFee(BaseModel):
    account_id: int
    active_once: list[datetime]
    taker_fee_rate: float
    maker_fee_rate: float
    fee_currency: str
    priority: int
    currency: str = None  # type: ignore[assignment]
    pair: str = None  # type: ignore[assignment]
    is_active: bool


class Balance(BaseModel):
    balance: float
    reserve: float
    currency: str
    wallet_type: WalletType
    last_update_at: str
    account_id: int


class Order(BaseModel):
    id: int
    account_id: int
    pair: str
    amount: float
    price: float
    side: OrderSide
    status: OrderStatus
    type: OrderType
    wallet_type: WalletType
    amount_canceled: float
    amount_filled: float
    date: datetime
    open_at: datetime
    tif: TimeInForce
    updated_at: datetime
    done_at: datetime = None  # type: ignore[assignment]
    expire_after: datetime = None  # type: ignore[assignment]
    stop_price: float = None  # type: ignore[assignment]


class AccountTrade(BaseModel):
    account_id: int
    pair: str
    amount: float
    amount_unfilled: float
    price: float
    currency: str
    status: OrderStatus
    date: datetime
    fee_amount: float
    fee_currency: str
    fee_rate: float
    is_maker: bool
    type: OrderType
    wallet_type: WalletType


class WalletMotion(BaseModel):
    id: int
    account_id: int
    wallet_id: int
    type: str
    balance: float
    balance_delta: float
    balance_end: float
    reserve: float
    reserve_delta: float
    reserve_end: float
    currency: str
    wallet_type: WalletType
    date: datetime


class DepositAttribute(BaseModel):
    key: str
    value: str


class DepositMethod(BaseModel):
    network: str
    currency: str
    attributes: list[DepositAttribute]
    confirmations: int
    min_deposit: float
    max_deposit: float
    is_enabled: bool


class WithdrawAttribute(BaseModel):
    field: str
    regex: str | None = None


class WithdrawMethod(BaseModel):
    id: int
    network: str
    currency: str
    attributes: list[WithdrawAttribute]
    fee_rate: float
    fee_amount: float
    fee_currency: str
    min_withdraw: float
    max_withdraw: float
    is_enabled: bool


class Deposit(BaseModel):
    id: int
    amount: float
    currency: str
    status: DepositStatus
    tx_hash: str | None = ""
    date: datetime


class Withdraw(BaseModel):
    id: int
    amount: float
    fee_amount: float
    currency: str
    fee_currency: str
    status: WithdrawStatus
    tx_hash: str | None = ""
    date: datetime


class Loan(BaseModel):
    id: int
    account_id: int
    borrowed: float
    interest: float
    currency: str
    wallet_type: WalletType


class MarginTransfer(BaseModel):
    id: int
    account_id: int
    amount: float
    currency: str
    date: datetime
    direction: MarginDirection
    wallet_type: WalletType
    note: str
    pair: str


class Borrow(BaseModel):
    id: int
    account_id: int
    borrowed: float
    date: datetime
    interest_accrued: float
    interest_paid: float
    interest_rate: float
    repaid: float
    last_interest_at: datetime = None  # type: ignore[assignment]
    opened_at: datetime
    type: LoanType
    wallet_type: WalletType


class Repay(BaseModel):
    id: int
    account_id: int
    interest_amount: float
    principal_amount: float
    currency: str
    date: datetime
    type: LoanType
    wallet_type: WalletType


class Interest(BaseModel):
    id: int
    account_id: int
    borrow_id: int
    currency: str
    interest_accrued: float
    interest_paid: float
    interest_rate: float
    wallet_type: WalletType


class Liquidation(BaseModel):
    id: int
    account_id: int
    amount: float
    fund_amount: float
    currency: str
    created_at: datetime
    wallet_type: WalletType
    margin_level: float
    closed_at: datetime = None  # type: ignore[assignment]
    pair: str = None  # type: ignore[assignment]
    order_closed: list[int] = None  # type: ignore[assignment]
    order_created: list[int] = None  # type: ignore[assignment]
    borrow_closed: list[int] = None  # type: ignore[assignment]
    repay_created: list[int] = None  # type: ignore[assignment]


# --- WebSocket: the positional handlers' parameters (name, annotated type) -------------
WsField = tuple[str, type]
WS_TICKER_ROW: list[WsField] = [("symbol", str), ("close", str), ("base_vol", str),
                                ("quote_vol", str), ("change", str), ("high", str),
                                ("low", str), ("bid", str), ("ask", str)]
WS_TRADE: list[WsField] = [("date", float), ("trade_id", int), ("pair", str),
                           ("amount", str), ("price", str), ("direction", str)]
WS_RATE_ROW: list[WsField] = [("rate", str), ("base", str), ("quote", str)]
WS_WALLET: list[WsField] = [("date", float), ("code", str), ("wallet_type", str),
                            ("symbol", str | None), ("balance", str),  # type: ignore
                            ("reserve", str)]
WS_ORDER: list[WsField] = [
    ("date", float), ("order_id", int), ("symbol", str), ("side", str), ("order_type", str),
    ("base_amount", str), ("limit_price", str), ("amount_unfilled", str),
    ("amount_filled", str), ("amount_cancelled", str), ("value_filled", str),
    ("price_avg", str), ("done_at", float), ("status", str), ("quote_amount", str),
    ("wallet_type", str), ("stop_price", str), ("stop_operator", str)]
WS_DEPTH_KEYS = ("Symbol", "Asks", "Bids", "TotalAsks", "TotalBids")


def ws_check(fields: list[WsField], values: list[Any], exact: bool) -> None:
    """Values for a positional handler: as many as it takes (``exact``: no more either),
    each of its annotated type (a float parameter takes an int too; ``str`` refuses
    numbers and null, as the pydantic models behind the handlers do)."""
    if exact:
        assert len(values) == len(fields), (len(values), len(fields), values)
    else:
        assert len(values) >= len(fields), values
    for (name, kind), value in zip(fields, values, strict=False):
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is str:
            ok = isinstance(value, str)
        else:
            ok = value is None or isinstance(value, str)
        assert ok, f"{name}: {value!r} is not {kind}"
