"""Turn what the user typed into an order we can send, or say exactly what is wrong.

Pure and textual-free: :func:`build_draft` takes the form's raw text and the market context
(pair limits, balances, fees, book, last price) and returns a :class:`DraftResult` holding
either a typed :class:`OrderDraft` or errors keyed by form field, plus a :class:`Preview`
(total, estimated fee, average price and slippage for market orders, fat-finger flags).

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


def _read(errors: dict[str, str], key: str, text: str, precision: int,
          label: str) -> Decimal | None:
    """:func:`parse_decimal` for form field ``key``: the value, or None with the error filed."""
    parsed = parse_decimal(text, precision, label=label)
    if isinstance(parsed, str):
        errors[key] = parsed
        return None
    return parsed


def _parse_enum(enum: type, text: str) -> Any | None:
    try:
        return enum.parse(text)  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return None


# --- market helpers -----------------------------------------------------------------------


def available(ctx: MarketContext, currency: str, wallet: WalletType) -> Decimal | None:
    """Available balance of ``currency`` in ``wallet`` (None when balances are unknown)."""
    if ctx.balances is None:
        return None
    total = Decimal(0)
    for bal in ctx.balances:
        if bal.currency.upper() != currency.upper() or bal.wallet_type is not wallet:
            continue
        if wallet is WalletType.ISOLATED_MARGIN and bal.pair not in (None, ctx.pair.name):
            continue
        total += bal.available
    return total


def fee_rates(fees: Sequence[FeeInfo], pair: PairInfo) -> tuple[Decimal, Decimal] | None:
    """(maker, taker) of the active fee entry that applies to ``pair``, highest priority."""
    best: FeeInfo | None = None
    for fee in fees:
        if not fee.is_active:
            continue
        if fee.pair is not None and fee.pair != pair.name:
            continue
        if fee.currency is not None and fee.currency not in (pair.base, pair.quote):
            continue
        if best is None or fee.priority > best.priority:
            best = fee
    if best is None:
        return None
    return best.maker_fee_rate, best.taker_fee_rate


@dataclass(frozen=True)
class Fill:
    """The result of walking the book."""

    base: Decimal
    quote: Decimal
    short: bool  # the visible book could not fill the whole order

    @property
    def avg_price(self) -> Decimal | None:
        """Average fill price."""
        return self.quote / self.base if self.base else None


def walk_book(book: OrderBook, side: OrderSide, *, base: Decimal | None = None,
              quote: Decimal | None = None) -> Fill:
    """Fill a market order of ``base`` (or spending/receiving ``quote``) against the book."""
    levels = book.sell if side is OrderSide.BID else book.buy
    got_base = Decimal(0)
    got_quote = Decimal(0)
    for level in levels:
        if level.amount <= 0 or level.price <= 0:
            continue
        if base is not None:
            take = min(level.amount, base - got_base)
        else:
            assert quote is not None
            take = min(level.amount, (quote - got_quote) / level.price)
        got_base += take
        got_quote += take * level.price
        if (base is not None and got_base >= base) or (quote is not None and got_quote >= quote):
            return Fill(got_base, got_quote, short=False)
    return Fill(got_base, got_quote, short=True)


def best_price(book: OrderBook | None, side: OrderSide) -> Decimal | None:
    """Best price a ``side`` order would trade against (best ask for a buy)."""
    if book is None:
        return None
    levels = book.sell if side is OrderSide.BID else book.buy
    return levels[0].price if levels else None


def infer_stop_operator(stop: Decimal, last: Decimal | None) -> StopOperator | None:
    """GTE for a stop above the last price, LTE below; None without a last price."""
    if last is None or last <= 0:
        return None
    return StopOperator.GTE if stop >= last else StopOperator.LTE


# --- the draft ----------------------------------------------------------------------------


def build_draft(form: FormInput, ctx: MarketContext) -> DraftResult:
    """Validate ``form`` against ``ctx``; never raises for any text in any field."""
    pair = ctx.pair
    errors: dict[str, str] = {}
    warnings: list[str] = []

    side = _parse_enum(OrderSide, form.side)
    if side is None:
        errors[SIDE] = "Choose buy or sell"
        side = OrderSide.BID
    otype = _parse_enum(OrderType, form.order_type)
    if otype is None:
        errors[ORDER_TYPE] = "Choose an order type"
        otype = OrderType.LIMIT
    wallet = _parse_enum(WalletType, form.wallet_type)
    if wallet is None or wallet is WalletType.FUNDING:
        errors[WALLET_TYPE] = "Choose SPOT, CROSS_MARGIN or ISOLATED_MARGIN"
        wallet = WalletType.SPOT
    effect = _parse_enum(SideEffect, form.side_effect)
    if effect is None:
        errors[SIDE_EFFECT] = "Choose a side effect"
        effect = SideEffect.NO_SIDE_EFFECT
    elif effect is not SideEffect.NO_SIDE_EFFECT and not wallet.is_margin:
        errors[SIDE_EFFECT] = f"{effect.value} needs a margin wallet"

    tif: TimeInForce | None = None
    if otype in LIMIT_TYPES:
        tif = _parse_enum(TimeInForce, form.tif or "GTC")
        if tif not in FORM_TIFS:
            errors[TIF] = "Choose GTC, IOC, FOK or AON"
            tif = None

    by_quote = otype in MARKET_TYPES and form.amount_in == "quote"
    if by_quote and otype is OrderType.STOP_MARKET and side is OrderSide.ASK:
        errors["amount_in"] = f"A stop-market sell is sized in {pair.base}"
    base_amount: Decimal | None = None
    quote_amount: Decimal | None = None
    if by_quote:
        quote_amount = _read(errors, AMOUNT, form.amount, pair.price_precision, "Amount")
    else:
        amount = _read(errors, AMOUNT, form.amount, pair.amount_precision, "Amount")
        if amount is not None and amount < pair.minimum_order_size:
            errors[AMOUNT] = f"Minimum is {fmt_amount(pair, pair.minimum_order_size)} {pair.base}"
        elif amount is not None and amount > pair.maximum_order_size:
            errors[AMOUNT] = f"Maximum is {fmt_amount(pair, pair.maximum_order_size)} {pair.base}"
        else:
            base_amount = amount

    limit_price: Decimal | None = None
    if otype in LIMIT_TYPES:
        limit_price = _read(errors, PRICE, form.price, pair.price_precision, "Price")

    stop_price: Decimal | None = None
    stop_op: StopOperator | None = None
    if otype in STOP_TYPES:
        stop_price = _read(errors, STOP_PRICE, form.stop_price, pair.price_precision,
                           "Stop price")
        if form.stop_operator.strip():
            stop_op = _parse_enum(StopOperator, form.stop_operator)
            if stop_op is None:
                errors[STOP_OPERATOR] = "Choose GTE (rises to) or LTE (falls to)"
        elif stop_price is not None:
            stop_op = infer_stop_operator(stop_price, ctx.last_price)
            if stop_op is None:
                errors[STOP_OPERATOR] = "Choose GTE (rises to) or LTE (falls to)"
        if (stop_price is not None and stop_op is not None and ctx.last_price) and (
            (stop_op is StopOperator.GTE and ctx.last_price >= stop_price)
            or (stop_op is StopOperator.LTE and ctx.last_price <= stop_price)
        ):
                warnings.append(
                    f"Stop triggers at once: last {fmt_price(pair, ctx.last_price)} already "
                    f"{'≥' if stop_op is StopOperator.GTE else '≤'} "
                    f"{fmt_price(pair, stop_price)}"
                )

    preview, value_errors, more_warnings = _preview(
        ctx, side, otype, wallet, effect, base_amount, quote_amount, limit_price, stop_price
    )
    warnings.extend(more_warnings)
    for key, message in value_errors.items():
        errors.setdefault(key, message)
    preview = Preview(**{**preview.__dict__, "warnings": tuple(warnings)})

    draft: OrderDraft | None = None
    if not errors:
        draft = OrderDraft(
            pair=pair.name, side=side, order_type=otype, wallet_type=wallet,
            base_amount=base_amount, quote_amount=quote_amount, limit_price=limit_price,
            stop_price=stop_price, stop_operator=stop_op, tif=tif, side_effect=effect,
        )
    return DraftResult(draft=draft, errors=errors, preview=preview)


def _preview(
    ctx: MarketContext,
    side: OrderSide,
    otype: OrderType,
    wallet: WalletType,
    effect: SideEffect,
    base_amount: Decimal | None,
    quote_amount: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
) -> tuple[Preview, dict[str, str], list[str]]:
    pair = ctx.pair
    errors: dict[str, str] = {}
    warnings: list[str] = []
    guard_flags: list[str] = []  # fat-finger: the confirm step asks for the amount typed
    total: Decimal | None = None
    est_base: Decimal | None = base_amount
    avg: Decimal | None = None
    slippage: Decimal | None = None
    short = False
    is_maker: bool | None = None
    hold: Decimal | None = None

    if otype in LIMIT_TYPES and base_amount is not None and limit_price is not None:
        total = base_amount * limit_price
        best = best_price(ctx.book, side)
        crosses = best is not None and (
            (side is OrderSide.BID and limit_price >= best)
            or (side is OrderSide.ASK and limit_price <= best)
        )
        is_maker = otype is OrderType.LIMIT and not crosses
        if otype is OrderType.STOP_LIMIT:
            is_maker = False
    elif otype is OrderType.MARKET and ctx.book is not None and (base_amount or quote_amount):
        fill = walk_book(ctx.book, side, base=base_amount, quote=quote_amount)
        short = fill.short
        avg = fill.avg_price
        total = fill.quote if base_amount is not None else quote_amount
        est_base = base_amount if base_amount is not None else fill.base
        best = best_price(ctx.book, side)
        if avg is not None and best:
            slippage = abs(avg - best) / best * 100
        is_maker = False
        if short:
            warnings.append("The visible book cannot fill the whole order")
    elif otype is OrderType.STOP_MARKET and stop_price is not None:
        if base_amount is not None:
            total = base_amount * stop_price
            if side is OrderSide.BID:
                hold = total * STOP_MARKET_HOLD  # exchanges hold a buffer above the stop
        elif quote_amount is not None:
            total = quote_amount
            est_base = quote_amount / stop_price
        is_maker = False
    elif quote_amount is not None:
        total = quote_amount

    rates = fee_rates(ctx.fees, pair)
    fee = rate = None
    if rates is not None and total is not None:
        rate = rates[0] if is_maker else rates[1]
        fee = total * rate

    # Minimum order value; a market order by base is valued at the last price (or best).
    if otype is OrderType.MARKET and base_amount is not None:
        ref = ctx.last_price or best_price(ctx.book, side)
        if ref and base_amount * ref < pair.minimum_order_value and AMOUNT not in errors:
            errors[AMOUNT] = (
                f"Order value ≈ {fmt_price(pair, base_amount * ref)} {pair.quote} is below "
                f"the minimum {fmt_price(pair, pair.minimum_order_value)} {pair.quote}"
            )
    if total is not None and total < pair.minimum_order_value and AMOUNT not in errors:
        what = "Order value" if otype in LIMIT_TYPES or quote_amount is None else "Amount"
        errors[AMOUNT] = (
            f"{what} {fmt_price(pair, total)} {pair.quote} is below the minimum "
            f"{fmt_price(pair, pair.minimum_order_value)} {pair.quote}"
        )

    # Balance: quote for buys, base for sells; a margin auto-borrow may exceed it.
    if effect is not SideEffect.AUTO_BORROW:
        if side is OrderSide.BID:
            have = available(ctx, pair.quote, wallet)
            need = hold if hold is not None else total
            unit, prec = pair.quote, pair.price_precision
        else:
            have = available(ctx, pair.base, wallet)
            need = est_base
            unit, prec = pair.base, pair.amount_precision
        if have is not None and need is not None:
            if need > have and AMOUNT not in errors:
                errors[AMOUNT] = (
                    f"Needs {fmt(need, prec)} {unit}; {fmt(have, prec)} available"
                )
            elif have > 0 and need > have * ctx.guard.max_balance_share:
                share = need / have * 100
                guard_flags.append(f"Uses {share:.0f}% of your available {unit}")

    # Price: only an order that would cross the book far beyond the touch is flagged. A
    # resting (passive) order, a bid at or below the best bid or an ask at or above the best
    # ask, cannot fill at a bad price, so it never warns however far it is from last.
    cross = _crossing_pct(ctx, side, otype, limit_price, stop_price)
    if cross is not None and cross > ctx.guard.max_price_deviation_pct:
        ref_word = "the stop price" if otype is OrderType.STOP_LIMIT else (
            "the best ask" if side is OrderSide.BID else "the best bid")
        if otype is OrderType.LIMIT and best_price(ctx.book, side) is None:
            ref_word = "last"
        where = "above" if side is OrderSide.BID else "below"
        guard_flags.append(f"Price is {cross:.1f}% {where} {ref_word}: it would cross "
                           "the book")
    if slippage is not None and slippage > ctx.guard.max_price_deviation_pct:
        guard_flags.append(f"Estimated slippage {slippage:.1f}%")
    warnings.extend(guard_flags)

    preview = Preview(total=total, fee=fee, fee_rate=rate, is_maker=is_maker, avg_price=avg,
                      slippage_pct=slippage, est_base=est_base, book_short=short,
                      guard=tuple(guard_flags))
    return preview, errors, warnings


def _crossing_pct(ctx: MarketContext, side: OrderSide, otype: OrderType,
                  limit_price: Decimal | None, stop_price: Decimal | None) -> Decimal | None:
    """How far (per cent) a limit price reaches through the book; None when passive.

    A limit order is measured against the best opposite price (the best ask for a buy), or
    the last price when the book is unknown; a stop-limit against its own stop price, which
    is where the market will be when it triggers.
    """
    if limit_price is None or otype not in LIMIT_TYPES:
        return None
    if otype is OrderType.STOP_LIMIT:
        ref = stop_price
    else:
        ref = best_price(ctx.book, side) or ctx.last_price
    if ref is None or ref <= 0:
        return None
    reach = (limit_price - ref) if side is OrderSide.BID else (ref - limit_price)
    if reach <= 0:
        return None
    return reach / ref * 100


def form_errors_from_server(field_errors: dict[str, str]) -> dict[str, str]:
    """Map a 400's ``formErrors`` (wire names) onto form fields; unknown names go to general."""
    out: dict[str, str] = {}
    for wire, message in field_errors.items():
        key = WIRE_TO_FORM.get(wire, GENERAL)
        out[key] = f"{out[key]}; {message}" if key in out else str(message)
    return out


