"""The always-on watch at rest: CPU of the dashboard process alone, and its request rate.

Run by hand: ``.venv/bin/python -m tests.bench.bench_watch [--seconds 60] [--warmup 20]``.

Starts ``alp-tui sim`` (its own process, request log on) and the real dashboard
(``python -m alp_tui --config ...`` with the sim's keys, the WebSocket stream on, on a
160x48 pseudo-terminal whose output this script drains), waits for the warm-up, then over
``--seconds``:

1. CPU of the dashboard process alone: utime + stime from ``/proc/PID/stat`` at both ends
   (target <= 3 % of one core; 6.5 % measured before the session, issue #12);
2. the REST requests the dashboard made, per minute and per endpoint, counted from the
   simulator's access log: the always-on watch (balances, open orders, loans, fills) with
   the stream delivering, plus whatever the default screen shows (book, trades, chart).

Nobody touches the keyboard: the dashboard sits on its default tab. Other processes on
the machine skew the CPU figure (the box is shared: 415ce88 read 7.8 % at load 0.5 and
9-10 % at load 4-10); the load average is printed with it. To compare two versions, run
each checkout's copy of this script at the same time (``git archive REV | tar -x -C DIR``,
then ``cd DIR && PYTHONPATH=$PWD python -m tests.bench.bench_watch``): both see the same
load.

``--profile FILE`` also samples the dashboard with py-spy (``pip install py-spy``) and
writes collapsed stacks; ``BENCH_WATCH_EXTRA_PATH=DIR`` puts DIR first on the dashboard's
``PYTHONPATH`` (e.g. a ``sitecustomize.py`` counting refreshes and frames).

Measured 2026-12-07 on the shared 2-core box (load 4-10), 60 s each, same script:
before the session (bc3960d) 7.8 % CPU, 73 requests/min (private topics hidden were not
polled at all); main just before the app used the session (a792580, with the account
strip) 13.7 %, 103/min; with the session 11.7 %, 93/min. Of the 93/min, 59 are the
ungrouped order book (polled every second: the stream serves only a grouped book); the
always-on watch itself (balances, open orders, loans, fills) is 18/min with the margin
strip on screen (loans every 10 s; 15 s hidden).

Then (issue #12, CPU at rest), 415ce88 → 15a975b, side by side at load 4-6: 9.0 % →
3.9 % (solo at load 3.8: 3.7 %); the screen composed ~700 → ~140 times a minute and laid
out 67 → 0 times; 93 → 38 requests/min (the book, grouped by default and streamed, 59 → 4:
its 30 s REST check; the rest: /margin 12, /accounts/order 8 (open orders and the History
tab), /charts 6 (the 10 s candle poll), trades, ticker, balances and fills 2 each (the
stream's 30 s reconciles)). What is left is mostly Textual composing frames (each re-renders
every widget in the bounding box of what changed): one a second for the ages, prices and
account (one beat), plus the book and trade tape on a 0.25 s grid.

Then (issue #12, third session), on a quiet machine (load 0.0-0.4), 60 s each: 58a2b80
3.95-4.28 % → main at the stop 2.58, 2.82, 2.87, 2.95, 3.10 % (median 2.87 %); 200x60
2.97 %, 100x30 2.50 %; with an open order resting (``--open-order --warmup 70``) 3.02 %.
Under light load (1-2) the same code reads lower (2.4-2.5 %): the frames coalesce. With
the counter (BENCH_WATCH_EXTRA_PATH): frames 130 → 123 a minute, composing 1.42 → 0.69 s a
minute; lines re-rendered a minute: markets 1140 → ~750 (the simulator moves 13-16 rows
a second), chart canvas 1075 → ~70, balances strip 446 → ~35, the Balances table 0 → ~55
(its values follow the account's prices every 10 s). Gone: the per-second ages of the
status lines ("fresh" has none), a whole-tree walk per answer, the hidden tab twins'
repaints (each rebuilt the screen's map, ~4 ms), half the collector's time (young
generation 5,000). Requests: 38 a minute (28 at 100x30), unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "bench-key", "bench-secret-0123456789"
REQUEST = re.compile(r'"(GET|POST|DELETE|PUT) /api/v3(/[^ ?"]*)')


def start_sim(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``alp-tui sim`` with its access log in ``log``; returns the process and base URL."""
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "alp_tui", "sim", "--port", "0", "--seed", "1",
         "--api-key", KEY, "--api-secret", SECRET, "-v"],
        stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"http://\S+", log.read_text(errors="replace"))
        if found:
            return proc, found.group(0)
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the simulator did not print its URL")


