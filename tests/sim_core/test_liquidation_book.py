"""A liquidation sells through the book (walks the bids / asks best first), pays the 2 %
fee and the taker fee, and records what the book raised, what the house took over and the
shortfall (bad debt) as such."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock, fund

D = Decimal
ISO = "ISOLATED_MARGIN"
PAIR = "BTC_USDT"


def bal(ex: Exchange, account: int, currency: str, wallet_type: str = ISO) -> Decimal:
    """A wallet's balance (0 when absent)."""
    return sum((r["balance"] for r in ex.balances(account)
                if r["currency"] == currency and r["wallet_type"] == wallet_type), D(0))


def long_position(ex: Exchange, borrow: str, buy: str = "0.1") -> tuple[int, int]:
    """(maker, trader): the trader holds ``buy`` BTC bought at 40000 (less the taker fee)
    in an isolated wallet, 1000 USDT of it their own and ``borrow`` USDT borrowed."""
    maker = fund(ex, BTC="10", USDT="10000000")
    ex.place_order(maker, {"pair": PAIR, "order_type": "LIMIT", "order_side": "ASK",
                           "base_amount": D(buy), "limit_price": D("40000")})
    trader = fund(ex, USDT="1000")
    ex.margin_transfer(trader, ISO, "ADD", D("1000"), "USDT", pair=PAIR)
    ex.borrow(trader, D(borrow), "USDT", ISO, pair=PAIR)
    ex.place_order(trader, {"pair": PAIR, "order_type": "MARKET", "order_side": "BID",
                            "wallet_type": ISO, "base_amount": D(buy)})
    return maker, trader


def bids(ex: Exchange, maker: int, *levels: tuple[str, str]) -> None:
    """Rest the maker's bids: (amount, price) each."""
    for amount, price in levels:
        ex.place_order(maker, {"pair": PAIR, "order_type": "LIMIT", "order_side": "BID",
                               "base_amount": D(amount), "limit_price": D(price)})


def drop_to(ex: Exchange, price: str) -> None:
    """The last price falls to ``price`` without trading; the margin check runs."""
    ex.apply_market_price(PAIR, D(price))
    ex.step()


def test_the_debt_is_met_by_selling_into_the_bids(quiet: Exchange) -> None:
    maker, trader = long_position(quiet, "3000")
    assert bal(quiet, trader, "BTC") == D("0.0998")  # 0.1 less the 0.2 % taker fee
    bids(quiet, maker, ("0.05", "33000"), ("0.05", "32000"))
    drop_to(quiet, "33000")  # level 0.0998 × 33000 / 3000 = 1.0978 < 1.1
    (liq,) = quiet.liquidations(trader)
    # 3000 + 2 % = 3060 net after the 0.2 % taker fee: 0.05 @ 33000 then 0.044255 @ 32000.
    sold = sorted((t for t in quiet.account_trades(trader) if t["side"] == "ASK"),
                  key=lambda t: t["id"])
    assert [(t["price"], t["amount"]) for t in sold] == [(D("33000"), D("0.05")),
                                                         (D("32000"), D("0.044255"))]
    assert liq["order_created"] == [sold[0]["order_id"]]
    assert liq["book_amount"] == D("3060.02768") == liq["fund_amount"]
    assert liq["house_amount"] == 0 and liq["shortfall"] == 0
    assert quiet.loans(trader) == []
    assert bal(quiet, trader, "BTC") == D("0.005545")
    assert bal(quiet, trader, "USDT") == D("0.02768")  # 3060.02768 - 3000 - 60 fee
    book = quiet.orderbook(PAIR, group=True)
    assert [(r["price"], r["amount"]) for r in book["buy"]] == [(D("32000"), D("0.005745"))]
    order = next(o for o in quiet.orders(trader) if o["id"] == liq["order_created"][0])
    assert order["type"] == "MARKET" and order["wallet_type"] == ISO
    assert order["status"] == "FILLED"


def test_what_the_book_cannot_take_the_house_takes_then_the_shortfall(quiet: Exchange
                                                                      ) -> None:
    maker, trader = long_position(quiet, "3000")
    bids(quiet, maker, ("0.03", "25000"))
    totals = quiet.totals()
    drop_to(quiet, "25000")  # 0.0998 × 25000 = 2495 < 3000 owed: bankrupt
    (liq,) = quiet.liquidations(trader)
    assert liq["book_amount"] == D("748.5")  # 0.03 @ 25000 less the taker fee
    assert liq["house_amount"] == D("1745")  # the other 0.0698 BTC at 25000
    assert liq["fund_amount"] == D("2493.5")
    # 2493.5 / 1.02 covers 2444.60784313 of the 3000 owed; the rest is bad debt.
    assert liq["shortfall"] == D("3000") - D("2444.60784313")
    assert bal(quiet, trader, "BTC") == 0 and bal(quiet, trader, "USDT") == 0
    assert quiet.loans(trader) == []
    assert quiet.totals() == totals  # the house pays; nothing appears or vanishes