# --- withdrawals --------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawDraft:
    """A validated withdrawal: what will be sent, and what it costs.

    ``fee_included``: the network takes its fee out of the amount (the address receives
    amount − fee and the balance loses the amount) instead of on top of it (the address
    receives the amount and the balance loses amount + fee, the simulator's way).
    """

    method_id: int
    currency: str
    network: str
    amount: Decimal
    fee: Decimal
    attributes: dict[str, str]
    fee_included: bool = False

    @property
    def total(self) -> Decimal:
        """What leaves the balance: the amount, plus the fee when it comes on top."""
        return self.amount if self.fee_included else self.amount + self.fee

    @property
    def received(self) -> Decimal:
        """What arrives at the address."""
        return self.amount - self.fee if self.fee_included else self.amount

    def balance_after(self, available_amount: Decimal) -> Decimal:
        """The available balance once the withdrawal is requested."""
        return available_amount - self.total


def fee_is_included(method: Any) -> bool:
    """True when ``method`` (a ``WithdrawMethod``) takes its fee out of the amount: the
    exchange says so with a ``fee_included`` flag; without one the fee comes on top."""
    flag = getattr(method, "fee_included", False)
    if isinstance(flag, str):
        return flag.strip().lower() in ("1", "true", "yes")
    return bool(flag)


