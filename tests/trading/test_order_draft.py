"""Pure tests of the order form's validation and preview."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.api.enums import OrderSide, OrderType, StopOperator, TimeInForce, WalletType
from alp_tui.api.models import Balance, BookLevel, FeeInfo, OrderBook, PairInfo
from alp_tui.services.order_draft import (
    AMOUNT,
    PRICE,
    SIDE_EFFECT,
    STOP_OPERATOR,
    STOP_PRICE,
    FormInput,
    GuardSettings,
    MarketContext,
    OrderDraft,
    build_draft,
    form_errors_from_server,
    parse_decimal,
    walk_book,
)

PAIR = PairInfo(name="BTC_USDT", currency1="BTC", currency2="USDT", amount_precision=6,
                price_precision=2, maximum_order_size=Decimal("100"),
                minimum_order_size=Decimal("0.0001"), minimum_order_value=Decimal("10"))
BOOK = OrderBook(
    buy=[BookLevel(price=Decimal("44990"), amount=Decimal("1")),
         BookLevel(price=Decimal("44980"), amount=Decimal("2"))],
    sell=[BookLevel(price=Decimal("45010"), amount=Decimal("1")),
          BookLevel(price=Decimal("45020"), amount=Decimal("2"))],
)
BALANCES = [
    Balance(balance=Decimal("100000"), reserve=Decimal("0"), currency="USDT", wallet_type="SPOT"),
    Balance(balance=Decimal("2"), reserve=Decimal("0.5"), currency="BTC", wallet_type="SPOT"),
]
FEES = [FeeInfo(taker_fee_rate=Decimal("0.002"), maker_fee_rate=Decimal("0.001"))]


def ctx(**kw: object) -> MarketContext:
    base = {"pair": PAIR, "balances": BALANCES, "fees": FEES, "book": BOOK,
            "last_price": Decimal("45000")}
    base.update(kw)
    return MarketContext(**base)  # type: ignore[arg-type]


def test_limit_buy_ok_with_maker_fee_preview() -> None:
    res = build_draft(FormInput(side="BUY", order_type="LIMIT", amount="0.01", price="44000"),
                      ctx())
    assert res.ok, res.errors
    d = res.draft
    assert d is not None
    assert d.side is OrderSide.BID and d.base_amount == Decimal("0.010000")
    assert d.limit_price == Decimal("44000.00") and d.tif is TimeInForce.GTC
    assert res.preview.total == Decimal("440.00")
    assert res.preview.is_maker is True
    assert res.preview.fee == Decimal("0.44")
    kw = d.request_kwargs("x1")
    assert kw["client_order_id"] == "x1" and "quote_amount" not in kw


def test_crossing_limit_is_taker() -> None:
    res = build_draft(FormInput(side="BUY", amount="0.01", price="45100"), ctx())
    assert res.ok and res.preview.is_maker is False


def test_required_fields_by_type() -> None:
    res = build_draft(FormInput(order_type="LIMIT"), ctx())
    assert set(res.errors) == {AMOUNT, PRICE}
    res = build_draft(FormInput(order_type="STOP_LIMIT"), ctx())
    assert {AMOUNT, PRICE, STOP_PRICE} <= set(res.errors)
    res = build_draft(FormInput(order_type="MARKET"), ctx())
    assert set(res.errors) == {AMOUNT}
    res = build_draft(FormInput(order_type="STOP_MARKET", amount="0.01"), ctx())
    assert set(res.errors) == {STOP_PRICE}


def test_number_format_errors() -> None:
    assert parse_decimal("1e5", 2) == "Enter a plain number, e.g. 0.5"
    assert parse_decimal("1,5", 2) == "Use a point for decimals, e.g. 0.5"
    assert parse_decimal("-1", 2) == "Enter a plain number, e.g. 0.5"
    assert parse_decimal("0", 2) == "Value must be more than 0"
    assert parse_decimal("1.234", 2) == "At most 2 decimals"
    assert parse_decimal("1.2300", 2) == Decimal("1.23")
    assert parse_decimal(" .5 ", 2) == Decimal("0.50")
    assert parse_decimal("NaN", 2) == "Enter a plain number, e.g. 0.5"
    assert parse_decimal("9" * 20, 2) == "Value is too large"


def test_size_and_value_limits() -> None:
    assert "Minimum is 0.000100 BTC" in build_draft(
        FormInput(amount="0.00001", price="45000"), ctx()).errors[AMOUNT]
    assert "Maximum" in build_draft(FormInput(amount="101", price="1"), ctx()).errors[AMOUNT]
    err = build_draft(FormInput(amount="0.0001", price="45000"), ctx()).errors[AMOUNT]
    assert "below the minimum 10.00 USDT" in err


def test_balance_checks() -> None:
    err = build_draft(FormInput(side="BUY", amount="3", price="45000"), ctx()).errors[AMOUNT]
    assert err == "Needs 135,000.00 USDT; 100,000.00 available"
    err = build_draft(FormInput(side="SELL", amount="1.6", price="45000"), ctx()).errors[AMOUNT]
    assert err == "Needs 1.600000 BTC; 1.500000 available"
    # Never "Needs 100.00 USDT; 100.00 available": what is needed rounds up, what is
    # available down, so the two never read equal while the order does not fit.
    short = [Balance(balance=Decimal("99.996"), reserve=Decimal("0"), currency="USDT",
                     wallet_type="SPOT")]
    err = build_draft(FormInput(side="BUY", amount="0.002", price="50000.01"),
                      ctx(balances=short)).errors[AMOUNT]
    assert err == "Needs 100.01 USDT; 99.99 available"
    # Unknown balances skip the check.
    assert build_draft(FormInput(side="SELL", amount="1.6", price="45000"),
                       ctx(balances=None)).ok


def test_market_by_base_walks_book() -> None:
    res = build_draft(FormInput(side="BUY", order_type="MARKET", amount="2"), ctx())
    assert res.ok, res.errors
    assert res.preview.avg_price == Decimal("45015")
    assert res.preview.total == Decimal("90030")
    assert res.preview.slippage_pct is not None and res.preview.slippage_pct > 0
    assert res.draft is not None and res.draft.limit_price is None and res.draft.tif is None


def test_market_by_quote() -> None:
    res = build_draft(FormInput(side="BUY", order_type="MARKET", amount="450.10",
                                amount_in="quote"), ctx())
    assert res.ok, res.errors
    assert res.draft is not None and res.draft.quote_amount == Decimal("450.10")
    assert res.draft.base_amount is None
    assert res.preview.est_base == Decimal("0.01")
    assert build_draft(FormInput(side="BUY", order_type="MARKET", amount="5",
                                 amount_in="quote"), ctx()).errors[AMOUNT].startswith("Amount")


def test_stop_operator_inferred_and_warned() -> None:
    res = build_draft(FormInput(side="BUY", order_type="STOP_LIMIT", amount="0.01",
                                price="46100", stop_price="46000"), ctx())
    assert res.ok and res.draft is not None
    assert res.draft.stop_operator is StopOperator.GTE
    res = build_draft(FormInput(side="BUY", order_type="STOP_LIMIT", amount="0.01",
                                price="46100", stop_price="44000", stop_operator="GTE"), ctx())
    assert any("triggers at once" in w for w in res.preview.warnings)
    res = build_draft(FormInput(order_type="STOP_MARKET", amount="0.01", stop_price="44000"),
                      ctx(last_price=None))
    assert STOP_OPERATOR in res.errors


def test_fat_finger_flags() -> None:
    guard = GuardSettings(max_balance_share=Decimal("0.1"),
                          max_price_deviation_pct=Decimal("5"))
    res = build_draft(FormInput(side="BUY", amount="1", price="30000"), ctx(guard=guard))
    assert res.ok
    assert res.preview.guard == ("Uses 30% of your available USDT",)  # passive: no price flag
    res = build_draft(FormInput(side="BUY", amount="0.1", price="50000"), ctx(guard=guard))
    assert res.preview.guard == ("Price is 11.1% above the best ask: it would cross the book",)
    res = build_draft(FormInput(side="SELL", amount="0.1", price="40000"), ctx(guard=guard))
    assert res.preview.guard == ("Price is 11.1% below the best bid: it would cross the book",)


def test_passive_orders_never_warn_about_price() -> None:
    """A bid at or below the best bid, an ask at or above the best ask: no price warning
    however far from last (the issue's bid 11.8 % below last warned)."""
    for side, price in (("BUY", "44990"), ("BUY", "39690"), ("BUY", "1000"),
                        ("SELL", "45010"), ("SELL", "50310"), ("SELL", "900000"),
                        ("BUY", "45000"), ("SELL", "45000")):  # inside the spread too
        res = build_draft(FormInput(side=side, amount="0.01", price=price), ctx())
        assert res.ok, (side, price, res.errors)
        assert not res.preview.warnings, (side, price, res.preview.warnings)


def test_crossing_within_the_threshold_is_not_flagged() -> None:
    res = build_draft(FormInput(side="BUY", amount="0.01", price="49000"), ctx())
    assert not res.preview.guard  # 8.9 % through the ask: under the default 10 %
    res = build_draft(FormInput(side="BUY", amount="0.01", price="1346000"), ctx())
    assert res.preview.needs_typed_confirm  # the 2,884 % off-market buy
    assert "would cross the book" in res.preview.guard[0]


def test_without_a_book_last_price_is_the_reference() -> None:
    res = build_draft(FormInput(side="BUY", amount="0.01", price="30000"), ctx(book=None))
    assert not res.preview.warnings
    res = build_draft(FormInput(side="BUY", amount="0.01", price="60000"), ctx(book=None))
    assert res.preview.guard == ("Price is 33.3% above last: it would cross the book",)


def test_side_effect_needs_margin_and_auto_borrow_skips_balance() -> None:
    res = build_draft(FormInput(amount="0.01", price="45000", side_effect="AUTO_BORROW"), ctx())
    assert SIDE_EFFECT in res.errors
    res = build_draft(FormInput(amount="10", price="45000", side_effect="AUTO_BORROW",
                                wallet_type="CROSS_MARGIN"), ctx())
    assert res.ok and res.draft is not None
    assert res.draft.wallet_type is WalletType.CROSS_MARGIN


def test_server_errors_map_to_fields() -> None:
    assert form_errors_from_server({"base_amount": "too small", "limit_price": "bad",
                                    "weird": "x"}) == {
        "amount": "too small", "price": "bad", "general": "x"}


def test_summary_round_trip() -> None:
    res = build_draft(FormInput(side="SELL", order_type="STOP_LIMIT", amount="0.5",
                                price="40000", stop_price="40100", stop_operator="LTE",
                                tif="IOC"), ctx())
    assert res.draft is not None
    assert OrderDraft.from_summary(res.draft.summary()) == res.draft
    assert res.draft.describe(PAIR).startswith("SELL 0.500000 BTC at 40000.00 USDT")


def test_walk_book_short() -> None:
    fill = walk_book(BOOK, OrderSide.ASK, base=Decimal("5"))
    assert fill.short and fill.base == Decimal("3")


_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A-?[0-9]{0,20}([.,][0-9]{0,12})?(e[0-9]+)?\Z"),
    st.sampled_from(["", " ", "0", "0.0", ".", "1.", "inf", "NaN", "1e400", "٣", "１２"]),
)
_WIRE_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    side=st.sampled_from(["BUY", "SELL", "BID", "ASK", "x"]),
    otype=st.sampled_from([t.value for t in OrderType] + ["nope"]),
    amount=_TEXT, price=_TEXT, stop=_TEXT,
    amount_in=st.sampled_from(["base", "quote"]),
    op=st.sampled_from(["", "GTE", "LTE", "??"]),
    tif=st.sampled_from(["GTC", "IOC", "FOK", "AON", "", "X"]),
)
def test_any_text_never_crashes_and_drafts_are_well_formed(
    side: str, otype: str, amount: str, price: str, stop: str, amount_in: str, op: str,
    tif: str,
) -> None:
    form = FormInput(side=side, order_type=otype, amount=amount, price=price, stop_price=stop,
                     amount_in=amount_in, stop_operator=op, tif=tif)
    res = build_draft(form, ctx(balances=None))
    if res.draft is None:
        assert res.errors
        return
    d = res.draft
    for name, places in (("base_amount", PAIR.amount_precision),
                         ("quote_amount", PAIR.price_precision),
                         ("limit_price", PAIR.price_precision),
                         ("stop_price", PAIR.price_precision)):
        value = getattr(d, name)
        if value is None:
            continue
        assert value > 0 and value.is_finite()
        assert -value.as_tuple().exponent <= places
        assert _WIRE_NUMBER.match(f"{value:f}")
    if d.base_amount is not None:
        assert PAIR.minimum_order_size <= d.base_amount <= PAIR.maximum_order_size
    assert (d.base_amount is None) != (d.quote_amount is None)
    if d.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        assert d.limit_price is not None and d.tif is not None
        assert d.base_amount is not None
        assert d.base_amount * d.limit_price >= PAIR.minimum_order_value
    if d.order_type in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET):
        assert d.stop_price is not None and d.stop_operator is not None
