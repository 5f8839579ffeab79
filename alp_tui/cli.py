"""Command line: ``alp-tui [--demo] [--pair P] [--config PATH]``, ``alp-tui init``,
``alp-tui sim ...``.

Exit codes: 0 ok, 2 bad usage or bad config (one line naming file and key), 1 anything else.
An expected failure never shows a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError as PydanticValidationError

from alp_tui import __version__
from alp_tui.api.enums import normalize_pair
from alp_tui.config import (
    DEFAULT_BASE_URL,
    Config,
    ConfigError,
    default_config_path,
    load_config,
    write_config,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
PAIR_RE = re.compile(r"^[A-Z0-9]{1,16}_[A-Z0-9]{1,16}$")


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
        "Subcommands: `alp-tui init` writes a config; `alp-tui sim` runs the simulator.",
    )
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in simulator with a demo account")
    parser.add_argument("--pair", help="pair selected at start, e.g. BTC_USDT")
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
    if args.demo:
        return _run_demo(config, path)
    from alp_tui.api.errors import RequestError
    from alp_tui.ui.app import create_app

    try:
        app = create_app(config, mode="live", config_path=path, stream=True)
    except RequestError as exc:
        raise ConfigError(f"{path}: exchange.base_url: {exc}") from None
    app.run()
    return app.return_code or EXIT_OK


def _run_demo(config: Config, path: Path) -> int:
    from alp_tui.sim.server import SimServer
    from alp_tui.ui.app import create_app

    server = SimServer(host="127.0.0.1", port=0, market_life=True)
    base_url = server.start()
    try:
        app = create_app(
            config,
            base_url=base_url,
            api_key=server.api_key,
            api_secret=server.api_secret,
            mode="demo",
            config_path=path if path.exists() else None,
            stream=True,
        )
        app.run()
        return app.return_code or EXIT_OK
    finally:
        server.stop()


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
        if args_list and args_list[0] == "init":
            return run_init(args_list[1:])
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
