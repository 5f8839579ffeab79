"""Typed response models for the ALP.COM v3 API.

Every amount, price, rate and balance is a ``Decimal``. Bodies must be decoded with
``json.loads(raw, parse_float=Decimal)`` (see :func:`alp_tui.api.jsonwire.loads`) before
validation, because pydantic's own JSON parser passes numbers through a binary float.
Unknown extra fields are kept, never rejected; pair names are normalised to ``BASE_QUOTE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from alp_tui.api.enums import (
    DepositStatus,
    LoanType,
    MarginDirection,
    OrderSide,
    OrderStatus,
    OrderType,
    StopOperator,
    TimeInForce,
    WalletType,
    WithdrawalStatus,
)
from alp_tui.api.jsonwire import loads as loads  # re-exported: callers use models.loads
from alp_tui.api.model_types import (  # the shared field types; callers may import them here
    ApiModel,
    Money,
    OptMoney,
    OptTime,
    Pair,
    Time,
    UnixSeconds,
    blank_is_none,
)


class Currency(ApiModel):
    """A currency listed on the exchange."""

    short_name: str
    sign: str | None = None


class PairInfo(ApiModel):
    """A trading pair with its precision and order-size limits."""

    name: Pair
    currency1: str
    currency2: str
    amount_precision: int
    price_precision: int
    maximum_order_size: Money
    minimum_order_size: Money
    minimum_order_value: Money

    @property
    def base(self) -> str:
        """Base currency (what is bought or sold)."""
        return self.currency1

    @property
    def quote(self) -> str:
        """Quote currency (what prices are in)."""
        return self.currency2

    @property
    def price_tick(self) -> Decimal:
        """Smallest price step."""
        return Decimal(1).scaleb(-self.price_precision)

    @property
    def amount_step(self) -> Decimal:
        """Smallest amount step."""
        return Decimal(1).scaleb(-self.amount_precision)


class Ticker(ApiModel):
    """24 h statistics of one pair. ``diff`` is last − open in price, not a percentage."""

    pair: Pair
    last: Money
    vol: Money
    buy: OptMoney = None
    sell: OptMoney = None
    high: Money
    low: Money
    diff: Money = Decimal(0)
    timestamp: Decimal = Decimal(0)
    open: OptMoney = None
    diff_percent: OptMoney = None
    price_precision: int | None = None
    amount_precision: int | None = None

    @property
    def has_trades(self) -> bool:
        """False for a pair that never traded (last 0 or timestamp 0)."""
        return self.last > 0 and self.timestamp > 0

    @property
    def change_percent(self) -> Decimal | None:
        """24 h change in per cent, or None when there is nothing to divide by."""
        if self.diff_percent is not None:
            return self.diff_percent
        base = self.last - self.diff
        if self.last == 0 or base == 0:
            return None
        return self.diff / base * 100


class BookLevel(ApiModel):
    """One price level of the order book."""

    price: Money
    amount: Money


class OrderBook(ApiModel):
    """Order book: ``buy`` best (highest) first, ``sell`` best (lowest) first."""

    buy: list[BookLevel] = Field(default_factory=list)
    sell: list[BookLevel] = Field(default_factory=list)


class Candle(ApiModel):
    """One OHLCV candle; ``time`` is the Unix second the candle opens."""

    time: UnixSeconds
    open: Money
    high: Money
    low: Money
    close: Money
    volume: Money
    quoteVolume: OptMoney = None
    tradesCount: int | None = None



class PublicTrade(ApiModel):
    """A public trade; ``type`` is the taker side, ``buy`` or ``sell``."""

    id: int
    pair: Pair
    amount: Money
    price: Money
    timestamp: Decimal
    type: str
    account_id: int | None = None

    @property
    def time(self) -> datetime:
        """Trade time in UTC."""
        return datetime.fromtimestamp(float(self.timestamp), tz=UTC)

    @property
    def is_buy(self) -> bool:
        """True when the taker bought."""
        return self.type.lower() in ("buy", "bid")


class Account(ApiModel):
    """An account (``parent_id`` set for sub-accounts)."""

    id: int
    email: str | None = None
    name: str | None = None
    parent_id: int | None = None


class Balance(ApiModel):
    """One wallet's holding of one currency. ``balance`` is the total."""

    balance: Money
    reserve: Money
    currency: str
    wallet_type: WalletType
    last_update_at: OptTime = None
    account_id: int | None = None
    pair: Pair | None = None

    @property
    def available(self) -> Decimal:
        """What can be spent: total minus reserve."""
        return self.balance - self.reserve


