"""The order form's vocabulary: field names, the typed values (:class:`FormInput`,
:class:`MarketContext`, :class:`OrderDraft`, :class:`Preview`, :class:`DraftResult`) and the
reading of typed numbers (:func:`parse_decimal`). Pure and textual-free.

Numbers are read straight from the text into ``Decimal`` (no float on the way), must be plain
digits with an optional decimal point, and may not carry more decimals than the pair allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
from alp_tui.api.models import Balance, FeeInfo, OrderBook, PairInfo
from alp_tui.services.format import format_decimal, format_exact, quantum

# Form field names (the keys of DraftResult.errors).
AMOUNT = "amount"
PRICE = "price"
STOP_PRICE = "stop_price"
STOP_OPERATOR = "stop_operator"
TIF = "tif"
WALLET_TYPE = "wallet_type"
SIDE_EFFECT = "side_effect"
ORDER_TYPE = "order_type"
SIDE = "side"
GENERAL = "general"

FORM_FIELDS = (SIDE, ORDER_TYPE, "amount_in", AMOUNT, PRICE, STOP_PRICE, STOP_OPERATOR, TIF,
               WALLET_TYPE, SIDE_EFFECT)

# Server (wire) field name → the form field showing its error.
WIRE_TO_FORM: dict[str, str] = {
    "base_amount": AMOUNT,
    "quote_amount": AMOUNT,
    "amount": AMOUNT,
    "limit_price": PRICE,
    "price": PRICE,
    "stop_price": STOP_PRICE,
    "stop_operator": STOP_OPERATOR,
    "tif": TIF,
    "wallet_type": WALLET_TYPE,
    "side_effect": SIDE_EFFECT,
    "order_type": ORDER_TYPE,
    "order_side": SIDE,
    "pair": GENERAL,
    "client_order_id": GENERAL,
}

LIMIT_TYPES = (OrderType.LIMIT, OrderType.STOP_LIMIT)
STOP_TYPES = (OrderType.STOP_LIMIT, OrderType.STOP_MARKET)
MARKET_TYPES = (OrderType.MARKET, OrderType.STOP_MARKET)
FORM_TIFS = (TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.AON)

STOP_MARKET_HOLD = Decimal("1.05")
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_MAX_INTEGER_DIGITS = 15
WITHDRAW_PRECISION = 8


@dataclass(frozen=True)
class GuardSettings:
    """Fat-finger thresholds: flag an order using more than ``max_balance_share`` of the
    available balance, or priced to cross the book more than ``max_price_deviation_pct`` per
    cent beyond the best opposite price (or a market order slipping that far)."""

    max_balance_share: Decimal = Decimal("0.5")
    max_price_deviation_pct: Decimal = Decimal("10")


@dataclass(frozen=True)
class FormInput:
    """The order form's raw values, as typed or selected."""

    side: str = "BID"
    order_type: str = "LIMIT"
    amount: str = ""
    amount_in: str = "base"  # "base" or "quote": what ``amount`` is in (market types only)
    price: str = ""
    stop_price: str = ""
    stop_operator: str = ""  # "" lets the draft infer it from the stop price and last price
    tif: str = "GTC"
    wallet_type: str = "SPOT"
    side_effect: str = "NO_SIDE_EFFECT"


@dataclass(frozen=True)
class MarketContext:
    """What validation and the preview need to know about the market and the account.

    ``balances`` None means "not known yet": the balance check is skipped, not failed.
    """

    pair: PairInfo
    balances: Sequence[Balance] | None = None
    fees: Sequence[FeeInfo] = ()
    book: OrderBook | None = None
    last_price: Decimal | None = None
    guard: GuardSettings = field(default_factory=GuardSettings)
    margin: Any = None  # a MarginSnapshot (loans, prices) once an auto-borrow needs it


