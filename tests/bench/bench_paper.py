"""Paper-mode benchmark; run by hand: ``.venv/bin/python -m tests.bench.bench_paper``.

A simulator on loopback plays the live exchange (two pairs, a seeded book, market life off
so the numbers do not move with it); a paper server in front of it; the real client.

Measured:
- paper server start (upstream listing fetched, account opened, serving);
- a paper market order's round trip: the first on a pair (the gateway fetches the upstream
  book and trades before matching) and the next ones (the mirrored book is under a second
  old, nothing goes upstream);
- upstream requests per second while the paper server follows one active pair (driver
  ticks: tickers every 2 s, book + trades every second), over ``--follow-s`` seconds.

Options: ``--orders 50 --follow-s 10``. The load average is printed: other processes on the
box skew every number.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from alp_tui.api.client import AlpClient
from alp_tui.paper.server import PaperServer
from tests.paper.conftest import start_upstream
from tests.paper.test_paper_trading import seed_book


async def orders(paper: PaperServer, count: int) -> tuple[float, list[float]]:
    """(first order's seconds, later orders' seconds)."""
    async with AlpClient(paper.base_url, paper.api_key, paper.api_secret) as client:
        await client.balances()  # token and connection warm
        start = time.perf_counter()
        await client.place_order("BTC_USDT", "BID", "MARKET", base_amount=Decimal("0.0001"))
        first = time.perf_counter() - start
        rest = []
        for _ in range(count):
            start = time.perf_counter()
            await client.place_order("BTC_USDT", "BID", "MARKET",
                                     base_amount=Decimal("0.0001"))
            rest.append(time.perf_counter() - start)
        return first, rest


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--follow-s", type=float, default=10.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}")
    upstream, recorder = start_upstream()
    seed_book(upstream)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paper = PaperServer(upstream.base_url, root=Path(tmp) / "paper")
        paper.start()
        print(f"paper server start: {time.perf_counter() - start:.3f} s")
        try:
            first, rest = asyncio.run(orders(paper, args.orders))
            print(f"first market order on a pair: {first * 1000:.1f} ms")
            print(f"next {len(rest)} market orders: median {statistics.median(rest) * 1000:.1f}"
                  f" ms, max {max(rest) * 1000:.1f} ms")
            before = len(recorder.requests)
            time.sleep(args.follow_s)
            rate = (len(recorder.requests) - before) / args.follow_s
            print(f"upstream requests while following one pair: {rate:.2f}/s")
        finally:
            paper.stop()
            upstream.stop()


if __name__ == "__main__":
    main()