class FeeInfo(ApiModel):
    """A fee schedule entry; the active entry with the highest priority applies."""

    account_id: int | None = None
    active_once: list[Time] | None = None
    taker_fee_rate: Money
    maker_fee_rate: Money
    fee_currency: str | None = None
    priority: int = 0
    currency: str | None = None
    pair: Pair | None = None
    is_active: bool = True


class Order(ApiModel):
    """An order as the account's order list shows it."""

    id: int
    account_id: int | None = None
    pair: Pair
    amount: Money
    price: OptMoney = None
    side: OrderSide
    status: OrderStatus
    type: OrderType
    wallet_type: WalletType = WalletType.SPOT
    amount_canceled: Money = Decimal(0)
    amount_filled: Money = Decimal(0)
    date: OptTime = None
    open_at: OptTime = None
    tif: TimeInForce | None = None
    updated_at: OptTime = None
    done_at: OptTime = None
    expire_after: OptTime = None
    stop_price: OptMoney = None
    stop_operator: StopOperator | None = None
    client_order_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _market_price_zero_is_none(cls, data: Any) -> Any:
        """A market order has no price; the exchange writes the zero value (0) there, as
        the official client's model needs a number."""
        if isinstance(data, dict) and data.get("type") in ("MARKET", "STOP_MARKET") \
                and data.get("price") in (0, "0") and not isinstance(data.get("price"), bool):
            return {**data, "price": None}
        return data

    @property
    def remaining(self) -> Decimal:
        """Amount still to fill."""
        return self.amount - self.amount_filled - self.amount_canceled

    @property
    def filled_fraction(self) -> Decimal:
        """Filled share of the amount, 0..1."""
        return self.amount_filled / self.amount if self.amount else Decimal(0)


class AccountTrade(ApiModel):
    """One of the account's own fills."""

    account_id: int | None = None
    id: int | None = None
    order_id: int | None = None
    pair: Pair
    amount: Money
    amount_unfilled: OptMoney = None
    price: Money
    currency: str | None = None
    status: str | None = None
    date: OptTime = None
    fee_amount: Money = Decimal(0)
    fee_currency: str | None = None
    fee_rate: OptMoney = None
    is_maker: bool = False
    type: OrderType | None = None
    side: OrderSide | None = None
    wallet_type: WalletType = WalletType.SPOT


class Activity(ApiModel):
    """One balance change of the operation history."""

    id: int
    account_id: int | None = None
    wallet_id: int | None = None
    type: str
    balance: Money
    balance_delta: Money
    balance_end: Money
    reserve: Money
    reserve_delta: Money
    reserve_end: Money
    currency: str
    wallet_type: WalletType
    date: OptTime = None


class MethodAttribute(ApiModel):
    """An attribute of a deposit or withdrawal method (address, memo...).

    The reference shows ``key``/``value``; the official client reads a withdraw method's
    attributes as ``field`` (the name) and ``regex`` (what the value must match).
    """

    key: str
    value: str | None = None
    regex: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _field_is_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("key") is None and data.get("field") is not None:
            return {**data, "key": data["field"]}
        return data


class DepositMethod(ApiModel):
    """A way to deposit a currency, with the address to send to."""

    network: str
    currency: str
    attributes: list[MethodAttribute] = Field(default_factory=list)
    confirmations: int | None = None
    min_deposit: OptMoney = None
    max_deposit: OptMoney = None
    is_enabled: bool = True
    id: int | None = None


class Deposit(ApiModel):
    """An incoming deposit."""

    id: int
    amount: Money
    currency: str
    status: DepositStatus
    tx_hash: str | None = None
    date: OptTime = None


