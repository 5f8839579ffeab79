"""Concurrent callers (the HTTP thread, the ticker, tests) keep the books consistent."""

from __future__ import annotations

import random
import threading
from decimal import Decimal

from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange

from .conftest import FakeClock
from .test_properties import check_invariants

D = Decimal


def test_concurrent_calls_keep_invariants() -> None:
    clock = FakeClock()
    ex = Exchange(seed=9, clock=clock)
    accounts = [ex.create_account(email=f"{i}@t", name=str(i),
                                  funds={"BTC": D("2"), "USDT": D("200000")})
                for i in range(4)]
    totals = ex.totals()
    errors: list[BaseException] = []

    def trader(account: int, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(80):
                last = ex.last_price("BTC_USDT")
                side = rng.choice(["BID", "ASK"])
                try:
                    if rng.random() < 0.7:
                        price = (last * D(1 + rng.uniform(-0.002, 0.002))).quantize(D("0.01"))
                        ex.place_order(account, {"pair": "BTC_USDT", "order_type": "LIMIT",
                                                 "order_side": side,
                                                 "base_amount": D("0.001"),
                                                 "limit_price": price})
                    elif rng.random() < 0.5:
                        ex.place_order(account, {"pair": "BTC_USDT", "order_type": "MARKET",
                                                 "order_side": side,
                                                 "base_amount": D("0.001")})
                    else:
                        ex.cancel_orders(account, all=True)
                except SimError:
                    pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def ticker() -> None:
        try:
            for _ in range(15):
                ex.step()
                ex.ticker()
                ex.orderbook("BTC_USDT")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=trader, args=(a, i)) for i, a in enumerate(accounts)]
    threads.append(threading.Thread(target=ticker))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check_invariants(ex, totals)
