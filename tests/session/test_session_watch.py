"""The session watches the account with no UI: watched topics poll, shown ones wait."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from session_support import FastSleep, make_session, until

from alp_tui.api.enums import WalletType
from alp_tui.api.models import AccountTrade, Balance, Loan, Order, Ticker
from alp_tui.config import PollingConfig
from alp_tui.session import AccountSnapshot, AccountState, TopicData
from alp_tui.session.watch import plan


def test_watched_topics_poll_hidden_slower_and_shown_only_on_screen() -> None:
    topics = ["tickers", "orderbook", "chart", "trades", "balances", "orders", "history",
              "margin", "fills"]
    hidden = plan(topics, set(), PollingConfig())
    assert hidden.active == {"tickers", "balances", "orders", "margin", "fills"}
    assert hidden.intervals["margin"] == 15 and hidden.intervals["orders"] == 10
    shown = plan(topics, {"margin", "orderbook", "history"}, PollingConfig())
    assert {"orderbook", "history", "margin"} <= shown.active
    assert shown.intervals["margin"] == PollingConfig().margin  # its own interval again
    assert shown.intervals["orders"] == 10  # still hidden


async def test_watched_topics_keep_polling_with_no_ui(sim_server: Any, tmp_path: Path) -> None:
    sleep = FastSleep()
    session = make_session(sim_server, tmp_path, sleep=sleep)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        pollers = session.feed.pollers  # type: ignore[union-attr]
        await until(lambda: all(pollers[t].requests >= 3
                                for t in ("balances", "orders", "margin", "fills")))
        # nothing on screen: the book, chart, trades and history are never asked for
        assert all(pollers[t].requests == 0 for t in ("orderbook", "chart", "trades",
                                                      "history"))
        assert {15.0, 10.0, 30.0} <= set(sleep.delays)  # hidden: margin 15 s, orders 10 s
        snapshot = session.account.snapshot
        assert {"balances", "orders", "loans"} <= snapshot.known
        assert snapshot.net_equity is not None and snapshot.net_equity > 0
        # the book goes on screen: it is polled from then on
        session.show({"orderbook"})
        await until(lambda: pollers["orderbook"].requests >= 1)
    assert any(isinstance(e, AccountSnapshot) for e in seen)
    assert {e.topic for e in seen if isinstance(e, TopicData)} >= {"balances", "orders",
                                                                   "margin", "tickers"}


def _ticker(pair: str, last: str) -> Ticker:
    d = Decimal(last)
    return Ticker(pair=pair, last=d, vol=Decimal(1), high=d, low=d, timestamp=Decimal(1))


def test_net_equity_counts_debt_and_the_worst_wallet() -> None:
    state = AccountState()
    state.pair = "BTC_USDT"
    state.set_tickers([_ticker("BTC_USDT", "40000")])
    state.set_balances([
        Balance(balance=Decimal(10000), reserve=Decimal(0), currency="USDT",
                wallet_type=WalletType.SPOT),
        Balance(balance=Decimal("0.1"), reserve=Decimal(0), currency="BTC",
                wallet_type=WalletType.ISOLATED_MARGIN, pair="BTC_USDT"),
    ])
    state.set_loans([Loan(id=1, borrowed=Decimal(2500), interest=Decimal(0), currency="USDT",
                          wallet_type=WalletType.ISOLATED_MARGIN, pair="BTC_USDT")])
    snap = state.build()
    assert snap.assets == Decimal(14000) and snap.debt == Decimal(2500)
    assert snap.net_equity == Decimal(11500)  # an auto-borrow buy does not raise it
    assert snap.worst is not None and snap.worst.level == Decimal("1.6")
    assert snap.liquidation and snap.liquidation[0].liquidation_price < Decimal(40000)


def _order(oid: int, filled: str) -> Order:
    return Order(id=oid, pair="BTC_USDT", amount=Decimal(1), price=Decimal(100), side="BID",
                 status="OPEN", type="LIMIT", amount_filled=Decimal(filled))


def _trade(tid: int, oid: int, amount: str, price: str, unfilled: str | None) -> AccountTrade:
    return AccountTrade(id=tid, order_id=oid, pair="BTC_USDT", amount=Decimal(amount),
                        price=Decimal(price), side="BID",
                        amount_unfilled=None if unfilled is None else Decimal(unfilled))


def test_fills_one_event_per_order_with_average_price_and_no_replay() -> None:
    state = AccountState()
    assert state.new_fills([_trade(1, 7, "1", "90", "0")]) == []  # before start: remembered
    assert state.set_open_orders([_order(8, "0")]) == set()
    assert state.set_open_orders([_order(8, "0.25")]) == {8}  # partly filled: look now
    fills = state.new_fills([_trade(1, 7, "1", "90", "0"), _trade(2, 8, "0.1", "100", "0.9"),
                             _trade(3, 8, "0.15", "110", "0.75")])
    (fill,) = fills
    assert fill.order_id == 8 and fill.amount == Decimal("0.25") and fill.partial
    assert fill.average_price == Decimal(106)
    assert "@ 106.00 avg" in fill.text and "(partial)" in fill.text