def withdraw_fee(fee_amount: Decimal, fee_rate: Decimal, amount: Decimal) -> Decimal:
    """Fixed fee plus the rate on the amount, to 8 decimals."""
    return (fee_amount + amount * fee_rate).quantize(quantum(WITHDRAW_PRECISION))


def build_withdraw(method: Any, amount_text: str, attributes: dict[str, str],
                   available_amount: Decimal | None) -> tuple[WithdrawDraft | None,
                                                             dict[str, str]]:
    """Validate a withdrawal form against its method (a ``WithdrawMethod``).

    Errors are keyed ``amount``, ``method`` or ``attr-<key>``; every attribute the method
    lists is required. The fee comes on top of the amount unless the method includes it
    (:func:`fee_is_included`).
    """
    errors: dict[str, str] = {}
    if method is None:
        return None, {"method": "Choose a network"}
    if not getattr(method, "is_enabled", True):
        errors["method"] = f"{method.network} withdrawals are disabled"
    parsed = parse_decimal(amount_text, WITHDRAW_PRECISION, label="Amount")
    amount: Decimal | None = None
    fee = Decimal(0)
    included = fee_is_included(method)
    if isinstance(parsed, str):
        errors["amount"] = parsed
    else:
        amount = parsed
        fee = withdraw_fee(method.fee_amount, method.fee_rate, amount)
        debit = amount if included else amount + fee
        if method.min_withdraw is not None and amount < method.min_withdraw:
            errors["amount"] = f"Minimum is {plain(method.min_withdraw)} {method.currency}"
        elif method.max_withdraw is not None and amount > method.max_withdraw:
            errors["amount"] = f"Maximum is {plain(method.max_withdraw)} {method.currency}"
        elif included and amount <= fee:
            errors["amount"] = (f"The fee {plain(fee)} {method.currency} comes out of the "
                                "amount: nothing would arrive")
        elif available_amount is not None and debit > available_amount:
            with_fee = "" if included else f" with the fee {plain(fee)}"
            errors["amount"] = (f"Needs {plain(debit)} {method.currency}{with_fee}; "
                                f"{plain(available_amount)} available")
    clean: dict[str, str] = {}
    for attr in method.attributes:
        value = attributes.get(attr.key, "").strip()
        if not value:
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} is required"
        elif len(value) > 256 or any(ch.isspace() for ch in value):
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} must be one word, no spaces"
        else:
            clean[attr.key] = value
    if errors or amount is None:
        return None, errors
    return WithdrawDraft(method.id, method.currency, method.network, amount, fee, clean,
                         fee_included=included), {}
