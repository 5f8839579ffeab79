"""The quick-order line: words in, the same draft as the form out; clear sentences for bad
input; never anything but a QuickOrderError for any text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.api.models import Balance, BookLevel, FeeInfo, OrderBook, PairInfo
from alp_tui.services.order_draft import FormInput, MarketContext, build_draft
from alp_tui.services.quick_order import (
    QuickCancel,
    QuickOrder,
    QuickOrderError,
    parse_quick,
    quick_draft,
    quick_form,
)

PAIR = PairInfo(name="BTC_USDT", currency1="BTC", currency2="USDT", amount_precision=6,
                price_precision=2, maximum_order_size=Decimal("100"),
                minimum_order_size=Decimal("0.0001"), minimum_order_value=Decimal("10"))
PAIRS = ("BTC_USDT", "ETH_USDT", "ETH_BTC", "SOL_USDC")
BOOK = OrderBook(buy=[BookLevel(price=Decimal("90990"), amount=Decimal("1"))],
                 sell=[BookLevel(price=Decimal("91010"), amount=Decimal("2"))])
CTX = MarketContext(
    pair=PAIR, book=BOOK, last_price=Decimal("91000"),
    fees=[FeeInfo(taker_fee_rate=Decimal("0.002"), maker_fee_rate=Decimal("0.001"))],
    balances=[Balance(balance=Decimal("100000"), reserve=Decimal(0), currency="USDT",
                      wallet_type="SPOT"),
              Balance(balance=Decimal("2"), reserve=Decimal("0.5"), currency="BTC",
                      wallet_type="SPOT")])


def parse(text: str, pair: str | None = "BTC_USDT") -> QuickOrder | QuickCancel:
    return parse_quick(text, pair=pair, pairs=PAIRS)


def test_limit_buy_builds_the_forms_draft() -> None:
    order = parse("buy 0.01 BTC_USDT @ 91000")
    assert isinstance(order, QuickOrder)
    line = quick_draft(order, CTX)
    form = build_draft(FormInput(side="BID", amount="0.01", price="91000"), CTX)
    assert line.ok and line.draft == form.draft
    assert line.preview == form.preview
    d = line.draft
    assert d is not None and d.side is OrderSide.BID and d.order_type is OrderType.LIMIT
    assert d.limit_price == Decimal("91000") and d.wallet_type is WalletType.SPOT
    assert d.tif is TimeInForce.GTC


@pytest.mark.parametrize("text", ["buy 0.01 @91000", "BUY 0.01 btc/usdt at 91000",
                                  "b 0.01 btcusdt @ 91000", "buy 0.01 @ 91000 BTC-USDT"])
def test_spellings_of_the_same_order(text: str) -> None:
    order = parse(text)
    assert isinstance(order, QuickOrder)
    assert (order.side, order.pair, order.amount, order.price) == ("BID", "BTC_USDT", "0.01",
                                                                   "91000")


def test_best_bid_and_ask_and_last() -> None:
    for word, price in (("bid", Decimal("90990")), ("ask", Decimal("91010")),
                        ("last", Decimal("91000"))):
        order = parse(f"buy 0.01 @{word}")
        assert isinstance(order, QuickOrder)
        draft = quick_draft(order, CTX).draft
        assert draft is not None and draft.limit_price == price


def test_share_of_balance_market_sell() -> None:
    order = parse("sell 50% ETH_USDT market", pair="BTC_USDT")
    assert isinstance(order, QuickOrder) and order.pair == "ETH_USDT" and order.market
    order = parse("sell 50% market")
    assert isinstance(order, QuickOrder)
    form = quick_form(order, CTX)
    assert form == FormInput(side="ASK", order_type="MARKET", amount="0.750000", price="")
    buy = parse("buy 10% @ 90000")
    assert isinstance(buy, QuickOrder)
    assert quick_form(buy, CTX).amount == "0.111111"  # 10,000 USDT / 90,000, rounded down


def test_cancel_all() -> None:
    assert parse("cancel all BTC_USDT") == QuickCancel("BTC_USDT")
    assert parse("cancel all eth_btc") == QuickCancel("ETH_BTC")
    assert parse("cancel all", pair="SOL_USDC") == QuickCancel("SOL_USDC")


@pytest.mark.parametrize(("text", "words"), [
    ("", "Type an order"),
    ("hold 1", "Start with buy, sell or cancel"),
    ("buy", "Say how much"),
    ("buy lots @ 1", "plain number"),
    ("buy -1 @ 1", "plain number"),
    ("buy 0 @ 1", "more than 0"),
    ("buy 0.01", "Give a price"),
    ("buy 0.01 @", "Give a price after @"),
    ("buy 0.01 @ 9O000", "plain number"),
    ("buy 0.01 DOGE_XYZ @ 1", "is not a pair"),
    ("buy 0.01 @ 91000 market", "no price"),
    ("sell 150% market", "at most 100%"),
    ("buy 0.01 market ioc", "limit orders"),
    ("cancel", "cancel all"),
    ("cancel all NOPE_NOPE", "not a listed pair"),
])
def test_bad_input_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(QuickOrderError, match=words):
        parse(text)


def test_no_pair_selected_and_none_named() -> None:
    with pytest.raises(QuickOrderError, match="Name the pair"):
        parse("buy 0.01 @ 1", pair=None)


def test_too_many_decimals_is_the_forms_error() -> None:
    order = parse("buy 0.0000001 @ 91000")
    assert isinstance(order, QuickOrder)
    result = quick_draft(order, CTX)
    assert not result.ok and "At most 6 decimals" in result.errors["amount"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_any_text_parses_or_says_why(text: str) -> None:
    try:
        order = parse(text)
    except QuickOrderError as exc:
        assert str(exc)
        return
    if isinstance(order, QuickOrder) and order.pair == "BTC_USDT":
        try:
            quick_draft(order, CTX)  # never raises anything else
        except QuickOrderError:
            pass


_AMOUNT = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50"), places=6)
_PRICE = st.decimals(min_value=Decimal("1"), max_value=Decimal("500000"), places=2)


@settings(max_examples=200, deadline=None)
@given(side=st.sampled_from(["buy", "sell"]), amount=_AMOUNT, price=_PRICE,
       tif=st.sampled_from(["", "gtc", "ioc", "fok", "aon"]),
       spell=st.sampled_from(["BTC_USDT", "btc/usdt", "", "btcusdt"]))
def test_line_and_form_agree(side: str, amount: Decimal, price: Decimal, tif: str,
                             spell: str) -> None:
    text = f"{side} {amount} {spell} @ {price} {tif}"
    order = parse(text)
    assert isinstance(order, QuickOrder)
    form = FormInput(side="BID" if side == "buy" else "ASK", amount=str(amount),
                     price=str(price), tif=(tif or "gtc").upper())
    assert quick_draft(order, CTX) == build_draft(form, CTX)
