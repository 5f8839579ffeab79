"""Every endpoint answers in a shape the client's models accept."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

from alp_tui.api import models
from alp_tui.api.enums import ChartInterval
from alp_tui.sim.exchange import Exchange


def roundtrip(value: object) -> object:
    """Encode like the HTTP layer (Decimal as JSON numbers) and decode like the client."""
    text = json.dumps(value, default=lambda d: float(d) if False else str(d))
    return json.loads(text)


def check(model: type, rows: object) -> None:
    """Validate a row or a list of rows against a response model."""
    if isinstance(rows, list):
        for row in rows:
            model.model_validate(row)
    else:
        model.model_validate(rows)


def test_public_shapes(ex: Exchange) -> None:
    ex.step()
    check(models.Currency, ex.currencies())
    pairs = ex.pairs()
    assert len(pairs) >= 20
    check(models.PairInfo, pairs)
    assert {p["name"] for p in ex.pairs(currency2="USDC")} >= {"BTC_USDC", "ETH_USDC"}
    one = ex.ticker("BTC_USDT")
    assert isinstance(one, dict)
    check(models.Ticker, one)
    assert one["diff"] == one["last"] - one["open"]
    all_tickers = ex.ticker()
    assert isinstance(all_tickers, list) and len(all_tickers) == len(pairs)
    check(models.Ticker, all_tickers)
    book = ex.orderbook("BTC_USDT")
    check(models.OrderBook, book)
    assert len(book["buy"]) == 40 and len(book["sell"]) == 40
    buys = [row["price"] for row in book["buy"]]
    sells = [row["price"] for row in book["sell"]]
    assert buys == sorted(buys, reverse=True) and sells == sorted(sells)
    assert buys[0] < sells[0]
    small = ex.orderbook("BTC_USDT", limit_buy=5, limit_sell=3, group=True)
    assert len(small["buy"]) == 5 and len(small["sell"]) == 3
    for interval in ChartInterval:
        candles = ex.charts("ETH_USDT", interval)
        assert len(candles) >= 300
        check(models.Candle, candles)
        times = [c["time"] for c in candles]
        assert times == sorted(times)
        assert all(b - a == interval.seconds for a, b in itertools.pairwise(times))
    assert len(ex.charts("ETH_USDT", ChartInterval.HOUR, limit=10)) == 10
    trades = ex.trades("BTC_USDT", limit=5)
    assert 0 < len(trades) <= 5
    check(models.PublicTrade, trades)
    check(models.ServerTime, ex.server_time())
    rates = ex.currency_rates()
    assert rates["USDT"] == "1.00000000" and Decimal(rates["BTC"]) > 10000


def test_private_shapes(ex: Exchange) -> None:
    aid = ex.create_demo_account("key", "secret")
    assert ex.create_demo_account("key", "secret") == aid
    key = ex.find_api_key("key")
    assert key is not None and key.can_trade and key.can_withdraw and key.can_margin
    assert ex.find_api_key("nope") is None
    check(models.Account, ex.accounts(aid))
    check(models.Balance, ex.balances(aid))
    check(models.FeeInfo, ex.fees(aid))
    ids = ex.place_order(aid, {"pair": "BTC_USDT", "order_type": "LIMIT",
                               "order_side": "BID", "base_amount": Decimal("0.01"),
                               "limit_price": Decimal("50000"), "client_order_id": "abc"})
    assert isinstance(ids, list) and len(ids) == 1
    ex.place_order(aid, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                         "quote_amount": Decimal("100")})
    orders = ex.orders(aid)
    check(models.Order, orders)
    assert any(o["client_order_id"] == "abc" for o in orders)
    check(models.AccountTrade, ex.account_trades(aid))
    check(models.Activity, ex.activity(aid))
    check(models.DepositMethod, ex.deposit_methods(aid, "USDT"))
    check(models.Deposit, ex.deposits(aid))
    check(models.WithdrawMethod, ex.withdraw_methods(aid, "BTC"))
    check(models.Withdrawal, ex.withdrawals(aid))
    result = ex.cancel_orders(aid, order_ids=[ids[0], 999999])
    assert result == {str(ids[0]): "CANCELLED", "999999": "UNDEFINED"}
    check(models.Loan, ex.loans(aid, cross_margin=True))
    for method in (ex.margin_transfers, ex.borrows, ex.repays, ex.interests,
                   ex.liquidations):
        assert isinstance(method(aid), list)


def test_subaccounts(quiet: Exchange) -> None:
    parent = quiet.create_account(email="p@t", name="parent")
    child = quiet.create_account(email="c@t", name="child", parent_id=parent)
    assert [a["id"] for a in quiet.accounts(parent)] == [parent]
    rows = quiet.accounts(parent, include_subaccounts=True)
    assert [a["id"] for a in rows] == [parent, child] and rows[1]["parent_id"] == parent
    try:
        quiet.create_account(email="x@t", name="x", parent_id=424242)
    except Exception as exc:
        assert getattr(exc, "status", None) == 404
    else:
        raise AssertionError("orphan sub-account accepted")
