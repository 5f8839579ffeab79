"""Margin: transfers, borrow limits, interest, repay order, liquidation, close."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock, fund

D = Decimal
ISO = "ISOLATED_MARGIN"
CROSS = "CROSS_MARGIN"


def bal(ex: Exchange, account: int, currency: str, wallet_type: str) -> Decimal:
    """A wallet's balance (0 when absent)."""
    for row in ex.balances(account):
        if row["currency"] == currency and row["wallet_type"] == wallet_type:
            return row["balance"]
    return D(0)


def test_transfer_add_sub(ex: Exchange) -> None:
    a = fund(ex, USDT="1000")
    tid = ex.margin_transfer(a, CROSS, "ADD", D("400"), "USDT")
    assert isinstance(tid, int)
    assert bal(ex, a, "USDT", "SPOT") == 600 and bal(ex, a, "USDT", CROSS) == 400
    ex.margin_transfer(a, CROSS, "SUB", D("100"), "USDT", note="back")
    assert bal(ex, a, "USDT", CROSS) == 300
    rows = ex.margin_transfers(a)
    assert [r["direction"] for r in rows] == ["SUB", "ADD"] and rows[0]["note"] == "back"
    with pytest.raises(SimError) as info:
        ex.margin_transfer(a, CROSS, "ADD", D("10000"), "USDT")
    assert "amount" in info.value.form_errors
    with pytest.raises(SimError):
        ex.margin_transfer(a, ISO, "ADD", D("1"), "USDT")  # isolated needs a pair
    with pytest.raises(SimError):
        ex.margin_transfer(a, ISO, "ADD", D("1"), "USDT", pair="ETH_BTC")  # not its currency
    with pytest.raises(SimError):
        ex.margin_transfer(a, "SPOT", "ADD", D("1"), "USDT")


def test_borrow_limits(ex: Exchange) -> None:
    a = fund(ex, USDT="1000")
    ex.margin_transfer(a, CROSS, "ADD", D("1000"), "USDT")
    # Cross is 5x: debt up to 4 x equity.
    bid = ex.borrow(a, D("4000"), "USDT", CROSS)
    assert isinstance(bid, int)
    assert ex.margin_level(a, CROSS) == D("1.25")
    with pytest.raises(SimError) as info:
        ex.borrow(a, D("1"), "USDT", CROSS)
    assert "borrow" in info.value.form_errors
    with pytest.raises(SimError):  # taking equity out past the limit
        ex.margin_transfer(a, CROSS, "SUB", D("10"), "USDT")
    b = fund(ex, USDT="1000")
    ex.margin_transfer(b, ISO, "ADD", D("1000"), "USDT", pair="BTC_USDT")
    ex.borrow(b, D("9000"), "USDT", ISO, pair="BTC_USDT")  # isolated is 10x
    with pytest.raises(SimError):
        ex.borrow(b, D("1"), "USDT", ISO, pair="BTC_USDT")
    loans = ex.loans(b, isolated_margin=True)
    assert loans == [{"id": loans[0]["id"], "account_id": b, "borrowed": D("9000"),
                      "interest": D(0), "currency": "USDT", "wallet_type": ISO,
                      "pair": "BTC_USDT"}]
    assert ex.loans(b, cross_margin=True) == []


def test_interest_and_repay_order(ex: Exchange, clock: FakeClock) -> None:
    a = fund(ex, USDT="2000")
    ex.margin_transfer(a, CROSS, "ADD", D("1000"), "USDT")
    ex.borrow(a, D("1000"), "USDT", CROSS)
    ex.step(clock.advance(1800))
    assert ex.interests(a) == []
    ex.step(clock.advance(1800 * 5))  # three full hours since the borrow
    charges = ex.interests(a)
    assert len(charges) == 3
    assert all(c["interest_accrued"] == D("0.0125") for c in charges)
    assert ex.loans(a)[0]["interest"] == D("0.0375")
    rid = ex.repay(a, D("100"), "USDT", CROSS)
    assert isinstance(rid, list) and len(rid) == 1
    repay = ex.repays(a)[0]
    assert repay["interest_amount"] == D("0.0375")
    assert repay["principal_amount"] == D("100") - D("0.0375")
    assert ex.loans(a)[0]["borrowed"] == D("1000") - repay["principal_amount"]
    ex.repay(a, D("5000"), "USDT", CROSS)  # more than owed: capped
    assert ex.loans(a) == []
    assert ex.borrows(a)[0]["status"] == "CLOSED"
    with pytest.raises(SimError):
        ex.repay(a, D("1"), "USDT", CROSS)


