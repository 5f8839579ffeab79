"""HTTP round-trip benchmark of the simulator: order placement under steady load.

Run by hand (not collected by pytest)::

    .venv/bin/python -m tests.bench.bench_sim_http                # 200 req/s, 50 clients, 10 s
    .venv/bin/python -m tests.bench.bench_sim_http --rate 400 --seconds 5 --path book

The server runs in a child process (``python -m alp_tui.sim.cli``) so that the load
generator does not share its GIL; ``--inproc`` runs it in this process instead. The load
is open-loop: request *i* is due at ``t0 + i / rate`` whatever happened to earlier ones,
spread over ``--clients`` kept-alive connections; latency is measured from the moment the
request was due (so queueing behind a slow server counts). Target: p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import httpx

from alp_tui.sim.auth import sign

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_child(seed: int, market_life: bool) -> tuple[subprocess.Popen[str], str, str, str]:
    """Start ``alp-tui sim`` in a child process; returns (proc, url, key, secret)."""
    argv = [sys.executable, "-m", "alp_tui.sim.cli", "--port", "0", "--seed", str(seed),
            "--api-key", "bench", "--api-secret", "bench-secret"]
    if not market_life:
        argv.append("--no-market-life")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        m = re.search(r"(http://\S+/api/v3)", line)
        if m:
            url = m.group(1)
        if "Ctrl-C" in line:
            break
    if not url:
        proc.kill()
        raise SystemExit("the simulator did not start")
    return proc, url, "bench", "bench-secret"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class RawConn:
    """A minimal kept-alive HTTP/1.1 connection on asyncio streams: the load generator's
    own overhead stays far below the server's, which is what is being measured."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect (with TCP_NODELAY, as asyncio sets by default)."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, target: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        """Send one request and read the whole response (Content-Length framed)."""
        assert self.reader is not None and self.writer is not None
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def run_raw(url: str, key: str, secret: str, rate: float, clients: int,
                  seconds: float, path: str) -> dict[str, Any]:
    """Like :func:`run` but over :class:`RawConn` connections, one per client."""
    parsed = httpx.URL(url)
    prefix = parsed.path.rstrip("/")
    conns = [RawConn(parsed.host, parsed.port or 80) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    auth = json.dumps({"api_key": key, "api_secret": secret}).encode()
    _status, raw = await conns[0].request("POST", prefix + "/auth",
                                         {"X-SIGN": sign(secret, auth)}, auth)
    token = json.loads(raw)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    t0 = time.perf_counter() + 0.05

    async def worker(conn: RawConn) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if path == "book":
                code, _ = await conn.request("GET", prefix + "/orderbook?pair=BTC_USDT", {})
            else:
                price = Decimal(10000) + Decimal(i % 500)
                body = json.dumps({
                    "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
                    "wallet_type": "SPOT", "base_amount": "0.001", "limit_price": str(price),
                    "client_order_id": f"b{i}"}).encode()
                code, _ = await conn.request("POST", prefix + "/trading/order",
                                             {**headers, "X-SIGN": sign(secret, body)}, body)
            latencies.append((time.perf_counter() - due) * 1000)
            statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        assert c.writer is not None
        c.writer.close()
    return {
        "requests": total, "achieved_rps": round(total / elapsed, 1), "statuses": statuses,
        "p50_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
    }


async def run(url: str, key: str, secret: str, rate: float, clients: int, seconds: float,
              path: str) -> dict[str, Any]:
    """Drive the load and return latency statistics in milliseconds."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as http:
        auth = json.dumps({"api_key": key, "api_secret": secret}).encode()
        r = await http.post("/auth", content=auth, headers={"X-SIGN": sign(secret, auth)})
        token = r.json()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # Warm every connection so connection setup is not measured.
        await asyncio.gather(*(http.get("/time") for _ in range(clients)))

        total = int(rate * seconds)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)
        t0 = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if path == "book":
                resp = await http.get("/orderbook", params={"pair": "BTC_USDT"})
            else:
                # Far below the market so nothing fills and every order rests.
                price = Decimal(10000) + Decimal(i % 500)
                body = json.dumps({
                    "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BUY",
                    "wallet_type": "SPOT", "base_amount": "0.001", "limit_price": str(price),
                    "client_order_id": f"b{i}"}).encode()
                resp = await http.post("/trading/order", content=body,
                                       headers={**headers, "X-SIGN": sign(secret, body)})
            latencies.append((time.perf_counter() - due) * 1000)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await one(i)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "requests": total, "achieved_rps": round(total / elapsed, 1), "statuses": statuses,
        "p50_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
    }


def main() -> int:
    """Parse options, start the server, run, print a JSON line of results."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--path", choices=["order", "book"], default="order")
    p.add_argument("--inproc", action="store_true", help="server in this process")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--market-life", action="store_true",
                   help="simulated traders on (exchange.step() every second)")
    p.add_argument("--client", choices=["raw", "httpx"], default="raw",
                   help="load generator: minimal raw HTTP/1.1 (default) or httpx.AsyncClient")
    args = p.parse_args()
    proc = None
    server = None
    if args.inproc:
        from alp_tui.sim.server import SimServer
        server = SimServer(seed=args.seed, market_life=args.market_life, api_key="bench",
                           api_secret="bench-secret")
        url, key, secret = server.start(), "bench", "bench-secret"
    else:
        proc, url, key, secret = start_child(args.seed, args.market_life)
    try:
        runner = run_raw if args.client == "raw" else run
        result = asyncio.run(runner(url, key, secret, args.rate, args.clients, args.seconds,
                                    args.path))
    finally:
        if proc is not None:
            proc.send_signal(2)
            proc.wait(10)
        if server is not None:
            server.stop()
    result.update(rate=args.rate, clients=args.clients, path=args.path,
                  server="in-process" if args.inproc else "child process",
                  client=args.client, market_life=args.market_life)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