def start_dashboard(url: str, home: Path, cols: int = 160,
                    rows: int = 48) -> tuple[int, int]:
    """The dashboard on a ``cols`` x ``rows`` pty; returns (pid, master fd). Its output is
    drained."""
    config = home / "config.toml"
    config.write_text(f'[exchange]\nbase_url = "{url}"\napi_key = "{KEY}"\n'
                      f'api_secret = "{SECRET}"\n')
    config.chmod(0o600)
    extra = os.environ.get("BENCH_WATCH_EXTRA_PATH")  # e.g. a sitecustomize that counts
    env = {**os.environ, "PYTHONPATH": f"{extra}:{ROOT}" if extra else str(ROOT),
           "TERM": "xterm-256color",
           "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_STATE_HOME": str(home / "state"), "COLUMNS": str(cols), "LINES": str(rows)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard, on the pty
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-m", "alp_tui", "--config",
                                    str(config)], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def drain() -> None:
        while True:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:
                return

    threading.Thread(target=drain, daemon=True).start()
    return pid, fd


async def rest_an_order(url: str) -> None:
    """A BTC_USDT limit buy at half the last price: it rests (open all the measurement)."""
    from alp_tui.api.client import AlpClient

    async with AlpClient(url, KEY, SECRET, 10.0) as client:
        last = (await client.ticker("BTC_USDT")).last
        await client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.001",
                                 limit_price=(last / 2).quantize(Decimal("0.01")))


def cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks (fields 14 and 15 of /proc/PID/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def requests_in(log: Path, start: int, end: int) -> collections.Counter[str]:
    """Endpoints requested between byte offsets ``start`` and ``end`` of the access log."""
    with log.open("rb") as fh:
        fh.seek(start)
        chunk = fh.read(end - start).decode(errors="replace")
    return collections.Counter(m.group(2).rstrip("/") or "/" for m in REQUEST.finditer(chunk))


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--profile", metavar="FILE",
                        help="also sample the dashboard with py-spy over the window and "
                             "write collapsed stacks to FILE (py-spy must be installed)")
    parser.add_argument("--size", default="160x48", metavar="COLSxROWS",
                        help="the terminal size (default 160x48)")
    parser.add_argument("--open-order", action="store_true",
                        help="rest a BTC_USDT buy far below the market first (the open "
                             "orders pane, its Age column and the book's mark then show)")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        home = Path(tmp)
        log = home / "sim.log"
        sim, url = start_sim(log)
        pid = fd = None
        try:
            if args.open_order:
                asyncio.run(rest_an_order(url))
            pid, fd = start_dashboard(url, home, cols, rows)
            time.sleep(args.warmup)
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                print("the dashboard exited during the warm-up", file=sys.stderr)
                return 1
            hz = os.sysconf("SC_CLK_TCK")
            ticks0, wall0, off0 = cpu_ticks(pid), time.monotonic(), log.stat().st_size
            if args.profile:
                subprocess.run(["py-spy", "record", "--nonblocking", "--format", "raw",
                                "--rate", "200", "-d", str(int(args.seconds)), "-p", str(pid),
                                "-o", args.profile], check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            else:
                time.sleep(args.seconds)
            ticks1, wall1, off1 = cpu_ticks(pid), time.monotonic(), log.stat().st_size
            load = os.getloadavg()
        finally:
            if pid is not None:
                try:
                    os.kill(pid, 15)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            if fd is not None:
                os.close(fd)
            sim.terminate()
            sim.wait(10)
        wall = wall1 - wall0
        cpu = (ticks1 - ticks0) / hz / wall
        seen = requests_in(log, off0, off1)
        per_min = sum(seen.values()) * 60 / wall
        print(f"dashboard CPU at rest, stream on, {cols}x{rows}: {cpu * 100:.2f} % of one "
              f"core over {wall:.0f} s (target <= 3 %; load average {load[0]:.2f} {load[1]:.2f})")
        print(f"REST requests: {per_min:.1f} per minute")
        for path, count in seen.most_common():
            print(f"  {path:<34} {count * 60 / wall:6.1f}/min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
