"""Command line: ``alp-tui [--demo | --paper] [--pair P] [--config PATH]``, ``alp-tui init``,
``alp-tui sim ...``, ``alp-tui paper reset``, ``alp-tui serve ...`` (the dashboard in a
browser).

Exit codes: 0 ok, 2 bad usage or bad config (one line naming file and key), 1 anything else.
An expected failure never shows a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError as PydanticValidationError

from alp_tui import __version__
from alp_tui.api.enums import normalize_pair
from alp_tui.config import (
    DEFAULT_BASE_URL,
    PAIR_RE,
    Config,
    ConfigError,
    default_config_path,
    load_config,
    write_config,
)

if TYPE_CHECKING:
    from textual.app import App

    from alp_tui.paper.server import PaperServer

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _fail(message: str, code: int) -> int:
    print(f"alp-tui: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser (``init`` and ``sim`` are dispatched before it)."""
    parser = _Parser(
        prog="alp-tui",
        description="Terminal dashboard for the ALP.COM exchange. "
        "Subcommands: `alp-tui init` writes a config; `alp-tui sim` runs the simulator; "
        "`alp-tui paper reset` starts the paper account over; "
        "`alp-tui serve` serves the dashboard to a browser.",
    )
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in simulator with a demo account")
    parser.add_argument("--paper", action="store_true",
                        help="paper trading: live market data from the configured exchange, "
                        "a local paper account for everything private (`alp-tui paper reset` "
                        "starts it over)")
    parser.add_argument("--pair", help="pair selected at start, e.g. BTC_USDT")
    parser.add_argument("--no-stream", dest="stream", action="store_false",
                        help="poll over REST only, without the WebSocket feed")
    parser.add_argument("--config", type=Path, help="config file (default: %(default)s)",
                        default=None)
    parser.add_argument("--version", action="version", version=f"alp-tui {__version__}")
    return parser


def _check_pair(value: str) -> str:
    pair = normalize_pair(value)
    if not PAIR_RE.match(pair):
        raise UsageError(f"--pair: {value!r} is not a pair like BTC_USDT")
    return pair


def run_dashboard(args: argparse.Namespace) -> int:
    """Load the config and run the dashboard (live or demo)."""
    path = args.config or default_config_path()
    config = load_config(path, required=args.config is not None)
    if args.pair:
        config.dashboard.pair = _check_pair(args.pair)
    # Until run_app turns a hangup into a clean exit, let it end the process, even where it
    # was inherited as ignored: a hangup lost in this window would leave the app running
    # on a dead terminal.
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if args.demo and args.paper:
        raise UsageError("--demo and --paper cannot be combined")
    if args.demo:
        return _run_demo(config, path, stream=args.stream)
    if args.paper:
        return _run_paper(config, path, stream=args.stream)
    from alp_tui.api.errors import RequestError
    from alp_tui.ui.app import create_app

    try:
        app = create_app(config, mode="live", config_path=path, stream=args.stream)
    except RequestError as exc:
        raise ConfigError(f"{path}: exchange.base_url: {exc}") from None
    return run_app(app)


# What the app exits with when told to stop from outside: SIGTERM is a request to stop
# (0, as the simulator does); a hangup means the terminal went away (1, anything else).
STOP_SIGNALS = {signal.SIGTERM: EXIT_OK}
if hasattr(signal, "SIGHUP"):  # not on Windows
    STOP_SIGNALS[signal.SIGHUP] = EXIT_ERROR
# How long an orderly exit may take after such a signal before the process just ends.
STOP_GRACE_S = 5.0


