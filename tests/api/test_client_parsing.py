"""Every example response of the reference, and the later-edition shapes of the wire notes,
parses through the client into typed models with exact Decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alp_api_helpers import FIXTURES, FakeExchange, fixture_bytes

from alp_tui.api import models
from alp_tui.api.enums import (
    DepositStatus,
    LoanType,
    MarginDirection,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    WalletType,
    WithdrawalStatus,
)

D = Decimal

# (fixture, method, path, client call) for every example response of the reference.
REFERENCE = [
    ("currencies.json", "GET", "/currencies", lambda c: c.currencies()),
    ("pairs.json", "GET", "/pairs", lambda c: c.pairs()),
    ("ticker.json", "GET", "/ticker", lambda c: c.ticker()),
    ("order_book.json", "GET", "/orderbook", lambda c: c.orderbook("BTC_USDT")),
    ("charts.json", "GET", "/charts", lambda c: c.charts("BTC_USDT", "DAY")),
    ("trades.json", "GET", "/trades", lambda c: c.trades("BTC_USDT")),
    ("accounts.json", "GET", "/accounts/accounts", lambda c: c.accounts()),
    ("balances.json", "GET", "/accounts/balances", lambda c: c.balances()),
    ("feeinfo.json", "GET", "/accounts/feeinfo", lambda c: c.fees()),
    ("orders.json", "GET", "/accounts/order", lambda c: c.orders()),
    ("account_trades.json", "GET", "/accounts/trades", lambda c: c.account_trades()),
    ("activity.json", "GET", "/accounts/activity", lambda c: c.activity()),
    ("deposit_methods.json", "GET", "/deposit/methods", lambda c: c.deposit_methods("USDT")),
    ("deposits.json", "GET", "/deposit", lambda c: c.deposits()),
    ("withdraw_methods.json", "GET", "/withdraw/methods", lambda c: c.withdraw_methods("USDT")),
    ("withdrawals.json", "GET", "/withdraw", lambda c: c.withdrawals()),
    ("place_order.json", "POST", "/trading/order",
     lambda c: c.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="1", limit_price="45000")),
    ("margin_transfer.json", "POST", "/margin/transfer",
     lambda c: c.margin_transfer("MARGIN_CROSS", "ADD", "100", "USDT", account_id=1)),
    ("margin_borrow.json", "POST", "/margin/borrow",
     lambda c: c.borrow("100", "USD", "CROSS_MARGIN", account_id=1)),
    ("margin_repay.json", "POST", "/margin/repay",
     lambda c: c.repay("100", "USD", "CROSS_MARGIN", account_id=1)),
    ("loans.json", "GET", "/margin", lambda c: c.loans(cross_margin=True)),
    ("margin_transfers.json", "GET", "/margin/transfer", lambda c: c.margin_transfers()),
    ("borrows.json", "GET", "/margin/borrow", lambda c: c.borrows()),
    ("repays.json", "GET", "/margin/repay", lambda c: c.repays()),
    ("interests.json", "GET", "/margin/interest", lambda c: c.interests()),
    ("liquidations.json", "GET", "/margin/liquidation", lambda c: c.liquidations()),
]


def test_every_reference_fixture_is_covered() -> None:
    files = {p.name for p in (FIXTURES / "reference").glob("*.json")}
    assert files == {name for name, *_ in REFERENCE}


@pytest.mark.parametrize(("name", "method", "path", "call"), REFERENCE,
                         ids=[r[0] for r in REFERENCE])
async def test_reference_example_parses(name: str, method: str, path: str, call) -> None:
    fake = FakeExchange()
    fake.on(method, path, fixture_bytes(f"reference/{name}"))
    async with fake.client() as client:
        result = await call(client)
    assert result is not None
    if isinstance(result, list):
        assert result, name
        assert all(isinstance(item, models.ApiModel | int) for item in result)


async def _get(name: str, method: str, path: str, call):
    fake = FakeExchange()
    fake.on(method, path, fixture_bytes(name))
    async with fake.client() as client:
        return await call(client)


async def test_reference_values_are_exact_and_typed() -> None:
    pairs = await _get("reference/pairs.json", "GET", "/pairs", lambda c: c.pairs())
    assert pairs[0].name == "BTC_USDT"
    assert pairs[0].minimum_order_size == D("0.001")
    assert isinstance(pairs[0].maximum_order_size, Decimal)

    tickers = await _get("reference/ticker.json", "GET", "/ticker", lambda c: c.ticker())
    assert tickers[0].pair == "BTC_USD"
    assert tickers[0].diff == D("10.0")
    assert tickers[0].change_percent == D("10.0") / D("44990.0") * 100

    book = await _get("reference/order_book.json", "GET", "/orderbook",
                      lambda c: c.orderbook("BTC_USDT"))
    assert [lvl.price for lvl in book.buy] == [D("45000.0"), D("44990.0")]
    assert [lvl.price for lvl in book.sell] == [D("45010.0"), D("45020.0")]

    candles = await _get("reference/charts.json", "GET", "/charts",
                         lambda c: c.charts("BTC_USDT", 1440))
    assert candles[0].time == 1630862400 and candles[0].close == D("45100.0")

    trades = await _get("reference/trades.json", "GET", "/trades",
                        lambda c: c.trades("BTC_USDT"))
    assert trades[0].pair == "BTC_USDT" and trades[0].is_buy and trades[0].amount == D("2.5")

    accounts = await _get("reference/accounts.json", "GET", "/accounts/accounts",
                          lambda c: c.accounts())
    assert accounts[0].id == 123 and accounts[0].parent_id is None

    balances = await _get("reference/balances.json", "GET", "/accounts/balances",
                          lambda c: c.balances())
    assert balances[0].available == D("500.0")
    assert balances[0].wallet_type is WalletType.SPOT
    assert balances[0].last_update_at == datetime(2023, 9, 4, 12, tzinfo=UTC)

    fees = await _get("reference/feeinfo.json", "GET", "/accounts/feeinfo", lambda c: c.fees())
    assert fees[0].maker_fee_rate == D("0.0015") and fees[0].pair is None

    orders = await _get("reference/orders.json", "GET", "/accounts/order", lambda c: c.orders())
    order = orders[0]
    assert order.side is OrderSide.BID and order.status is OrderStatus.FILLED
    assert order.type is OrderType.LIMIT and order.tif is TimeInForce.GTC
    assert order.done_at is None and order.stop_price is None and order.pair == "BTC_USDT"

    fills = await _get("reference/account_trades.json", "GET", "/accounts/trades",
                       lambda c: c.account_trades())
    assert fills[0].fee_amount == D("0.005") and fills[0].is_maker is True

    acts = await _get("reference/activity.json", "GET", "/accounts/activity",
                      lambda c: c.activity())
    assert acts[0].balance_end == D("1500.0")

    dms = await _get("reference/deposit_methods.json", "GET", "/deposit/methods",
                     lambda c: c.deposit_methods("USDT"))
    assert dms[0].attributes[0].key == "address" and dms[0].confirmations == 6

    deps = await _get("reference/deposits.json", "GET", "/deposit", lambda c: c.deposits())
    assert deps[0].status is DepositStatus.PENDING

    wms = await _get("reference/withdraw_methods.json", "GET", "/withdraw/methods",
                     lambda c: c.withdraw_methods("USD"))
    assert wms[0].fee_amount == D("5.0") and wms[0].id == 123

    wds = await _get("reference/withdrawals.json", "GET", "/withdraw", lambda c: c.withdrawals())
    assert wds[0].status is WithdrawalStatus.COMPLETED

    loans = await _get("reference/loans.json", "GET", "/margin",
                       lambda c: c.loans(cross_margin=True))
    assert loans[0].borrowed == D("1000.0") and loans[0].interest == D("50.0")

    mts = await _get("reference/margin_transfers.json", "GET", "/margin/transfer",
                     lambda c: c.margin_transfers())
    assert mts[0].direction is MarginDirection.ADD and mts[0].pair == "BTC_USD"

    borrows = await _get("reference/borrows.json", "GET", "/margin/borrow",
                         lambda c: c.borrows())
    assert borrows[0].type is LoanType.LOAN_AUTO and borrows[0].last_interest_at is None

    repays = await _get("reference/repays.json", "GET", "/margin/repay", lambda c: c.repays())
    assert repays[0].principal_amount == D("100.0")

    interests = await _get("reference/interests.json", "GET", "/margin/interest",
                           lambda c: c.interests())
    assert interests[0].borrow_id == 789 and interests[0].interest_rate == D("0.05")

    liqs = await _get("reference/liquidations.json", "GET", "/margin/liquidation",
                      lambda c: c.liquidations())
    assert liqs[0].closed_at is None and liqs[0].order_closed == [1, 3]
    assert liqs[0].created_at is not None and liqs[0].created_at.utcoffset() is not None


async def test_reference_operation_ids() -> None:
    assert await _get("reference/place_order.json", "POST", "/trading/order",
                      lambda c: c.place_order("BTC_USDT", "SELL", "MARKET",
                                              base_amount="0.05")) == [34]
    assert await _get("reference/margin_transfer.json", "POST", "/margin/transfer",
                      lambda c: c.margin_transfer("CROSS_MARGIN", "SUB", "1", "ETH",
                                                  account_id=9)) == 123
    assert await _get("reference/margin_borrow.json", "POST", "/margin/borrow",
                      lambda c: c.borrow("1", "ETH", "MARGIN_CROSS", account_id=9)) == 123
    # The wire notes: repay answers a list holding one id; the reference shows a bare id.
    assert await _get("later/margin_repay.json", "POST", "/margin/repay",
                      lambda c: c.repay("1", "ETH", "MARGIN_CROSS", account_id=9)) == 123
    assert await _get("reference/margin_repay.json", "POST", "/margin/repay",
                      lambda c: c.repay("1", "ETH", "MARGIN_CROSS", account_id=9)) == 123


# ----------------------------------------------------------------- later edition / live shapes


async def test_single_ticker_object_with_later_fields() -> None:
    t = await _get("later/ticker_one.json", "GET", "/ticker", lambda c: c.ticker("BTC_USDT"))
    assert isinstance(t, models.Ticker)
    assert t.pair == "BTC_USDT" and t.open == D("44990")
    assert t.vol == D("70602102.28496243")  # 16 significant digits survive
    assert t.diff_percent == D("0.02") and t.change_percent == D("0.02")
    assert t.price_precision == 2 and t.amount_precision == 6


async def test_ticker_for_pair_picks_from_a_list() -> None:
    t = await _get("later/tickers_live.json", "GET", "/ticker", lambda c: c.ticker("btc/usdc"))
    assert t.pair == "BTC_USDC" and t.diff == D("-12.5")


async def test_live_tickers_with_untraded_pair() -> None:
    ts = await _get("later/tickers_live.json", "GET", "/ticker", lambda c: c.tickers())
    assert ts[0].has_trades and ts[0].timestamp == D("1758000000.123456")
    assert not ts[1].has_trades and ts[1].change_percent is None


async def test_server_time_and_rates() -> None:
    st = await _get("later/time.json", "GET", "/time", lambda c: c.server_time())
    assert st.serverTime == 1758000000
    rates = await _get("later/currency_rates.json", "GET", "/currency-rates",
                       lambda c: c.currency_rates())
    assert rates == {"BTC": D("45000.00000000"), "ETH": D("2400.50000000"),
                     "USDT": D("1.00000000")}
    assert str(rates["BTC"]) == "45000.00000000"


async def test_candles_with_later_fields() -> None:
    cs = await _get("later/charts.json", "GET", "/charts", lambda c: c.charts("BTC_USDT", "1h"))
    assert cs[0].quoteVolume == D("556789.123456789012") and cs[0].tradesCount == 42


async def test_orderbook_empty_and_exact() -> None:
    empty = await _get("later/orderbook_empty.json", "GET", "/orderbook",
                       lambda c: c.orderbook("X_Y"))
    assert empty.buy == [] and empty.sell == []
    exact = await _get("later/orderbook_exact.json", "GET", "/orderbook",
                       lambda c: c.orderbook("BTC_USDT"))
    assert exact.buy[0].price == D("12345678.123456789012")
    assert exact.buy[0].amount == D("0.00000001")
    assert exact.sell[0].amount == D("70602102.28496243")


async def test_cancel_answer_with_both_spellings() -> None:
    result = await _get("later/cancel_orders.json", "DELETE", "/trading/order",
                        lambda c: c.cancel_orders([1, 5, 8]))
    assert result == {1: OrderStatus.CANCELLED, 5: OrderStatus.PARTIAL_CANCELLED,
                      8: OrderStatus.PARTIAL_CANCELLED}


async def test_live_trades_and_partial_canceled_orders() -> None:
    trades = await _get("later/trades_live.json", "GET", "/trades",
                        lambda c: c.trades("BTC_USDC"))
    assert trades[0].timestamp == D("1758000000.123456") and not trades[0].is_buy
    assert trades[0].account_id is None
    orders = await _get("later/orders_partial_canceled.json", "GET", "/accounts/order",
                        lambda c: c.orders(open_only=False))
    o = orders[0]
    assert o.status is OrderStatus.PARTIAL_CANCELLED and o.side is OrderSide.ASK
    assert o.wallet_type is WalletType.CROSS_MARGIN
    assert o.model_extra == {"extra_field": "kept"}  # unknown fields tolerated


def test_fixture_files_are_valid_json() -> None:
    for path in Path(FIXTURES).rglob("*.json"):
        models.loads(path.read_bytes())
