"""The live exchange's quirks as the paper mirror meets them (``alp-wire-notes.md``): dead
pairs quote zero or crossed stub prices, books come 20 levels a side, prints can carry
zero prices. Mirrored into the paper exchange, none of it may trade the market with itself
or fill a paper order at a price nobody traded."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from alp_tui.api.enums import OrderType
from alp_tui.paper.mirror import BookMirror, Print, clean_book
from alp_tui.sim.catalog import PAIR_BY_NAME
from alp_tui.sim.exchange import Exchange

PAIR = "BTC_USDT"
prices = st.decimals(min_value=-5, max_value=100, places=2, allow_nan=False,
                     allow_infinity=False)
levels = st.lists(st.tuples(prices, prices), max_size=25)


@given(levels, levels)
def test_a_cleaned_book_is_never_crossed_and_holds_only_real_levels(bids: list, asks: list) -> None:
    clean_bids, clean_asks = clean_book(bids, asks)
    for side in (clean_bids, clean_asks):
        assert all(price > 0 and amount > 0 for price, amount in side)
        assert len({price for price, _ in side}) == len(side)
    assert [p for p, _ in clean_bids] == sorted((p for p, _ in clean_bids), reverse=True)
    assert [p for p, _ in clean_asks] == sorted(p for p, _ in clean_asks)
    if clean_bids and clean_asks:
        assert clean_bids[0][0] < clean_asks[0][0]


def _paper_exchange() -> tuple[Exchange, int]:
    ex = Exchange(pairs=(PAIR_BY_NAME[PAIR],), market_life=False)
    user = ex.create_account(email="paper@local", name="paper",
                             funds={"USDT": D("100000"), "BTC": D("1")})
    return ex, user


def test_a_dead_pairs_stub_quotes_mirror_as_no_market() -> None:
    ex, _ = _paper_exchange()
    mirror = BookMirror(ex)
    # a dead pair on the live exchange: zero prices and a stub bid above the stub ask
    mirror.apply_book(PAIR, [(D("0"), D("1")), (D("5"), D("0.1"))],
                      [(D("0"), D("2")), (D("4"), D("0.1"))])
    book = ex.orderbook(PAIR)
    assert book["buy"] == [] and [lv["price"] for lv in book["sell"]] == [D("4")]


def test_twenty_levels_a_side_mirror_one_to_one_and_a_zero_print_fills_nothing() -> None:
    ex, user = _paper_exchange()
    mirror = BookMirror(ex)
    bids = [(D(90000 - 10 * i), D("0.01")) for i in range(20)]
    asks = [(D(90010 + 10 * i), D("0.02")) for i in range(20)]
    mirror.apply_book(PAIR, bids, asks)
    book = ex.orderbook(PAIR)
    assert len(book["buy"]) == 20 and len(book["sell"]) == 20
    ex.place_order(user, {"pair": PAIR, "order_type": OrderType.LIMIT, "order_side": "BID",
                          "base_amount": D("0.5"), "limit_price": D("89000")})
    mirror.apply_prints(PAIR, [Print(1, D("89500"), D("0.1"))])  # notes where the tape is
    mirror.apply_prints(PAIR, [Print(2, D("0"), D("5")), Print(3, D("89500"), D("0.1"))])
    resting = [o for o in ex.books[PAIR].orders.values()
               if o.account_id == user and o.is_bid]
    assert len(resting) == 1 and resting[0].remaining == D("0.5")  # nobody sold at 89,000