def run_app(app: App[object]) -> int:
    """Run ``app`` to its end and return its exit code.

    SIGTERM and SIGHUP exit the app the ordinary way (workers cancelled, terminal restored,
    then the caller's clean-up, e.g. the demo's simulator, runs). The hangup handler is
    installed even where SIGHUP was inherited as ignored (nohup, some session managers):
    once its terminal is gone a full-screen app has nothing left to do, and Textual's input
    thread would spin on the closed terminal at full CPU for as long as the process lives.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    watchdog: list[threading.Timer] = []

    def on_signal(signum: int) -> None:
        code = STOP_SIGNALS[signum]
        if _terminal_gone():
            # Writes to a hung-up terminal fail (EIO) and kill Textual's writer thread, and
            # its shutdown then waits forever on the writer's full queue: write to nowhere.
            _detach_from_terminal()
        app.exit(return_code=code)
        if not watchdog:
            # An exit that cannot finish (Textual's writer thread died on the dead terminal
            # and its shutdown waits on it), or that is lost at startup, still ends: first a
            # KeyboardInterrupt in the main thread, which unwinds through the callers'
            # clean-up (the demo's simulator stops), and if even that hangs, the process ends.
            main_id = threading.main_thread().ident or 0
            for delay, action, args in ((STOP_GRACE_S, signal.pthread_kill,
                                         (main_id, signal.SIGINT)),
                                        (2 * STOP_GRACE_S, os._exit, (code,))):
                timer = threading.Timer(delay, action, args)
                timer.daemon = True
                timer.start()
                watchdog.append(timer)

    handled: list[int] = []
    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except NotImplementedError:  # Windows event loops have no signal handlers
            continue
        handled.append(signum)
    try:
        app.run(loop=loop)
    finally:
        for timer in watchdog:
            timer.cancel()
        for signum in handled:
            loop.remove_signal_handler(signum)
        asyncio.set_event_loop(None)
        loop.close()
    return app.return_code or EXIT_OK


def _terminal_gone() -> bool:
    """True when the terminal on stdin has hung up (or there is none)."""
    try:
        import termios
    except ImportError:  # Windows: no hangups to detect
        return False
    try:
        termios.tcgetattr(sys.__stdin__.fileno())  # type: ignore[union-attr]
    except (termios.error, OSError, ValueError, AttributeError):
        return True
    return False


def _detach_from_terminal() -> None:
    """Point stdin, stdout and stderr at /dev/null (reads end, writes vanish)."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    finally:
        os.close(null)


def _local_app(config: Config, path: Path, server: Any, base_url: str, mode: str,
               stream: bool) -> Any:
    """The dashboard against a local server (the simulator or the paper gateway), with
    that server's own keys."""
    from alp_tui.ui.app import create_app

    return create_app(
        config,
        base_url=base_url,
        api_key=server.api_key,
        api_secret=server.api_secret,
        mode=mode,
        config_path=path if path.exists() else None,
        stream=stream,
    )


def _run_demo(config: Config, path: Path, *, stream: bool = True) -> int:
    from alp_tui.sim.server import SimServer

    server = SimServer(host="127.0.0.1", port=0, market_life=True)
    base_url = server.start()
    try:
        app = _local_app(config, path, server, base_url, "demo", stream)
        # The demo's exchange is thrown away at exit: its actions are journaled in memory,
        # never beside the real account's (History > Journal, its CSV export, reconcile).
        app.journal_path = ":memory:"
        return run_app(app)
    finally:
        server.stop()


def paper_server_for(config: Config, root: Path | None = None) -> PaperServer:
    """The paper server the config asks for. The config's API keys are never passed: paper
    mode reaches the exchange for public market data only."""
    from decimal import Decimal

    from alp_tui.paper.server import PaperServer

    paper = config.paper
    return PaperServer(
        config.exchange.base_url, root=root,
        balances={code: Decimal(amount) for code, amount in paper.balances.items()},
        maker_fee=Decimal(paper.maker_fee), taker_fee=Decimal(paper.taker_fee),
        timeout_s=config.exchange.timeout_s, allow_insecure=config.exchange.allow_insecure)


