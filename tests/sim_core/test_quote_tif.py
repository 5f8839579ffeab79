"""FOK / AON on market orders sized by ``quote_amount``: spent whole at once, or not at
all (the order is cancelled untouched, nothing trades, nothing stays held)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock, fund
from .test_trading import limit, order, wallet

D = Decimal


def market(ex: Exchange, account: int, side: str, quote: str, **extra: object) -> dict:
    """Place a MARKET order by quote_amount; its row."""
    oid = ex.place_order(account, {"pair": "BTC_USDT", "order_type": "MARKET",
                                   "order_side": side, "quote_amount": D(quote),
                                   **extra})[0]
    return order(ex, account, oid)


@pytest.fixture
def book(quiet: Exchange) -> Exchange:
    """0.1 BTC offered at 50000 and 0.1 at 51000; 0.1 bid at 49000 and 0.1 at 48000."""
    maker = fund(quiet, BTC="1", USDT="100000")
    limit(quiet, maker, "ASK", "0.1", "50000")
    limit(quiet, maker, "ASK", "0.1", "51000")
    limit(quiet, maker, "BID", "0.1", "49000")
    limit(quiet, maker, "BID", "0.1", "48000")
    return quiet


@pytest.mark.parametrize("tif", ["FOK", "AON"])
@pytest.mark.parametrize(("side", "quote"), [("BID", "10200"), ("ASK", "9800")])
def test_more_than_the_book_holds_is_cancelled_untouched(book: Exchange, tif: str,
                                                        side: str, quote: str) -> None:
    taker = fund(book, USDT="100000", BTC="1")
    before = book.orderbook("BTC_USDT")
    o = market(book, taker, side, quote, tif=tif)
    assert o["status"] == "CANCELLED"
    assert o["amount_filled"] == 0 and o["value_filled"] == 0
    assert book.orderbook("BTC_USDT") == before  # nothing traded
    assert wallet(book, taker, "USDT")["balance"] == D("100000")
    assert wallet(book, taker, "BTC")["balance"] == D("1")
    assert wallet(book, taker, "USDT")["reserve"] == 0
    assert wallet(book, taker, "BTC")["reserve"] == 0


@pytest.mark.parametrize("tif", ["FOK", "AON"])
def test_a_buy_the_book_covers_fills_whole(book: Exchange, tif: str) -> None:
    taker = fund(book, USDT="100000")
    o = market(book, taker, "BID", "10100", tif=tif)  # 0.1 @ 50000 + 0.1 @ 51000
    assert o["status"] == "FILLED"
    assert o["value_filled"] == D("10100") and o["amount_filled"] == D("0.2")


@pytest.mark.parametrize("tif", ["FOK", "AON"])
def test_a_sell_the_book_covers_fills_whole(book: Exchange, tif: str) -> None:
    taker = fund(book, BTC="1")
    o = market(book, taker, "ASK", "9700", tif=tif)  # 0.1 @ 49000 + 0.1 @ 48000
    assert o["status"] == "FILLED"
    assert o["value_filled"] == D("9700") and o["amount_filled"] == D("0.2")


def test_dust_below_one_amount_step_still_counts_as_whole(book: Exchange) -> None:
    # 5000.03 USDT buys 0.1 BTC at 50000 and leaves 0.03 USDT, less than one step
    # (0.000001 BTC = 0.051 USDT) at the next price: as filled as it can be.
    taker = fund(book, USDT="100000")
    o = market(book, taker, "BID", "5000.03", tif="FOK")
    assert o["status"] == "FILLED" and o["amount_filled"] == D("0.1")


def test_without_fok_the_same_order_takes_what_is_there(book: Exchange) -> None:
    taker = fund(book, USDT="100000")
    o = market(book, taker, "BID", "10200")
    # A by-quote market order's amount is what it got, so it reads FILLED.
    assert o["status"] == "FILLED" and o["amount_filled"] == D("0.2")
    assert o["value_filled"] == D("10100")


def test_an_all_or_none_maker_too_big_to_take_does_not_count(quiet: Exchange) -> None:
    maker = fund(quiet, BTC="1")
    limit(quiet, maker, "ASK", "0.5", "50000", tif="AON")  # rests whole, taken only whole
    limit(quiet, maker, "ASK", "0.01", "50000")
    taker = fund(quiet, USDT="100000")
    o = market(quiet, taker, "BID", "1000", tif="FOK")  # 0.02 wanted, 0.01 takeable
    assert o["status"] == "CANCELLED" and o["amount_filled"] == 0


def test_a_triggered_stop_market_by_quote_honours_fok(book: Exchange) -> None:
    taker = fund(book, USDT="100000")
    oid = book.place_order(taker, {"pair": "BTC_USDT", "order_type": "STOP_MARKET",
                                   "order_side": "BID", "quote_amount": D("20000"),
                                   "stop_price": D("1"), "stop_operator": "GTE",
                                   "tif": "FOK"})[0]
    o = order(book, taker, oid)
    assert o["status"] == "CANCELLED" and o["amount_filled"] == 0
    assert wallet(book, taker, "USDT") ["reserve"] == 0


levels_st = st.lists(st.tuples(st.integers(min_value=49_000, max_value=51_000),
                               st.integers(min_value=1, max_value=50),
                               st.booleans()), min_size=0, max_size=6)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levels=levels_st, side=st.sampled_from(["BID", "ASK"]),
       quote=st.integers(min_value=20, max_value=300_000), tif=st.sampled_from(["FOK", "AON"]))
def test_fok_by_quote_spends_all_or_nothing(levels: list[tuple[int, int, bool]], side: str,
                                            quote: int, tif: str) -> None:
    ex = Exchange(seed=1, clock=FakeClock(), market_life=False)
    maker = fund(ex, BTC="100", USDT="10000000")
    for price, size, aon in levels:
        # Makers on the side the taker takes from; some all-or-none.
        limit(ex, maker, "ASK" if side == "BID" else "BID", str(D(size) / 100), str(price),
              tif="AON" if aon else "GTC")
    taker = fund(ex, USDT="1000000", BTC="100")
    before = {c: wallet(ex, taker, c)["balance"] for c in ("BTC", "USDT")}
    try:
        o = market(ex, taker, side, str(quote), tif=tif)
    except Exception as exc:  # refused up front (nothing to sell into): nothing moved
        assert "quote_amount" in str(exc)
        o = None
    after = {c: wallet(ex, taker, c)["balance"] for c in ("BTC", "USDT")}
    if o is None or o["amount_filled"] == 0:
        assert after == before
    else:
        # Spent whole: what is left could not buy one more amount step at any price paid.
        assert o["status"] == "FILLED"
        assert D(quote) - o["value_filled"] < D("51000") * D("0.000001")
    assert wallet(ex, taker, "USDT")["reserve"] == 0
    assert wallet(ex, taker, "BTC")["reserve"] == 0
