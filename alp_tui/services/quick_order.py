"""The quick-order line: one line of words in, the same draft the order form builds out.

Pure and textual-free. :func:`parse_quick` reads a command into a :class:`QuickOrder` or a
:class:`QuickCancel` (or raises :class:`QuickOrderError` with a sentence saying what is
wrong); :func:`quick_form` turns a :class:`QuickOrder` into the order form's
:class:`~alp_tui.services.order_draft.FormInput` once the market is known (a share of the
balance, or ``@bid`` / ``@ask`` / ``@last``, needs it), and :func:`quick_draft` runs that
through :func:`~alp_tui.services.order_draft.build_draft`: the line and the form share one
validation, one preview and one fat-finger guard.

Grammar (words in any case, the pair optional when one is selected)::

    buy 0.01 BTC_USDT @ 91000      limit buy at 91000 (also "@91000", "at 91000")
    sell 50% ETH_USDT market       market sell of half the available ETH
    buy 0.01 @bid                  limit buy at the best bid (@ask, @last too)
    b 0.01 btc/usdt @ 91000 ioc    b / s for buy / sell; a time in force at the end
    cancel all BTC_USDT            every open order of the pair ("cancel all" alone: the
                                   selected pair)
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from alp_tui.api.enums import OrderSide, WalletType
from alp_tui.services.format import format_decimal, quantum
from alp_tui.services.order_draft import (
    DraftResult,
    FormInput,
    MarketContext,
    available,
    build_draft,
)

__all__ = [
    "PRICE_WORDS",
    "QuickCancel",
    "QuickOrder",
    "QuickOrderError",
    "parse_quick",
    "quick_draft",
    "quick_form",
]

SIDE_WORDS = {"buy": "BID", "b": "BID", "sell": "ASK", "s": "ASK"}
PRICE_WORDS = ("bid", "ask", "last")
MARKET_WORDS = ("market", "mkt")
TIF_WORDS = ("gtc", "ioc", "fok", "aon")
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_PAIR = re.compile(r"^([a-z0-9]{2,12})[_/\-]?([a-z0-9]{2,12})?$")
_EXAMPLES = "e.g. buy 0.01 BTC_USDT @ 91000, sell 50% market, cancel all"


class QuickOrderError(ValueError):
    """A quick-order line that cannot be read; the message says why, in words."""


@dataclass(frozen=True)
class QuickOrder:
    """An order read from the line, before the market fills in shares and book prices.

    ``amount`` is the typed amount (None when ``share`` is given: a fraction of what is
    available); ``price`` a typed price, or ``price_ref`` one of :data:`PRICE_WORDS`.
    """

    side: str  # "BID" or "ASK"
    pair: str
    amount: str | None = None
    share: Decimal | None = None
    price: str | None = None
    price_ref: str | None = None
    market: bool = False
    tif: str = "GTC"


@dataclass(frozen=True)
class QuickCancel:
    """``cancel all [PAIR]``: every open order of ``pair``."""

    pair: str


def _pair_of(token: str, pairs: Collection[str]) -> str | None:
    """``token`` as a listed pair name (``btc/usdt``, ``btc-usdt``, ``BTCUSDT`` too)."""
    upper = token.upper()
    if upper in pairs:
        return upper
    match = _PAIR.match(token.lower())
    if match is None:
        return None
    base, quote = match.group(1).upper(), (match.group(2) or "").upper()
    if quote and f"{base}_{quote}" in pairs:
        return f"{base}_{quote}"
    squashed = upper.replace("_", "").replace("/", "").replace("-", "")
    for name in pairs:
        if name.replace("_", "") == squashed:
            return name
    return None


def _number(text: str, what: str) -> str:
    if not _NUMBER.match(text):
        raise QuickOrderError(f"{what} must be a plain number like 0.01, not “{text}”")
    if Decimal(text) <= 0:
        raise QuickOrderError(f"{what} must be more than 0")
    return text


def parse_quick(text: str, *, pair: str | None, pairs: Collection[str]) -> (
        QuickOrder | QuickCancel):
    """Read one quick-order line. ``pair`` is the selected pair (used when the line names
    none); ``pairs`` the listed pair names. Raises :class:`QuickOrderError`."""
    tokens = text.replace("@", " @ ").split()
    if not tokens:
        raise QuickOrderError(f"Type an order, {_EXAMPLES}")
    head = tokens[0].lower()
    if head == "cancel":
        return _parse_cancel(tokens[1:], pair, pairs)
    side = SIDE_WORDS.get(head)
    if side is None:
        raise QuickOrderError(f"Start with buy, sell or cancel ({_EXAMPLES})")
    rest = tokens[1:]
    if not rest:
        raise QuickOrderError("Say how much, e.g. buy 0.01 or sell 50%")
    amount: str | None = None
    share: Decimal | None = None
    first = rest.pop(0)
    if first.endswith("%"):
        pct = _number(first[:-1], "The share")
        share = Decimal(pct) / 100
        if share > 1:
            raise QuickOrderError("A share of the balance is at most 100%")
    else:
        amount = _number(first, "The amount")
    chosen = pair
    named = False
    price: str | None = None
    price_ref: str | None = None
    market = False
    tif = "GTC"
    while rest:
        word = rest.pop(0)
        low = word.lower()
        if low in ("@", "at"):
            if not rest:
                raise QuickOrderError("Give a price after @, e.g. @ 91000 or @bid")
            target = rest.pop(0)
            if target.lower() in PRICE_WORDS:
                price_ref = target.lower()
            else:
                price = _number(target, "The price")
        elif low in MARKET_WORDS:
            market = True
        elif low in TIF_WORDS:
            tif = low.upper()
        elif not named and (found := _pair_of(word, pairs)) is not None:
            chosen, named = found, True
        else:
            raise QuickOrderError(f"“{word}” is not a pair, a price, market or a time in "
                                  "force")
    if chosen is None:
        raise QuickOrderError("Name the pair, e.g. buy 0.01 BTC_USDT @ 91000")
    if market and (price is not None or price_ref is not None):
        raise QuickOrderError("A market order has no price: drop @ … or market")
    if not market and price is None and price_ref is None:
        raise QuickOrderError("Give a price (@ 91000, @bid, @ask, @last) or say market")
    if market and tif != "GTC":
        raise QuickOrderError("A time in force is for limit orders")
    return QuickOrder(side=side, pair=chosen, amount=amount, share=share, price=price,
                      price_ref=price_ref, market=market, tif=tif)


def _parse_cancel(rest: list[str], pair: str | None, pairs: Collection[str]) -> QuickCancel:
    if not rest or rest[0].lower() != "all":
        raise QuickOrderError("Say cancel all (the selected pair) or cancel all BTC_USDT")
    if len(rest) > 2:
        raise QuickOrderError("cancel all takes one pair at most")
    if len(rest) == 2:
        found = _pair_of(rest[1], pairs)
        if found is None:
            raise QuickOrderError(f"“{rest[1]}” is not a listed pair")
        return QuickCancel(found)
    if pair is None:
        raise QuickOrderError("Name the pair, e.g. cancel all BTC_USDT")
    return QuickCancel(pair)


def _book_price(order: QuickOrder, ctx: MarketContext) -> Decimal:
    book = ctx.book
    if order.price_ref == "last":
        value = ctx.last_price
    elif order.price_ref == "bid":
        value = book.buy[0].price if book is not None and book.buy else None
    else:
        value = book.sell[0].price if book is not None and book.sell else None
    if value is None:
        raise QuickOrderError(f"No {order.price_ref} price known yet for {ctx.pair.name}; "
                              "give a number instead")
    return value


def quick_form(order: QuickOrder, ctx: MarketContext) -> FormInput:
    """The order form's input for ``order`` on ``ctx``'s market: a book word becomes that
    price, a share of the balance becomes an amount (rounded down to the pair's step)."""
    p = ctx.pair
    price_text = order.price or ""
    price: Decimal | None = None
    if order.price_ref is not None:
        price = _book_price(order, ctx)
        price_text = format_decimal(price, p.price_precision, thousands=False)
    elif order.price is not None:
        try:
            price = Decimal(order.price)
        except InvalidOperation:  # parse_quick only lets plain numbers through
            price = None
    amount_text = order.amount or ""
    if order.share is not None:
        amount_text = _share_amount(order, ctx, price)
    # Always SPOT and no side effect: the line never carries margin over from anywhere.
    return FormInput(side=order.side, order_type="MARKET" if order.market else "LIMIT",
                     amount=amount_text, price="" if order.market else price_text,
                     tif=order.tif, wallet_type=WalletType.SPOT.value)


def _share_amount(order: QuickOrder, ctx: MarketContext, price: Decimal | None) -> str:
    p = ctx.pair
    assert order.share is not None
    if order.side == "ASK":
        have = available(ctx, p.base, WalletType.SPOT)
        if have is None:
            raise QuickOrderError("Balances are not loaded yet; give an amount instead")
        amount = have * order.share
    else:
        have = available(ctx, p.quote, WalletType.SPOT)
        if have is None:
            raise QuickOrderError("Balances are not loaded yet; give an amount instead")
        ref = price
        if ref is None:  # a market buy: valued at the best ask (or last)
            book = ctx.book
            ref = book.sell[0].price if book is not None and book.sell else ctx.last_price
        if not ref:
            raise QuickOrderError("No price known to size the buy; give an amount")
        amount = have * order.share / ref
    amount = amount.quantize(quantum(p.amount_precision), rounding=ROUND_DOWN)
    if amount <= 0:
        raise QuickOrderError(f"{order.share * 100:f}% of what is available is nothing")
    return format_decimal(amount, p.amount_precision, thousands=False)


def quick_draft(order: QuickOrder, ctx: MarketContext) -> DraftResult:
    """The draft, preview and errors the form would show for ``order``."""
    if ctx.pair.name != order.pair:
        raise QuickOrderError(f"The market loaded is {ctx.pair.name}, not {order.pair}")
    return build_draft(quick_form(order, ctx), ctx)


def side_word(order: QuickOrder) -> str:
    """``BUY`` or ``SELL``."""
    return OrderSide.parse(order.side).word  # type: ignore[union-attr]