@dataclass(frozen=True)
class OrderDraft:
    """A validated order, exactly what will be sent (``client_order_id`` is added at send)."""

    pair: str
    side: OrderSide
    order_type: OrderType
    wallet_type: WalletType = WalletType.SPOT
    base_amount: Decimal | None = None
    quote_amount: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    stop_operator: StopOperator | None = None
    tif: TimeInForce | None = None
    side_effect: SideEffect = SideEffect.NO_SIDE_EFFECT

    def request_kwargs(self, client_order_id: str) -> dict[str, Any]:
        """Keyword arguments for ``AlpClient.place_order``."""
        kwargs: dict[str, Any] = {
            "pair": self.pair,
            "order_side": self.side,
            "order_type": self.order_type,
            "wallet_type": self.wallet_type,
            "side_effect": self.side_effect,
            "client_order_id": client_order_id,
        }
        for name in ("base_amount", "quote_amount", "limit_price", "stop_price",
                     "stop_operator", "tif"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs

    def summary(self) -> dict[str, str]:
        """A journal-friendly, secret-free description with decimal strings."""
        out = {"pair": self.pair, "side": self.side.word, "type": self.order_type.value,
               "wallet": self.wallet_type.value}
        for name in ("base_amount", "quote_amount", "limit_price", "stop_price"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        if self.stop_operator is not None:
            out["stop_operator"] = self.stop_operator.value
        if self.tif is not None:
            out["tif"] = self.tif.value
        if self.side_effect is not SideEffect.NO_SIDE_EFFECT:
            out["side_effect"] = self.side_effect.value
        return out

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> OrderDraft:
        """Rebuild a draft from :meth:`summary` (for reconciling journal entries)."""

        def money(name: str) -> Decimal | None:
            value = summary.get(name)
            return Decimal(str(value)) if value not in (None, "") else None

        return cls(
            pair=str(summary["pair"]),
            side=OrderSide.parse(summary["side"]),  # type: ignore[arg-type]
            order_type=OrderType.parse(summary["type"]),  # type: ignore[arg-type]
            wallet_type=WalletType.parse(summary.get("wallet", "SPOT")),  # type: ignore[arg-type]
            base_amount=money("base_amount"),
            quote_amount=money("quote_amount"),
            limit_price=money("limit_price"),
            stop_price=money("stop_price"),
            stop_operator=(StopOperator.parse(summary["stop_operator"])  # type: ignore[arg-type]
                           if summary.get("stop_operator") else None),
            tif=(TimeInForce.parse(summary["tif"])  # type: ignore[arg-type]
                 if summary.get("tif") else None),
            side_effect=SideEffect.parse(  # type: ignore[arg-type]
                summary.get("side_effect", "NO_SIDE_EFFECT")),
        )

    def describe(self, pair: PairInfo | None = None) -> str:
        """One line in words, e.g. ``BUY 0.01000000 BTC at 45000.00 USDT (LIMIT, GTC)``."""
        base, quote = _split(self.pair, pair)
        parts = [self.side.word]
        if self.base_amount is not None:
            parts.append(f"{self.base_amount} {base}")
        else:
            parts.append(f"{base} for {self.quote_amount} {quote}")
        if self.limit_price is not None:
            parts.append(f"at {self.limit_price} {quote}")
        else:
            parts.append("at market")
        if self.stop_price is not None and self.stop_operator is not None:
            sign = "≥" if self.stop_operator is StopOperator.GTE else "≤"
            parts.append(f"when last {sign} {self.stop_price}")
        extra = [self.order_type.value]
        if self.tif is not None:
            extra.append(self.tif.value)
        if self.wallet_type is not WalletType.SPOT:
            extra.append(self.wallet_type.value)
        if self.side_effect is not SideEffect.NO_SIDE_EFFECT:
            extra.append(self.side_effect.value)
        return " ".join(parts) + f" ({', '.join(extra)})"


@dataclass(frozen=True)
class Preview:
    """Estimates shown before confirming; every money value is in the quote currency."""

    total: Decimal | None = None
    fee: Decimal | None = None
    fee_rate: Decimal | None = None
    is_maker: bool | None = None
    avg_price: Decimal | None = None
    slippage_pct: Decimal | None = None
    est_base: Decimal | None = None
    book_short: bool = False
    warnings: tuple[str, ...] = ()
    # The fat-finger flags among ``warnings``: with any, a plain Enter cannot send the order;
    # the confirm step asks for the amount to be typed.
    guard: tuple[str, ...] = ()
    borrow: Any = None  # an AutoBorrow: what AUTO_BORROW borrows, the margin level after

    @property
    def needs_typed_confirm(self) -> bool:
        """True when the order is unusual enough that Enter alone must not send it."""
        return bool(self.guard)


@dataclass(frozen=True)
class DraftResult:
    """The outcome of :func:`build_draft`."""

    draft: OrderDraft | None
    errors: dict[str, str]
    preview: Preview

    @property
    def ok(self) -> bool:
        """True when the draft can be sent."""
        return self.draft is not None and not self.errors


# --- formatting ---------------------------------------------------------------------------


def fmt(value: Decimal | None, precision: int, *, grouping: bool = False) -> str:
    """``value`` at ``precision`` decimals without separators: the text a form field is
    prefilled with (it must parse back). On screen, numbers go through
    :func:`~alp_tui.services.format.format_decimal` with separators."""
    return format_decimal(value, precision, thousands=grouping)


def fmt_price(pair: PairInfo, value: Decimal | None) -> str:
    """A price at the pair's price precision, with thousands separators (messages)."""
    return format_decimal(value, pair.price_precision)


def fmt_amount(pair: PairInfo, value: Decimal | None) -> str:
    """A base amount at the pair's amount precision, with thousands separators."""
    return format_decimal(value, pair.amount_precision)


def plain(value: Decimal) -> str:
    """An exact amount on the 8-decimal grid, trailing zeros trimmed (``25``, ``1,250.5``)."""
    return format_exact(value, WITHDRAW_PRECISION)


def _split(name: str, pair: PairInfo | None) -> tuple[str, str]:
    if pair is not None:
        return pair.base, pair.quote
    base, _, quote = name.partition("_")
    return base, quote


# --- parsing ------------------------------------------------------------------------------


def parse_decimal(text: str, precision: int, *, label: str = "Value") -> Decimal | str:
    """Read ``text`` as a positive decimal with at most ``precision`` decimals.

    Returns the value quantized to ``precision`` or an error message in words.
    """
    raw = text.strip()
    if not raw:
        return f"{label} is required"
    if "," in raw and _NUMBER.match(raw.replace(",", ".")):
        return "Use a point for decimals, e.g. 0.5"
    if not _NUMBER.match(raw):
        return "Enter a plain number, e.g. 0.5"
    integer, _, decimals = raw.partition(".")
    if len(integer.lstrip("0")) > _MAX_INTEGER_DIGITS:
        return f"{label} is too large"
    significant = decimals.rstrip("0")
    if len(significant) > precision:
        return f"At most {precision} decimals" if precision else "Whole numbers only"
    value = Decimal(raw)
    if value <= 0:
        return f"{label} must be more than 0"
    return value.quantize(quantum(precision))


def read_field(errors: dict[str, str], key: str, text: str, precision: int,
          label: str) -> Decimal | None:
    """:func:`parse_decimal` for form field ``key``: the value, or None with the error filed."""
    parsed = parse_decimal(text, precision, label=label)
    if isinstance(parsed, str):
        errors[key] = parsed
        return None
    return parsed


def parse_enum(enum: type, text: str) -> Any | None:
    """``enum.parse(text)``, or None for text that names no member."""
    try:
        return enum.parse(text)  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return None
