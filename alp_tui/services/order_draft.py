"""Turn what the user typed into an order we can send, or say exactly what is wrong.

Pure and textual-free: :func:`build_draft` takes the form's raw text and the market context
(pair limits, balances, fees, book, last price) and returns a :class:`DraftResult` holding
either a typed :class:`OrderDraft` or errors keyed by form field, plus a :class:`Preview`
(total, estimated fee, average price and slippage for market orders, fat-finger flags).

The work is split by job: the vocabulary and number reading in
:mod:`~alp_tui.services.order_types`, the preview maths in
:mod:`~alp_tui.services.order_preview`, withdrawals in
:mod:`~alp_tui.services.withdraw_draft`. This module reads the form and re-exports those
names for its callers.
"""

from __future__ import annotations

from decimal import Decimal

from alp_tui.api.enums import (
    OrderSide,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.services.order_preview import (
    Fill,
    available,
    best_price,
    crossing_pct,
    fee_rates,
    infer_stop_operator,
    preview_order,
    share_amount,
    walk_book,
)
from alp_tui.services.order_types import (
    AMOUNT,
    FORM_FIELDS,
    FORM_TIFS,
    GENERAL,
    LIMIT_TYPES,
    MARKET_TYPES,
    ORDER_TYPE,
    PRICE,
    SIDE,
    SIDE_EFFECT,
    STOP_MARKET_HOLD,
    STOP_OPERATOR,
    STOP_PRICE,
    STOP_TYPES,
    TIF,
    WALLET_TYPE,
    WIRE_TO_FORM,
    WITHDRAW_PRECISION,
    DraftResult,
    FormInput,
    GuardSettings,
    MarketContext,
    OrderDraft,
    Preview,
    fmt,
    fmt_amount,
    fmt_price,
    parse_decimal,
    parse_enum,
    plain,
    read_field,
)
from alp_tui.services.withdraw_draft import (
    WithdrawDraft,
    build_withdraw,
    fee_is_included,
    withdraw_fee,
)

__all__ = [
    "AMOUNT", "FORM_FIELDS", "FORM_TIFS", "GENERAL", "LIMIT_TYPES", "MARKET_TYPES",
    "ORDER_TYPE", "PRICE", "SIDE", "SIDE_EFFECT", "STOP_MARKET_HOLD", "STOP_OPERATOR",
    "STOP_PRICE", "STOP_TYPES", "TIF", "WALLET_TYPE", "WIRE_TO_FORM", "WITHDRAW_PRECISION",
    "DraftResult", "Fill", "FormInput", "GuardSettings", "MarketContext", "OrderDraft",
    "Preview", "WithdrawDraft", "available", "best_price", "build_draft", "build_withdraw",
    "crossing_pct", "fee_is_included", "fee_rates", "fmt", "fmt_amount", "fmt_price",
    "form_errors_from_server", "infer_stop_operator", "parse_decimal", "plain",
    "preview_order", "share_amount", "walk_book", "withdraw_fee",
]


# --- the draft ----------------------------------------------------------------------------


def build_draft(form: FormInput, ctx: MarketContext) -> DraftResult:
    """Validate ``form`` against ``ctx``; never raises for any text in any field."""
    pair = ctx.pair
    errors: dict[str, str] = {}
    warnings: list[str] = []

    side = parse_enum(OrderSide, form.side)
    if side is None:
        errors[SIDE] = "Choose buy or sell"
        side = OrderSide.BID
    otype = parse_enum(OrderType, form.order_type)
    if otype is None:
        errors[ORDER_TYPE] = "Choose an order type"
        otype = OrderType.LIMIT
    wallet = parse_enum(WalletType, form.wallet_type)
    if wallet is None or wallet is WalletType.FUNDING:
        errors[WALLET_TYPE] = "Choose SPOT, CROSS_MARGIN or ISOLATED_MARGIN"
        wallet = WalletType.SPOT
    effect = parse_enum(SideEffect, form.side_effect)
    if effect is None:
        errors[SIDE_EFFECT] = "Choose a side effect"
        effect = SideEffect.NO_SIDE_EFFECT
    elif effect is not SideEffect.NO_SIDE_EFFECT and not wallet.is_margin:
        errors[SIDE_EFFECT] = f"{effect.value} needs a margin wallet"

    tif: TimeInForce | None = None
    if otype in LIMIT_TYPES:
        tif = parse_enum(TimeInForce, form.tif or "GTC")
        if tif not in FORM_TIFS:
            errors[TIF] = "Choose GTC, IOC, FOK or AON"
            tif = None

    by_quote = otype in MARKET_TYPES and form.amount_in == "quote"
    if by_quote and otype is OrderType.STOP_MARKET and side is OrderSide.ASK:
        errors["amount_in"] = f"A stop-market sell is sized in {pair.base}"
    base_amount: Decimal | None = None
    quote_amount: Decimal | None = None
    if by_quote:
        quote_amount = read_field(errors, AMOUNT, form.amount, pair.price_precision, "Amount")
    else:
        amount = read_field(errors, AMOUNT, form.amount, pair.amount_precision, "Amount")
        if amount is not None and amount < pair.minimum_order_size:
            errors[AMOUNT] = f"Minimum is {fmt_amount(pair, pair.minimum_order_size)} {pair.base}"
        elif amount is not None and amount > pair.maximum_order_size:
            errors[AMOUNT] = f"Maximum is {fmt_amount(pair, pair.maximum_order_size)} {pair.base}"
        else:
            base_amount = amount

    limit_price: Decimal | None = None
    if otype in LIMIT_TYPES:
        limit_price = read_field(errors, PRICE, form.price, pair.price_precision, "Price")

    stop_price: Decimal | None = None
    stop_op: StopOperator | None = None
    if otype in STOP_TYPES:
        stop_price = read_field(errors, STOP_PRICE, form.stop_price, pair.price_precision,
                           "Stop price")
        if form.stop_operator.strip():
            stop_op = parse_enum(StopOperator, form.stop_operator)
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

    preview, value_errors, more_warnings = preview_order(
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



def form_errors_from_server(field_errors: dict[str, str]) -> dict[str, str]:
    """Map a 400's ``formErrors`` (wire names) onto form fields; unknown names go to general."""
    out: dict[str, str] = {}
    for wire, message in field_errors.items():
        key = WIRE_TO_FORM.get(wire, GENERAL)
        out[key] = f"{out[key]}; {message}" if key in out else str(message)
    return out
