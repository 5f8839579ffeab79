"""Preview maths for an order: what the book and balances say about it before it is sent.

Pure and textual-free: the balance available per wallet, the fee rate that applies, a market
order walked through the book (average price, slippage, short book), and
:func:`preview_order` — total, fee, minimum value, balance check and the fat-finger flags
(an order crossing the book too far, using too much balance, or slipping too far).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from alp_tui.api.enums import OrderSide, OrderType, SideEffect, StopOperator, WalletType
from alp_tui.api.models import FeeInfo, OrderBook, PairInfo
from alp_tui.services.format import format_decimal, quantum
from alp_tui.services.margin_limits import auto_borrow
from alp_tui.services.margin_math import WalletKey
from alp_tui.services.order_types import (
    AMOUNT,
    LIMIT_TYPES,
    MARKET_TYPES,
    STOP_MARKET_HOLD,
    FormInput,
    MarketContext,
    Preview,
    fmt,
    fmt_price,
)

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



# --- the preview ---------------------------------------------------------------------------


def preview_order(
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
    """The preview of an order already read from the form, with the errors only the market
    can tell (minimum value, balance) and the warnings (fat-finger flags among them)."""
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
    if side is OrderSide.BID:
        have = available(ctx, pair.quote, wallet)
        need = hold if hold is not None else total
        unit, prec = pair.quote, pair.price_precision
    else:
        have = available(ctx, pair.base, wallet)
        need = est_base
        unit, prec = pair.base, pair.amount_precision
    borrow = None
    if effect is SideEffect.AUTO_BORROW and wallet.is_margin and need is not None:
        key = WalletKey(wallet, pair.name if wallet is WalletType.ISOLATED_MARGIN else None)
        borrow = auto_borrow(ctx.margin, key, unit, need, have)
    else:
        if have is not None and need is not None:
            if need > have and AMOUNT not in errors:
                # Need up, have down: never "Needs 100.00; 100.00 available".
                errors[AMOUNT] = (
                    f"Needs {format_decimal(need, prec, rounding=ROUND_UP)} {unit}; "
                    f"{format_decimal(have, prec, rounding=ROUND_DOWN)} available"
                )
            elif have > 0 and need > have * ctx.guard.max_balance_share:
                share = need / have * 100
                guard_flags.append(f"Uses {share:.0f}% of your available {unit}")

    # Price: only an order that would cross the book far beyond the touch is flagged. A
    # resting (passive) order, a bid at or below the best bid or an ask at or above the best
    # ask, cannot fill at a bad price, so it never warns however far it is from last.
    cross = crossing_pct(ctx, side, otype, limit_price, stop_price)
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
                      guard=tuple(guard_flags), borrow=borrow)
    return preview, errors, warnings


def crossing_pct(ctx: MarketContext, side: OrderSide, otype: OrderType,
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


def _typed_price(text: str) -> Decimal | None:
    try:
        price = Decimal(text.strip())
    except ArithmeticError:
        return None
    return price if price.is_finite() and price > 0 else None


def share_amount(form: FormInput, ctx: MarketContext, share: Decimal) -> str | None:
    """``share`` of what is available for ``form``'s side and wallet, as the amount field's
    text (in its unit, rounded down to the pair's step); None when it cannot be told yet.

    A sell spends the base; a buy spends the quote, turned into base at the typed limit or
    stop price (else the best ask, else last)."""
    p = ctx.pair
    try:
        wallet = WalletType.parse(form.wallet_type)
        side = OrderSide.parse(form.side)
        otype = OrderType.parse(form.order_type)
    except ValueError:
        return None
    by_quote = otype in MARKET_TYPES and form.amount_in == "quote"
    ref = best_price(ctx.book, side) or ctx.last_price  # type: ignore[arg-type]

    def down(value: Decimal, precision: int) -> str:
        return fmt(value.quantize(quantum(precision), ROUND_DOWN), precision)

    if side is OrderSide.ASK:
        have = available(ctx, p.base, wallet)  # type: ignore[arg-type]
        if have is None:
            return None
        if by_quote:
            return down(have * share * ref, p.price_precision) if ref else None
        return down(have * share, p.amount_precision)
    have = available(ctx, p.quote, wallet)  # type: ignore[arg-type]
    if have is None:
        return None
    if by_quote:
        return down(have * share, p.price_precision)
    price: Decimal | None = None
    if otype in LIMIT_TYPES:
        price = _typed_price(form.price)
    elif otype is OrderType.STOP_MARKET:
        price = _typed_price(form.stop_price)
    price = price or ref
    return down(have * share / price, p.amount_precision) if price else None
