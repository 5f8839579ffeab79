"""What the order form says: its choices, the available line, the preview under the fields
and the confirm step's body. Rendering only; the numbers come from
:mod:`alp_tui.services.order_draft` and every one goes through :mod:`alp_tui.services.format`:
prices at the pair's price precision, amounts of a currency (balances, totals, fees, a
borrow) at that currency's display decimals (``places``, from ``currency_places``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from rich.text import Text

from alp_tui.api.enums import OrderSide, OrderType, WalletType
from alp_tui.api.models import PairInfo
from alp_tui.services.format import format_decimal, format_exact, format_money
from alp_tui.services.margin_limits import AutoBorrow
from alp_tui.services.order_draft import (
    LIMIT_TYPES,
    DraftResult,
    MarketContext,
    OrderDraft,
    available,
)

TYPES = [("Limit", "LIMIT"), ("Market", "MARKET"), ("Stop limit", "STOP_LIMIT"),
         ("Stop market", "STOP_MARKET")]
TIFS = [("GTC  good till cancelled", "GTC"), ("IOC  immediate or cancel", "IOC"),
        ("FOK  fill or kill", "FOK"), ("AON  all or none", "AON")]
WALLETS = [("Spot", "SPOT"), ("Cross margin", "CROSS_MARGIN"),
           ("Isolated margin", "ISOLATED_MARGIN")]
EFFECTS = [("None", "NO_SIDE_EFFECT"), ("Auto borrow", "AUTO_BORROW"),
           ("Auto repay", "AUTO_REPLAY")]
OPERATORS = [("Auto (from last price)", ""), ("GTE  last rises to stop", "GTE"),
             ("LTE  last falls to stop", "LTE")]


def form_title(pair: PairInfo, side: OrderSide, otype: OrderType, *,
               price: Decimal | None = None, line: str = "", paper: bool = False) -> Text:
    """Side, pair, type, and whatever the form was opened with: a quick-order line, or a
    book level's price (so nothing carried over is silent)."""
    title = Text.assemble((f" {side.word} ", "bold reverse"), f"  {pair.name}  ",
                          (otype.value.replace("_", " ").lower(), "italic"))
    if line:
        title.append(f"  · from the line “{line}”", style="dim")
    elif price is not None and otype in LIMIT_TYPES:
        title.append(f"  · price {format_decimal(price, pair.price_precision)} from the book",
                     style="dim")
    if paper:
        title.append("  · paper order", style="bold")
    return title


def available_text(pair: PairInfo, ctx: MarketContext, wallet: str,
                   places: Mapping[str, int]) -> Text | None:
    """``Available: 98,621.65 USDT · 2.000000 BTC   last 91,000.00`` for ``wallet``: each
    currency at its own decimals, rounded down (never more than there is)."""
    try:
        wtype = WalletType.parse(wallet)
    except ValueError:
        return None
    base = available(ctx, pair.base, wtype)  # type: ignore[arg-type]
    quote = available(ctx, pair.quote, wtype)  # type: ignore[arg-type]
    if base is None or quote is None:
        text = Text("Available: loading…", style="dim")
    else:
        have_quote = format_money(quote, pair.quote, places, rounding=ROUND_DOWN)
        have_base = format_money(base, pair.base, places, rounding=ROUND_DOWN)
        text = Text(f"Available: {have_quote} {pair.quote} · {have_base} {pair.base}")
    if ctx.last_price:
        text.append(f"   last {format_decimal(ctx.last_price, pair.price_precision)}",
                    style="dim")
    return text


def preview_text(pair: PairInfo, result: DraftResult, places: Mapping[str, int]) -> Text:
    """Total, fee, average price and slippage, the base a quote-sized order buys."""
    p, pv = pair, result.preview
    lines = Text()
    total, fee = _total_and_fee(result, places, p.quote)
    if total:
        lines.append(f"Total ≈ {total} {p.quote}")
    if fee and pv.fee_rate is not None:
        kind = "maker" if pv.is_maker else "taker"
        lines.append(f"   fee ≈ {fee} {p.quote} "
                     f"({kind} {pv.fee_rate * 100:.3f}%)")
    if pv.avg_price is not None:
        lines.append(f"\nAvg price ≈ {format_decimal(pv.avg_price, p.price_precision)}")
        if pv.slippage_pct is not None:
            lines.append(f"   slippage ≈ {pv.slippage_pct:.2f}%")
    if pv.est_base is not None and result.draft and result.draft.quote_amount is not None:
        lines.append(f"\n≈ {format_decimal(pv.est_base, p.amount_precision)} {p.base}")
    if pv.borrow is not None:
        lines.append(f"\n{borrow_text(pv.borrow, places)}", style="bold")
    return lines