class WithdrawMethod(ApiModel):
    """A way to withdraw a currency; ``attributes`` name what the request must carry."""

    id: int
    network: str
    currency: str
    attributes: list[MethodAttribute] = Field(default_factory=list)
    fee_rate: Money = Decimal(0)
    fee_amount: Money = Decimal(0)
    fee_currency: str | None = None
    min_withdraw: OptMoney = None
    max_withdraw: OptMoney = None
    is_enabled: bool = True


class Withdrawal(ApiModel):
    """A withdrawal request and where it stands."""

    id: int
    amount: Money
    fee_amount: Money = Decimal(0)
    currency: str
    fee_currency: str | None = None
    status: WithdrawalStatus
    tx_hash: str | None = None
    date: OptTime = None


class Loan(ApiModel):
    """An open margin loan."""

    id: int
    account_id: int | None = None
    borrowed: Money
    interest: Money
    currency: str
    wallet_type: WalletType
    pair: Pair | None = None


class MarginTransfer(ApiModel):
    """A transfer between spot and a margin wallet."""

    id: int
    account_id: int | None = None
    amount: Money
    currency: str
    date: OptTime = None
    direction: MarginDirection
    wallet_type: WalletType
    note: Annotated[str | None, BeforeValidator(blank_is_none)] = None
    pair: Annotated[Pair | None, BeforeValidator(blank_is_none)] = None  # "": cross margin


class Borrow(ApiModel):
    """A borrow (loan opening) record."""

    id: int
    account_id: int | None = None
    borrowed: Money
    currency: str | None = None
    date: OptTime = None
    interest_accrued: Money = Decimal(0)
    interest_paid: Money = Decimal(0)
    interest_rate: Money = Decimal(0)
    repaid: Money = Decimal(0)
    last_interest_at: OptTime = None
    opened_at: OptTime = None
    type: LoanType | None = None
    wallet_type: WalletType
    pair: Pair | None = None


class Repay(ApiModel):
    """A repayment record: interest is paid before principal."""

    id: int
    account_id: int | None = None
    interest_amount: Money
    principal_amount: Money
    currency: str
    date: OptTime = None
    type: LoanType | None = None
    wallet_type: WalletType
    pair: Pair | None = None


class Interest(ApiModel):
    """Interest accrued on one borrow."""

    id: int
    account_id: int | None = None
    borrow_id: int | None = None
    currency: str
    interest_accrued: Money
    interest_paid: Money = Decimal(0)
    interest_rate: Money = Decimal(0)
    wallet_type: WalletType
    date: OptTime = None
    pair: Pair | None = None


class Liquidation(ApiModel):
    """A margin liquidation and what it closed and created."""

    id: int
    account_id: int | None = None
    created_at: OptTime = None
    wallet_type: WalletType
    margin_level: Money
    closed_at: OptTime = None
    amount: Money
    fund_amount: Money = Decimal(0)
    currency: str
    order_closed: list[int] = Field(default_factory=list)
    order_created: list[int] = Field(default_factory=list)
    borrow_closed: list[int] = Field(default_factory=list)
    repay_created: list[int] = Field(default_factory=list)
    pair: Pair | None = None


def _clock_seconds(value: Any) -> Any:
    # Whole seconds; a clock past 1e11 is counted in milliseconds (as many exchanges do),
    # which read as seconds would put a token's expiry 1000x off.
    if isinstance(value, str):
        value = value.strip()
        value = Decimal(value) if value.replace(".", "", 1).isdigit() else value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return int(value / 1000 if value > 10**11 else value)
    return value


class ServerTime(ApiModel):
    """The server's clock (later edition's ``GET /time``), in whole Unix seconds."""

    serverTime: Annotated[int, BeforeValidator(_clock_seconds)]


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """One answer of the ``tickers`` topic: every ticker, and pairs when (re)loaded (a
    value of the wire, so the feed and the services share it without importing each other)."""

    tickers: list[Ticker]
    pairs: list[PairInfo] | None = None