def _run_paper(config: Config, path: Path, *, stream: bool = True) -> int:
    from alp_tui.paper.server import PaperError

    server = paper_server_for(config)
    try:
        base_url = server.start()
    except PaperError as exc:
        return _fail(f"paper mode: {exc}", EXIT_ERROR)
    try:
        app = _local_app(config, path, server, base_url, "paper", stream)
        # Paper actions go to their own journal, never into the live one.
        app.journal_path = server.paths.journal
        return run_app(app)
    finally:
        server.stop()


def run_paper_command(argv: Sequence[str]) -> int:
    """``alp-tui paper reset``: delete the paper account (balances, orders, history,
    journal); the next ``--paper`` start funds a new one from ``[paper] balances``."""
    parser = _Parser(prog="alp-tui paper",
                     description="Manage the paper account of `alp-tui --paper`.")
    parser.add_argument("action", choices=["reset"], help="reset: start the account over")
    parser.parse_args(list(argv))
    from alp_tui.paper.account import PaperPaths, default_paper_dir

    paths = PaperPaths(default_paper_dir())
    removed = paths.reset()
    if removed:
        print(f"Paper account reset ({paths.root}); the next `alp-tui --paper` starts "
              "with the [paper] balances.")
    else:
        print(f"No paper account at {paths.root}; nothing to reset.")
    return EXIT_OK


def _ask(prompt: str, default: str = "", *, secret: bool = False) -> str:
    shown = f" [{default}]" if default and not secret else ""
    reader = getpass.getpass if secret else input
    answer = reader(f"{prompt}{shown}: ").strip()
    return answer or default


def run_init(argv: Sequence[str]) -> int:
    """``alp-tui init``: ask for the exchange, keys and pair; write a 0600 config."""
    parser = _Parser(prog="alp-tui init", description="Write a config file (mode 0600).")
    parser.add_argument("--config", type=Path, default=None, help="where to write it")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(list(argv))
    path: Path = args.config or default_config_path()
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; use `alp-tui init --force` to overwrite it")
    print(f"Writing {path} (leave the key empty for public-only mode).")
    try:
        base_url = _ask("Exchange base URL", DEFAULT_BASE_URL)
        api_key = _ask("API key", "")
        api_secret = _ask("API secret (not echoed)", "", secret=True) if api_key else ""
        pair = _check_pair(_ask("Pair to show at start", "BTC_USDT"))
        watch = _ask("Watchlist (comma separated)", "BTC_USDT,ETH_USDT")
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)
        return _fail("init cancelled; nothing written", EXIT_ERROR)
    try:
        config = Config.model_validate({
            "exchange": {"base_url": base_url, "api_key": api_key, "api_secret": api_secret},
            "dashboard": {"pair": pair,
                          "watchlist": [w for w in (x.strip() for x in watch.split(",")) if w]},
        })
    except PydanticValidationError as exc:  # one line naming the first problem
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{key}: {first['msg']}") from None
    write_config(path, config)
    print(f"Wrote {path} (mode 0600). Start with: alp-tui")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alp-tui`` console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "sim":
            from alp_tui.sim.cli import main as sim_main

            return sim_main(args_list[1:])
        if args_list and args_list[0] == "serve":
            from alp_tui.web.serve import main as serve_main

            return serve_main(args_list[1:])
        if args_list and args_list[0] == "init":
            return run_init(args_list[1:])
        if args_list and args_list[0] == "paper":
            return run_paper_command(args_list[1:])
        return run_dashboard(build_parser().parse_args(args_list))
    except UsageError as exc:
        return _fail(f"error: {exc} (see alp-tui --help)", EXIT_USAGE)
    except ConfigError as exc:
        return _fail(f"config error: {exc}", EXIT_USAGE)
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # last resort: one line, no traceback
        return _fail(f"{type(exc).__name__}: {exc}", EXIT_ERROR)


def console_main() -> NoReturn:
    """``sys.exit(main())``."""
    sys.exit(main())
