"""``alp-tui sim``: the simulator alone, serving ``http://HOST:PORT/api/v3``.

Prints the base URL and the credentials it accepts, serves until Ctrl-C (or SIGTERM) and
stops cleanly. Exit codes: 0 stopped normally, 2 bad usage (bad option, port in use,
unreadable state file: the message names it), 1 anything else. The state file is created
0600 (it holds the API secret), in a directory created 0700 when missing.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from alp_tui.sim.server import SimServer, is_loopback
from alp_tui.sim.store import StateFileError


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {value}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns the exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The ``alp-tui sim`` option parser."""
    p = _Parser(prog="alp-tui sim",
                description="Run the ALP.COM exchange simulator on its own.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; others are reachable from "
                        "other machines)")
    p.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 = any)")
    p.add_argument("--api-key", default=None, help="demo API key (default: random)")
    p.add_argument("--api-secret", default=None, help="demo API secret (default: random; "
                   "or env ALP_SIM_API_SECRET)")
    p.add_argument("--state", default=":memory:",
                   help="SQLite state file (default :memory:, nothing kept)")
    p.add_argument("--seed", type=int, default=None, help="random seed for market life")
    p.add_argument("--no-market-life", action="store_true",
                   help="no simulated traders; the book moves only with your orders")
    p.add_argument("--tick", type=_positive, default=1.0,
                   help="seconds between market-life steps (default 1)")
    p.add_argument("--live-quirks", action="store_true",
                   help="behave like the live exchange where it differs from the reference "
                        "(unknown paths answer 401)")
    p.add_argument("--fault-control", action="store_true",
                   help="enable the fault-injection endpoint /_sim/faults")
    p.add_argument("--rate-limit", type=_positive, default=None, metavar="PER_S",
                   help="answer 429 with Retry-After past PER_S requests a second "
                        "(default: no limit)")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests")
    return p


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         stop_event: threading.Event | None = None) -> int:
    """Run ``alp-tui sim``; returns the exit code. ``stop_event`` (tests) stops it like
    Ctrl-C does."""
    out = out or sys.stdout
    err = sys.stderr
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except _UsageError as exc:
        print(f"alp-tui sim: {exc}", file=err)
        return 2
    except SystemExit as exc:  # --help
        return 0 if not exc.code else 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_loopback(args.host):
        print(f"alp-tui sim: warning: listening on {args.host} makes the simulator and its "
              "credentials reachable from other machines", file=err)
    secret = args.api_secret or os.environ.get("ALP_SIM_API_SECRET") or None
    with warnings.catch_warnings():
        # The warning above already told the user; don't print it twice.
        warnings.simplefilter("ignore", RuntimeWarning)
        server = SimServer(host=args.host, port=args.port, seed=args.seed,
                           state_path=args.state, api_key=args.api_key, api_secret=secret,
                           market_life=not args.no_market_life, tick_s=args.tick,
                           live_quirks=args.live_quirks, fault_control=args.fault_control,
                           access_log=args.verbose, rate_limit_per_s=args.rate_limit)
    try:
        url = server.start()
    except OSError as exc:
        print(f"alp-tui sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=err)
        return 2
    except KeyboardInterrupt:
        server.stop()
        return 0
    except StateFileError as exc:  # names the file and what is wrong with it
        print(f"alp-tui sim: cannot read the state file {exc}", file=err)
        server.stop()
        return 2
    except Exception as exc:
        print(f"alp-tui sim: cannot start: {exc or type(exc).__name__}", file=err)
        server.stop()
        return 1
    stop = stop_event or threading.Event()
    previous = None
    code = 0
    try:
        # Everything after start() sits in the try: a Ctrl-C may land at any point,
        # even while the banner is being printed.
        if threading.current_thread() is threading.main_thread():
            def on_term(signum: int, frame: FrameType | None) -> None:
                stop.set()
            previous = signal.signal(signal.SIGTERM, on_term)
        print(f"ALP simulator serving {url}", file=out)
        print(f"  api_key    {server.api_key}", file=out)
        print(f"  api_secret {server.api_secret}", file=out)
        print(f"  state      {args.state}", file=out)
        print("Ctrl-C to stop.", file=out, flush=True)
        while not stop.wait(0.5):
            if not server.running:
                print("alp-tui sim: the server stopped unexpectedly", file=err)
                code = 1
                break
    except KeyboardInterrupt:
        pass
    finally:
        main_thread = threading.current_thread() is threading.main_thread()
        # A second Ctrl-C while stopping would otherwise leave a traceback.
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
        try:
            server.stop()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            if old_int is not None:
                signal.signal(signal.SIGINT, old_int)
    print("ALP simulator stopped.", file=out, flush=True)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