def test_liquidation_when_price_falls(ex: Exchange) -> None:
    totals = ex.totals()
    a = fund(ex, USDT="2000")
    deposit = D("2000")
    ex.margin_transfer(a, ISO, "ADD", D("1000"), "USDT", pair="BTC_USDT")
    ex.borrow(a, D("5000"), "USDT", ISO, pair="BTC_USDT")
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                       "wallet_type": ISO, "quote_amount": D("5900")})
    level = ex.margin_level(a, ISO, "BTC_USDT")
    assert level is not None and level > D("1.1")
    ex.move_market("BTC_USDT", D("0.95"))
    assert ex.liquidations(a) == []  # level ~1.14: still above maintenance
    ex.move_market("BTC_USDT", D("0.95"))
    liquidations = ex.liquidations(a)
    assert len(liquidations) == 1
    liq = liquidations[0]
    assert liq["currency"] == "USDT" and liq["amount"] >= D("5000")
    assert liq["margin_level"] < D("1.1") and liq["repay_created"]
    assert ex.loans(a) == [] and ex.margin_level(a, ISO, "BTC_USDT") is None
    # Funds are conserved across the whole liquidation (plus the deposit).
    expected = dict(totals)
    expected["USDT"] += deposit
    assert ex.totals() == expected


def test_auto_borrow_order(ex: Exchange) -> None:
    a = fund(ex, USDT="1000")
    ex.margin_transfer(a, CROSS, "ADD", D("500"), "USDT")
    with pytest.raises(SimError):
        ex.place_order(a, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                           "wallet_type": CROSS, "quote_amount": D("1000")})
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                       "wallet_type": CROSS, "quote_amount": D("1000"),
                       "side_effect": "AUTO_BORROW"})
    borrows = ex.borrows(a)
    assert len(borrows) == 1 and borrows[0]["type"] == "LOAN_AUTO"
    assert borrows[0]["borrowed"] == D("500")
    assert bal(ex, a, "BTC", CROSS) > 0


def test_close_position(ex: Exchange) -> None:
    a = fund(ex, USDT="1000")
    ex.margin_transfer(a, CROSS, "ADD", D("1000"), "USDT")
    ex.borrow(a, D("2000"), "USDT", CROSS)
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                       "wallet_type": CROSS, "quote_amount": D("2900")})
    ex.place_order(a, {"pair": "ETH_USDT", "order_type": "LIMIT", "order_side": "BID",
                       "wallet_type": CROSS, "base_amount": D("0.01"),
                       "limit_price": D("1000")})
    ids = ex.close_position(a, CROSS)
    assert ids and ex.loans(a) == []
    assert ex.orders(a, open_only=True) == []
    assert all(r["reserve"] == 0 for r in ex.balances(a))


def test_auto_repay_order(ex: Exchange) -> None:
    a = fund(ex, USDT="1000", BTC="0.1")
    ex.margin_transfer(a, CROSS, "ADD", D("0.1"), "BTC")
    ex.borrow(a, D("500"), "USDT", CROSS)
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "ASK",
                       "wallet_type": CROSS, "base_amount": D("0.01"),
                       "side_effect": "AUTO_REPLAY"})
    repays = ex.repays(a)
    assert repays and repays[0]["type"] == "LOAN_AUTO"
    # The 500 borrowed plus the sale's proceeds cover the whole loan: all repaid.
    assert ex.loans(a) == []
