"""Matching-engine throughput: mixed limit / market / cancel, in-process, no persistence.

Run by hand: ``.venv/bin/python -m tests.bench.bench_engine [orders]``. Prints orders per
second for the bare order book (matching only) and for the full exchange facade (validation,
holds, settlement, fees, activity), both seeded and deterministic, and the cost of one
market-life tick. Each figure is given per CPU second (what one free core does; stable on a
busy machine) and per wall-clock second.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from decimal import Decimal

from alp_tui.api.enums import OrderType
from alp_tui.sim.engine import Order, OrderBook
from alp_tui.sim.exchange import Exchange

D = Decimal
MID = 50_000


def _now() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _rate(n: int, start: tuple[float, float]) -> tuple[float, float]:
    cpu, wall = _now()
    return n / (cpu - start[0]), n / (wall - start[1])


def make_stream(n: int, seed: int = 1) -> list[tuple[str, bool, Decimal, Decimal]]:
    """A reproducible mix: 60 % limit, 20 % market, 20 % cancel."""
    rng = random.Random(seed)
    stream = []
    for _ in range(n):
        r = rng.random()
        is_bid = rng.random() < 0.5
        amount = D(rng.randint(1, 50)) / 1000
        offset = rng.randint(-20, 20)
        price = D(MID + (offset if not is_bid else -offset) + (-3 if is_bid else 3))
        kind = "limit" if r < 0.6 else ("market" if r < 0.8 else "cancel")
        stream.append((kind, is_bid, amount, price))
    return stream


def bench_book(n: int) -> tuple[float, float]:
    """Orders per second through the bare order book."""
    book = OrderBook("BTC_USDT", D("0.000001"))
    stream = make_stream(n)
    resting: list[Order] = []
    rng = random.Random(2)
    start = _now()
    for i, (kind, is_bid, amount, price) in enumerate(stream):
        if kind == "cancel":
            if resting:
                order = resting.pop(rng.randrange(len(resting)))
                book.remove(order)
            continue
        limit = price if kind == "limit" else None
        fills = book.match(is_bid, limit, base=amount)
        left = amount - sum((f.amount for f in fills), D(0))
        if kind == "limit" and left > 0:
            order = Order(id=i + 1, account_id=1, pair="BTC_USDT", is_bid=is_bid,
                          type=OrderType.LIMIT, amount=left, price=price, created_at=0.0)
            book.add(order)
            resting.append(order)
        if len(resting) > 5000:
            resting = [o for o in resting if o.id in book.orders]
    return _rate(n, start)


def bench_exchange(n: int, state_path: str = ":memory:") -> tuple[float, float]:
    """Orders per second through ``Exchange.place_order`` / ``cancel_orders``."""
    ex = Exchange(seed=1, clock=lambda: 1_795_000_000.0, market_life=False,
                  state_path=state_path)
    accounts = [ex.create_account(email=f"{i}@b", name=str(i),
                                  funds={"BTC": D(100_000), "USDT": D(10) ** 10})
                for i in range(4)]
    stream = make_stream(n)
    rng = random.Random(3)
    open_ids: list[tuple[int, int]] = []
    start = _now()
    for i, (kind, is_bid, amount, price) in enumerate(stream):
        account = accounts[i % 4]
        side = "BID" if is_bid else "ASK"
        if kind == "cancel":
            if open_ids:
                owner, oid = open_ids.pop(rng.randrange(len(open_ids)))
                ex.cancel_orders(owner, order_ids=[oid])
            continue
        if kind == "limit":
            oid = ex.place_order(account, {"pair": "BTC_USDT", "order_type": "LIMIT",
                                           "order_side": side, "base_amount": amount,
                                           "limit_price": price})[0]
            open_ids.append((account, oid))
        else:
            ex.place_order(account, {"pair": "BTC_USDT", "order_type": "MARKET",
                                     "order_side": side, "base_amount": amount})
    return _rate(n, start)


def bench_step(ticks: int = 200) -> tuple[float, float]:
    """Milliseconds per market-life tick (all pairs)."""
    clock_now = [1_795_000_000.0]
    ex = Exchange(seed=1, clock=lambda: clock_now[0])
    start = _now()
    for _ in range(ticks):
        clock_now[0] += 1
        ex.step()
    cpu, wall = _now()
    return ((cpu - start[0]) / ticks * 1000, (wall - start[1]) / ticks * 1000)


def main() -> None:
    """Run all benchmarks and print the numbers."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000

    def show(label: str, value: tuple[float, float], unit: str) -> None:
        print(f"{label:<18}: {value[0]:>12,.1f} {unit} (CPU) | {value[1]:>12,.1f} (wall)")

    show("order book only", bench_book(n), "orders/s")
    show("exchange facade", bench_exchange(n // 2), "orders/s")
    with tempfile.TemporaryDirectory() as tmp:
        show("facade + SQLite", bench_exchange(n // 10, f"{tmp}/bench.db"), "orders/s")
    show("step(), 21 pairs", bench_step(), "ms/tick  ")

if __name__ == "__main__":
    main()
