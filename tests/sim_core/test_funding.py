"""Deposits and withdrawals move through their statuses on the clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock, fund

D = Decimal
BTC_ADDRESS = "bc1q" + "a" * 38


def spot(ex: Exchange, account: int, currency: str) -> dict:
    """The SPOT row of ``currency``."""
    return next(r for r in ex.balances(account)
                if r["currency"] == currency and r["wallet_type"] == "SPOT")


def test_methods(quiet: Exchange) -> None:
    a = fund(quiet, USDT="1")
    methods = quiet.deposit_methods(a, "USDT")
    assert {m["network"] for m in methods} == {"TRC20", "ERC20"}
    address = methods[0]["attributes"][0]
    assert address["key"] == "address" and address["value"]
    assert quiet.deposit_methods(a, "USDT") == methods  # stable per account
    xrp = quiet.withdraw_methods(a, "XRP")[0]
    assert [x["key"] for x in xrp["attributes"]] == ["address", "memo"]
    with pytest.raises(SimError):
        quiet.deposit_methods(a, "NOPE")


def test_deposit_confirms(quiet: Exchange, clock: FakeClock) -> None:
    a = fund(quiet, USDT="1")
    dep = quiet.simulate_deposit(a, "BTC", D("0.5"))
    assert dep["status"] == "PENDING"
    quiet.step(clock.advance(5))
    assert quiet.deposits(a)[0]["status"] == "PENDING"
    quiet.step(clock.advance(10))
    assert quiet.deposits(a)[0]["status"] == "CONFIRMED"
    assert spot(quiet, a, "BTC")["balance"] == D("0.5")
    too_small = quiet.simulate_deposit(a, "BTC", D("0.00001"))
    assert too_small["status"] == "REJECTED"


def test_withdrawal_progresses_to_done(quiet: Exchange, clock: FakeClock) -> None:
    a = fund(quiet, BTC="1")
    totals = quiet.totals()
    w = quiet.withdraw(a, D("0.1"), 1, {"address": BTC_ADDRESS}, client_order_id="w1")
    assert w["status"] == "NEW" and w["fee_amount"] == D("0.0002")
    assert spot(quiet, a, "BTC")["reserve"] == D("0.1002")
    seen = []
    for _ in range(6):
        quiet.step(clock.advance(5))
        seen.append(quiet.withdrawals(a)[0]["status"])
    assert seen[:4] == ["CONFIRMED", "VERIFIED", "APPROVED", "DONE"]
    assert spot(quiet, a, "BTC") | {"last_update_at": None} == spot(quiet, a, "BTC") | {
        "balance": D("0.8998"), "reserve": D(0), "last_update_at": None}
    assert quiet.withdrawals(a)[0]["tx_hash"]
    expected = dict(totals)
    expected["BTC"] -= D("0.1")  # the fee stays with the house
    assert quiet.totals() == expected


def test_withdrawal_refused_returns_funds(quiet: Exchange, clock: FakeClock) -> None:
    a = fund(quiet, BTC="1")
    quiet.withdraw(a, D("0.1"), 1, {"address": "bc1qrefuse" + "a" * 32})
    for _ in range(5):
        quiet.step(clock.advance(5))
    assert quiet.withdrawals(a)[0]["status"] == "REFUSED"
    assert spot(quiet, a, "BTC")["balance"] == 1 and spot(quiet, a, "BTC")["reserve"] == 0


@pytest.mark.parametrize(("amount", "method", "attributes", "field"), [
    ("0.1", 999, {"address": BTC_ADDRESS}, "method"),
    ("0.0001", 1, {"address": BTC_ADDRESS}, "amount"),
    ("2", 1, {"address": BTC_ADDRESS}, "amount"),
    ("0.1", 1, {}, "attributes"),
    ("0.1", 1, {"address": "0x1234"}, "attributes"),
])
def test_withdraw_validation(quiet: Exchange, amount: str, method: int, attributes: dict,
                             field: str) -> None:
    a = fund(quiet, BTC="1")
    with pytest.raises(SimError) as info:
        quiet.withdraw(a, D(amount), method, attributes)
    assert field in info.value.form_errors
    assert spot(quiet, a, "BTC")["reserve"] == 0


def test_memo_required(quiet: Exchange) -> None:
    a = fund(quiet, XRP="100")
    with pytest.raises(SimError):
        quiet.withdraw(a, D("50"), 7, {"address": "r" + "a" * 33})
    quiet.withdraw(a, D("50"), 7, {"address": "r" + "a" * 33, "memo": "42"})