def test_a_short_position_buys_back_from_the_asks(quiet: Exchange) -> None:
    quiet.apply_market_price(PAIR, D("40000"))
    maker = fund(quiet, BTC="10", USDT="10000000")
    quiet.place_order(maker, {"pair": PAIR, "order_type": "LIMIT", "order_side": "BID",
                              "base_amount": D("0.1"), "limit_price": D("40000")})
    trader = fund(quiet, USDT="1000")
    quiet.margin_transfer(trader, ISO, "ADD", D("1000"), "USDT", pair=PAIR)
    quiet.borrow(trader, D("0.1"), "BTC", ISO, pair=PAIR)
    quiet.place_order(trader, {"pair": PAIR, "order_type": "MARKET", "order_side": "ASK",
                               "wallet_type": ISO, "base_amount": D("0.1")})
    for amount, price in (("0.05", "46000"), ("0.1", "47000")):
        quiet.place_order(maker, {"pair": PAIR, "order_type": "LIMIT", "order_side": "ASK",
                                  "base_amount": D(amount), "limit_price": D(price)})
    drop_to(quiet, "46000")  # the price rises: 4992 USDT / 4600 owed = 1.085
    (liq,) = quiet.liquidations(trader)
    assert liq["currency"] == "BTC" and liq["shortfall"] == 0
    bought = sorted((t for t in quiet.account_trades(trader) if t["side"] == "BID"),
                    key=lambda t: t["id"])
    assert [t["price"] for t in bought] == [D("46000"), D("47000")]  # best ask first
    assert quiet.loans(trader) == []


levels_st = st.lists(st.tuples(st.integers(min_value=1, max_value=80),
                               st.integers(min_value=20_000, max_value=39_000)),
                     max_size=6)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(borrow=st.integers(min_value=1000, max_value=8000), levels=levels_st,
       drop=st.integers(min_value=40, max_value=99))
def test_liquidation_properties(borrow: int, levels: list[tuple[int, int]],
                                drop: int) -> None:
    ex = Exchange(seed=1, clock=FakeClock(), market_life=False)
    buy = (D(1000 + borrow) * D("0.99") / 40000).quantize(D("0.0001"), ROUND_DOWN)
    maker, trader = long_position(ex, str(borrow), buy=str(buy))
    bids(ex, maker, *((str(D(size) / 1000), str(price)) for size, price in levels))
    before_book = [(r["price"], r["amount"]) for r in ex.orderbook(PAIR, group=True)["buy"]]
    totals = ex.totals()
    btc, usdt = bal(ex, trader, "BTC"), bal(ex, trader, "USDT")
    # A price at which the level is under 1.1 (liquidation certain).
    price = ((D(borrow) * D("1.1") - usdt) / btc * drop / 100).quantize(D("0.01"))
    drop_to(ex, str(price))
    liqs: list[dict[str, Any]] = ex.liquidations(trader)
    assert len(liqs) == 1
    liq = liqs[0]
    # Always: the loan is gone, money is conserved, nothing stays reserved.
    assert ex.loans(trader) == []
    assert ex.totals() == totals
    assert all(r["reserve"] == 0 for r in ex.balances(trader))
    assert liq["fund_amount"] == liq["book_amount"] + liq["house_amount"]
    assert liq["shortfall"] >= 0
    # The sale walked the bids best first: every price it got is at least any bid left.
    sold = [t for t in ex.account_trades(trader) if t["side"] == "ASK"]
    left = [r["price"] for r in ex.orderbook(PAIR, group=True)["buy"]]
    if sold:
        assert min(t["price"] for t in sold) >= max(left, default=D(0))
        assert {t["price"] for t in sold} <= {p for p, _ in before_book}
        assert liq["order_created"] == [sold[0]["order_id"]]
    else:
        assert liq["book_amount"] == 0 and left == [p for p, _ in before_book]
    # The house took over only what the book could not absorb, at the last price.
    if liq["house_amount"] > 0:
        assert not left or bal(ex, trader, "BTC") == 0
    # Bad debt only once every asset is gone.
    if liq["shortfall"] > 0:
        assert bal(ex, trader, "BTC") < D("0.000001")
        assert bal(ex, trader, "USDT") == 0


def test_closing_a_position_sells_through_the_book_without_the_fee(quiet: Exchange) -> None:
    maker, trader = long_position(quiet, "3000")
    bids(quiet, maker, ("0.05", "39000"), ("0.05", "38000"))
    assert quiet.close_position(trader, ISO, pair=PAIR)
    sold = sorted((t for t in quiet.account_trades(trader) if t["side"] == "ASK"),
                  key=lambda t: t["id"])
    assert sold and sold[0]["price"] == D("39000")  # the best bid first
    assert quiet.loans(trader) == [] and quiet.liquidations(trader) == []
    got = sum((t["amount"] * t["price"] - t["fee_amount"] for t in sold), D(0))
    # The debt is paid from what the sale brought; no liquidation fee is taken.
    assert bal(quiet, trader, "USDT") == got - D("3000")
