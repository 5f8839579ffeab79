"""A restarted exchange has the same accounts, keys, orders, balances and history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from alp_tui.sim.exchange import ApiKeyRecord, Exchange

from .conftest import FakeClock

D = Decimal
VIEWS = ("balances", "orders", "account_trades", "activity", "deposits", "withdrawals",
         "loans", "borrows", "margin_transfers", "repays", "interests", "fees", "accounts")


def test_state_survives_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    clock = FakeClock()
    ex = Exchange(seed=5, clock=clock, state_path=path)
    a = ex.create_demo_account("demo-key", "demo-secret")
    ex.add_api_key(ApiKeyRecord("ro", "ro-secret", a, can_trade=False))
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
                       "base_amount": D("0.01"), "limit_price": D("80000"),
                       "client_order_id": "keep-me"})
    ex.place_order(a, {"pair": "ETH_USDT", "order_type": "MARKET", "order_side": "BID",
                       "quote_amount": D("500")})
    ex.place_order(a, {"pair": "BTC_USDT", "order_type": "STOP_LIMIT", "order_side": "ASK",
                       "base_amount": D("0.01"), "limit_price": D("70000"),
                       "stop_price": D("71000"), "stop_operator": "LTE"})
    ex.margin_transfer(a, "CROSS_MARGIN", "ADD", D("1000"), "USDT")
    ex.borrow(a, D("500"), "USDT", "CROSS_MARGIN")
    ex.withdraw(a, D("0.1"), 1, {"address": "bc1q" + "a" * 38})
    ex.simulate_deposit(a, "ETH", D("1"))
    for _ in range(3):
        ex.step(clock.advance(1))
    ex.step(clock.advance(3600))
    before = {view: getattr(ex, view)(a) for view in VIEWS}
    ex.close()

    again = Exchange(seed=5, clock=clock, state_path=path)
    for view in VIEWS:
        assert getattr(again, view)(a) == before[view], view
    assert again.find_api_key("demo-key") == ex.find_api_key("demo-key")
    ro = again.find_api_key("ro")
    assert ro is not None and not ro.can_trade
    # Restored orders still trade and hold: cancelling releases exactly their reserve.
    open_orders = again.orders(a, open_only=True)
    assert {o["client_order_id"] for o in open_orders} >= {"keep-me"}
    again.cancel_orders(a, all=True)
    spot = {(r["currency"], r["wallet_type"]): r for r in again.balances(a)}
    assert spot[("BTC", "SPOT")]["reserve"] == 0
    # New ids do not collide with old ones.
    new_id = again.place_order(a, {"pair": "BTC_USDT", "order_type": "LIMIT",
                                   "order_side": "BID", "base_amount": D("0.01"),
                                   "limit_price": D("80000")})[0]
    assert new_id > max(o["id"] for o in before["orders"])
    # Same key, same account: the demo account is not created twice.
    assert again.create_demo_account("demo-key", "demo-secret") == a
    again.close()


def test_memory_mode_writes_nothing(tmp_path: Path) -> None:
    ex = Exchange(seed=1, clock=FakeClock(), market_life=False)
    ex.create_demo_account("k", "s")
    ex.close()
    assert list(tmp_path.iterdir()) == []


def test_acknowledged_calls_are_on_disk_without_close(tmp_path: Path) -> None:
    """A crash right after an answer loses nothing: a second process sees it all."""
    path = str(tmp_path / "crash.db")
    clock = FakeClock()
    ex = Exchange(seed=5, clock=clock, state_path=path, market_life=False)
    a = ex.create_account(email="c@t", name="c", funds={"USDT": D("1000")})
    oid = ex.place_order(a, {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
                             "base_amount": D("0.001"), "limit_price": D("50000")})[0]
    # No close(): read the file from another exchange, as a restarted process would.
    other = Exchange(seed=5, clock=clock, state_path=path, market_life=False)
    assert other.orders(a) == ex.orders(a)
    assert other.balances(a) == ex.balances(a)
    assert other.orders(a)[0]["id"] == oid
    other.close()
    ex.close()
