"""The simulator hooks paper mode builds on: a listing other than the catalog's, a last
price set from outside, and driver calls run as one exchange call."""

from __future__ import annotations

from decimal import Decimal as D

from alp_tui.api.enums import OrderType, StopOperator
from alp_tui.sim.catalog import CurrencySpec, FeeEntry, PairSpec
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.ledger import MAKER_ID

TON = PairSpec("TON_USDT", "TON", "USDT", 2, 4, D("0.1"), D("100000"), D("1"), D("5.1234"))
LISTING = {
    "pairs": [TON],
    "currencies": [CurrencySpec("USDT", "T", "Tether"), CurrencySpec("TON", "T", "Toncoin")],
    "fee_schedule": [FeeEntry(D("0.003"), D("0.0005"), 0)],
}


def test_an_exchange_lists_what_it_is_given_and_charges_its_fees() -> None:
    ex = Exchange(market_life=False, **LISTING)
    try:
        assert [p["name"] for p in ex.pairs()] == ["TON_USDT"]
        assert {c["short_name"] for c in ex.currencies()} == {"USDT", "TON"}
        acct = ex.create_account(email="a@b", name="a", funds={"USDT": D("1000")})
        assert ex.fees(acct)[0]["taker_fee_rate"] == D("0.003")

        def quote() -> None:
            ex.system_order(MAKER_ID, "TON_USDT", False, OrderType.LIMIT, D("10"), D("5.2"),
                            ex._now())
        ex.transact(quote)
        ex.place_order(acct, {"pair": "TON_USDT", "order_type": OrderType.MARKET,
                              "order_side": "BID", "base_amount": D("10")})
        balances = {w["currency"]: w["balance"] for w in ex.balances(acct)}
        assert balances["USDT"] == D("1000") - D("52")
        assert balances["TON"] == D("10") - D("0.03")  # taker 0.3 % in what it received
    finally:
        ex.close()


def test_a_price_from_outside_triggers_stops_without_trading() -> None:
    ex = Exchange(market_life=False, **LISTING)
    try:
        acct = ex.create_account(email="a@b", name="a", funds={"TON": D("100")})
        [oid] = ex.place_order(acct, {
            "pair": "TON_USDT", "order_type": OrderType.STOP_LIMIT, "order_side": "ASK",
            "base_amount": D("1"), "limit_price": D("4.5"), "stop_price": D("4.9"),
            "stop_operator": StopOperator.LTE})
        ex.apply_market_price("TON_USDT", D("5.0"))
        assert ex.orders(acct)[0]["status"] == "PENDING"
        ex.apply_market_price("TON_USDT", D("0"))  # a pair without trades: ignored
        assert ex.last_price("TON_USDT") == D("5.0")
        ex.apply_market_price("TON_USDT", D("4.8"))
        order = next(o for o in ex.orders(acct) if o["id"] == oid)
        assert order["status"] == "OPEN"  # triggered; rests at its limit, nothing to match
        assert ex.trades("TON_USDT") == []
    finally:
        ex.close()