def _total_and_fee(result: DraftResult, places: Mapping[str, int],
                   quote: str) -> tuple[str, str]:
    """The total and the fee as shown ("" when unknown), rounded the safe way: a fee and
    what a buy costs up, what a sell brings in down."""
    pv, draft = result.preview, result.draft
    buy = draft is None or draft.side is OrderSide.BID
    total = "" if pv.total is None else format_money(
        pv.total, quote, places, rounding=ROUND_UP if buy else ROUND_DOWN)
    fee = "" if pv.fee is None else format_money(pv.fee, quote, places, rounding=ROUND_UP)
    return total, fee


def borrow_text(borrow: AutoBorrow, places: Mapping[str, int]) -> str:
    """``Borrows ≈ 5,342.65 USDT · margin level 3.000 → 1.870`` for an AUTO_BORROW order."""
    if borrow.amount <= 0:
        text = "Borrows nothing: the wallet holds enough"
    else:
        text = f"Borrows ≈ {format_money(borrow.amount, borrow.currency, places)} " \
               f"{borrow.currency}"
    if borrow.level_after is not None or borrow.level_before is not None:
        before = "no debt" if borrow.level_before is None else f"{borrow.level_before:.3f}"
        after = "no debt" if borrow.level_after is None else f"{borrow.level_after:.3f}"
        text += f" · margin level {before} → {after}"
    elif borrow.amount > 0:
        text += " · margin level: loading…"
    return text


def unknown_text(detail: str) -> Text:
    """An order whose answer never came (a frozen exchange): what that means for the
    trader first, in words, then the service's account of what was tried."""
    return Text.assemble(
        ("⚠ No answer: the order may or may not have been placed.\n",
         "bold yellow"),
        ("It was not sent again and this form will not send it. Check Open orders "
         "before trying again; what you typed is kept here.\n", "yellow"),
        (detail, "dim"))


def warnings_text(result: DraftResult) -> Text:
    """The preview's warnings, one per line."""
    return Text("\n".join(f"⚠ {w}" for w in result.preview.warnings), style="bold yellow")


def confirm_word(pair: PairInfo, draft: OrderDraft) -> str:
    """What a flagged order asks to be typed: its amount, as the confirm shows it."""
    if draft.base_amount is not None:
        return format_exact(draft.base_amount, pair.amount_precision)
    return format_exact(draft.quote_amount, pair.price_precision)


def confirm_text(pair: PairInfo, draft: OrderDraft, result: DraftResult,
                 places: Mapping[str, int]) -> Text:
    """Exactly what will be sent, side in words and colour (what is sent at the pair's
    precision; the estimates at the quote currency's)."""
    p = pair
    colour = "bold green" if draft.side is OrderSide.BID else "bold red"
    text = Text()
    text.append(f"{draft.side.word} ", style=colour)
    text.append(f"{p.name}  {draft.order_type.value}\n\n")
    rows: list[tuple[str, str]] = []
    if draft.base_amount is not None:
        amount = format_decimal(draft.base_amount, p.amount_precision)
        rows.append(("Amount", f"{amount} {p.base}"))
    if draft.quote_amount is not None:
        rows.append(("Spend" if draft.side is OrderSide.BID else "Receive",
                     f"{format_decimal(draft.quote_amount, p.price_precision)} {p.quote}"))
    if draft.limit_price is not None:
        price = format_decimal(draft.limit_price, p.price_precision)
        rows.append(("Limit price", f"{price} {p.quote}"))
    else:
        rows.append(("Price", "market"))
    if draft.stop_price is not None and draft.stop_operator is not None:
        rows.append(("Stop", f"when last {'≥' if draft.stop_operator.value == 'GTE' else '≤'}"
                             f" {format_decimal(draft.stop_price, p.price_precision)} "
                             f"({draft.stop_operator.value})"))
    if draft.tif is not None:
        rows.append(("Time in force", draft.tif.value))
    rows.append(("Wallet", draft.wallet_type.value))
    if draft.side_effect.value != "NO_SIDE_EFFECT":
        rows.append(("Side effect", draft.side_effect.value))
    pv = result.preview
    total, fee = _total_and_fee(result, places, p.quote)
    if total:
        rows.append(("Total ≈", f"{total} {p.quote}"))
    if fee:
        rows.append(("Fee ≈", f"{fee} {p.quote}"))
    if pv.borrow is not None:
        rows.append(("Auto borrow", borrow_text(pv.borrow, places).removeprefix("Borrows ")))
    for label, value in rows:
        text.append(f"{label:>14}  ", style="dim")
        text.append(f"{value}\n")
    for warning in pv.warnings:
        text.append(f"\n⚠ {warning}", style="bold yellow")
    return text
