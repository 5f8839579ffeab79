"""``alp-tui serve``: the same dashboard in a browser, through textual-serve.

Each browser tab that opens the page gets its own ``python -m alp_tui ...`` process (run
with Textual's web driver) whose terminal xterm.js draws in the page. The dashboard options
(``--demo``, ``--paper``, ``--pair``, ``--config``, ``--no-stream``) are handed to that
process as they are; keys and secrets are not: the process reads them from the config file and the
environment, as ``alp-tui`` does, so they never appear on a command line, in the page, its
URL or this server's log.

Exit codes: 0 stopped by Ctrl+C/SIGTERM, 2 bad usage or config (including a non-loopback
``--host`` without ``--allow-remote``), 1 anything else (e.g. the port is taken).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from asyncio.subprocess import PIPE, Process
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from alp_tui.config import ConfigError, check_pair, default_config_path, load_config
from alp_tui.web.guard import (
    is_loopback,
    refusal_reason,
    remote_refusal,
    remote_warning,
    url_host,
)

log = logging.getLogger("alp_tui.serve")

# The exit codes of alp-tui (see alp_tui.cli).
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

# How long a dashboard may take to quit once told to (its demo simulator stops too), then
# how long after SIGTERM before SIGKILL.
QUIT_GRACE_S = 5.0
KILL_GRACE_S = 2.0
# Each tab is a whole dashboard process; past this many the page is refused rather than
# letting a reload loop (or a stranger with --allow-remote) fill the machine.
MAX_TABS = 16
# A paper account lives in one process (its state in memory, saved to one SQLite file): two
# tabs would be two exchanges overwriting each other's account, so paper is one tab at a time.
PAPER_TABS = 1
PAPER_FULL = ("The paper dashboard is already open in another tab (the paper account lives "
              "in one process). Close that tab, then reload this one.")
# Terminal sizes a tab may ask for at connect time (cells).
MIN_CELLS, MAX_CELLS = 10, 1000


class UsageError(Exception):
    """Bad ``alp-tui serve`` usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``alp-tui serve`` parser; the dashboard options mean what they mean for alp-tui."""
    parser = _Parser(
        prog="alp-tui serve",
        description="Serve the dashboard to a browser (one dashboard process per tab). "
        "Anyone who reaches the page can trade with the configured keys: it listens on "
        "loopback; reach it from elsewhere through an SSH tunnel.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port to listen on, 0 for any free one (default: %(default)s)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host (no login: anyone who reaches it "
                        "can trade)")
    parser.add_argument("--demo", action="store_true",
                        help="each tab runs its own built-in simulator with a demo account")
    parser.add_argument("--paper", action="store_true",
                        help="paper trading, as `alp-tui --paper` (one tab at a time: the "
                        "paper account lives in one process)")
    parser.add_argument("--pair", help="pair selected at start, e.g. BTC_USDT")
    parser.add_argument("--no-stream", dest="stream", action="store_false",
                        help="poll over REST only, without the WebSocket feed")
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: the one alp-tui reads)")
    return parser


def dashboard_argv(args: argparse.Namespace) -> list[str]:
    """The command line of one tab's dashboard: ``python -m alp_tui`` and its options.

    Only options go here, never keys: the process reads those from the config and the
    environment it inherits.
    """
    argv = [sys.executable, "-m", "alp_tui"]
    if args.demo:
        argv.append("--demo")
    if args.paper:
        argv.append("--paper")
    if args.pair:
        argv += ["--pair", args.pair]
    if args.config is not None:
        # Absolute, so the dashboard reads the same file whatever its working directory.
        argv += ["--config", str(args.config.expanduser().resolve())]
    if not args.stream:
        argv.append("--no-stream")
    return argv


async def end_process(process: Process) -> None:
    """Make sure ``process`` has ended: SIGTERM, then SIGKILL if it lingers."""
    if process.returncode is not None:
        return
    for stop in (process.terminate, process.kill):
        try:
            stop()
        except ProcessLookupError:
            break
        try:
            await asyncio.wait_for(process.wait(), KILL_GRACE_S)
            return
        except TimeoutError:
            continue
    await process.wait()


class TabProcess(AppService):
    """The dashboard process behind one browser tab.

    textual-serve's service, started without a shell (no quoting, and the pid we track is
    the dashboard itself), recorded in the server's ``processes`` so a stopping server can
    end every one, and stopped for sure: asked to quit, then signalled.
    """

    def __init__(self, argv: list[str], processes: set[Process], **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self.processes = processes

    @property
    def pid(self) -> int | None:
        """The dashboard's process id (None before it started)."""
        return self._process.pid if self._process is not None else None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=PIPE, stdout=PIPE, stderr=PIPE, env=environment,
            preexec_fn=_end_with_parent())
        self._process = process
        self._stdin = process.stdin
        self.processes.add(process)
        return process

    async def stop(self) -> None:
        """Ask the dashboard to quit; signal it if it has not ended in time."""
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE_S)
        except TimeoutError:
            log.warning("dashboard process %s did not quit in time; stopping it", self.pid)
        finally:
            if self._process is not None:
                await end_process(self._process)
                self.processes.discard(self._process)


def _end_with_parent() -> Callable[[], None] | None:
    """What a tab's process runs before it starts (Linux): ask the kernel to send it SIGTERM
    when this server dies, even by SIGKILL, so no dashboard that can trade outlives it.

    None elsewhere (there, a server killed outright leaves its dashboards running).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    server, sigterm = os.getpid(), int(signal.SIGTERM)
    pr_set_pdeathsig = 1

    def in_child() -> None:
        # Between fork and exec: only a system call, nothing that could need a lock.
        prctl(pr_set_pdeathsig, sigterm)
        if os.getppid() != server:  # the server died before the request took effect
            os.kill(os.getpid(), sigterm)

    return in_child


def _cells(value: str | None, default: int) -> int:
    try:
        number = int(value or default)
    except ValueError:
        number = default
    return max(MIN_CELLS, min(MAX_CELLS, number))


class DashboardServer(Server):
    """textual-serve's server with alp-tui's rules: requests checked against the Host and
    Origin rules of :mod:`alp_tui.web.guard`, page URLs that follow the address the browser
    used, a bounded number of tabs, and every dashboard process ended on the way out."""

    def __init__(self, argv: list[str], host: str, port: int, *, loopback_only: bool,
                 title: str, max_tabs: int = MAX_TABS, full_message: str = "") -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title)
        self.argv = argv
        self.loopback_only = loopback_only
        self.max_tabs = max_tabs
        self.tabs = 0
        self.full_message = full_message or (
            f"{max_tabs} dashboards are open already. Close one, then reload this tab.")
        self.processes: set[Process] = set()
        self.sockets: set[web.WebSocketResponse] = set()

    async def on_startup(self, app: web.Application) -> None:
        """Nothing to print: :func:`serve` prints the URL once it is listening."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab's socket, which stops its dashboard (see handle_websocket)."""
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"alp-tui serve is stopping")

    def _check(self, request: web.Request) -> None:
        reason = refusal_reason(request.headers.get("Host"), request.headers.get("Origin"),
                                loopback_only=self.loopback_only)
        if reason is not None:
            log.warning("refused %s %s from %s: %s", request.method, request.path,
                        request.remote, reason)
            raise web.HTTPForbidden(text=f"alp-tui serve: refused: {reason}\n")

    async def handle_index(self, request: web.Request) -> Any:
        """The page (xterm.js and the socket's URL), after the Host/Origin check."""
        self._check(request)
        # The page's static and socket URLs follow the address the browser used: through
        # an SSH tunnel it may be another port, and 0.0.0.0 is no address to connect to.
        # The Host header was checked to be a plain host[:port] above. Shared state, but
        # textual-serve reads it before its first await, so requests cannot interleave here.
        self.public_url = f"http://{request.host}"
        return await super().handle_index(request)

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file the dashboard hands to the browser, after the same Host/Origin check."""
        self._check(request)
        return await super().handle_download(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: start its dashboard process and relay input, output and resizes."""
        self._check(request)
        ws = web.WebSocketResponse(heartbeat=15)
        await ws.prepare(request)
        if self.tabs >= self.max_tabs:
            log.warning("refused a tab from %s: %d already open", request.remote, self.tabs)
            return await self._say_no(ws, self.full_message)
        self.tabs += 1
        try:
            return await self._run_tab(request, ws)
        finally:
            self.tabs -= 1

    async def _say_no(self, ws: web.WebSocketResponse, message: str) -> web.WebSocketResponse:
        """Show ``message`` in the tab's terminal and keep it there until the tab closes
        (closing the socket would cover it with the page's "Session ended" dialog)."""
        self.sockets.add(ws)
        try:
            await ws.send_bytes(f"\r\n  alp-tui serve: {message}\r\n".encode())
            async for _message in ws:
                pass  # input is ignored; the loop ends when the tab or the server closes
        finally:
            self.sockets.discard(ws)
        return ws

    async def _run_tab(self, request: web.Request,
                       ws: web.WebSocketResponse) -> web.WebSocketResponse:
        tab = TabProcess(self.argv, self.processes, write_bytes=ws.send_bytes,
                         write_str=ws.send_str, close=ws.close,
                         download_manager=self.download_manager)
        self.sockets.add(ws)
        try:
            await tab.start(_cells(request.query.get("width"), 80),
                            _cells(request.query.get("height"), 24))
            log.info("tab opened from %s: dashboard process %s", request.remote, tab.pid)
            await self._process_messages(ws, tab)
        except Exception as exc:  # one line, never a traceback with locals
            log.warning("tab from %s ended on an error: %s: %s", request.remote,
                        type(exc).__name__, exc)
        finally:
            self.sockets.discard(ws)
            await tab.stop()
            await ws.close()
            log.info("tab closed: dashboard process %s ended", tab.pid)
        return ws

    async def run(self, ready: Callable[[str], None]) -> None:
        """Listen until SIGINT, SIGTERM or SIGHUP; ``ready(url)`` once listening."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGHUP"):  # not on Windows
            signals.append(signal.SIGHUP)
        for signum in signals:
            try:
                loop.add_signal_handler(signum, stop.set)
            except NotImplementedError:  # Windows: Ctrl+C raises KeyboardInterrupt instead
                break
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False,
                               shutdown_timeout=QUIT_GRACE_S + 2 * KILL_GRACE_S + 1)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            self.port = _bound_port(runner, self.port)
            ready(_browser_url(self.host, self.port))
            await stop.wait()
            log.info("stopping: ending %d dashboard process(es)", len(self.processes))
        finally:
            await runner.cleanup()
            # Whatever a cancelled tab handler left behind.
            await asyncio.gather(*(end_process(p) for p in list(self.processes)))


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked


def _browser_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()  # "every interface" is no address to open
    return f"http://{url_host(host)}:{port}"


def _checked_args(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed options, the pair made canonical and the config checked (UsageError or
    ConfigError otherwise)."""
    args = build_parser().parse_args(list(argv))
    if args.demo and args.paper:
        raise UsageError("--demo and --paper cannot be combined")
    if args.pair:
        try:
            args.pair = check_pair(args.pair)
        except ValueError as exc:
            raise UsageError(f"--pair: {exc}") from None
    # Check the config here, once, so a bad file is one line now rather than a blank
    # page in every tab; the dashboards read it again themselves.
    load_config(args.config or default_config_path(), required=args.config is not None)
    return args


def _title(args: argparse.Namespace) -> str:
    mode = "demo" if args.demo else "paper" if args.paper else ""
    return f"alp-tui ({mode})" if mode else "alp-tui"


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s alp-tui serve: %(message)s",
                                           datefmt="%H:%M:%S"))
    for name in ("alp_tui.serve", "textual-serve"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: Sequence[str]) -> int:
    """``alp-tui serve [options]``; returns the exit code. Bad usage or config is one line
    on stderr and exit 2."""
    try:
        args = _checked_args(argv)
    except UsageError as exc:
        print(f"alp-tui: error: {exc} (see alp-tui serve --help)", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"alp-tui: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not is_loopback(args.host) and not args.allow_remote:
        print(f"alp-tui: {remote_refusal(args.host, args.port)}", file=sys.stderr)
        return EXIT_USAGE
    _setup_logging()
    if not is_loopback(args.host):
        print(f"alp-tui: {remote_warning(args.host)}", file=sys.stderr, flush=True)
    server = DashboardServer(dashboard_argv(args), args.host, args.port,
                             loopback_only=is_loopback(args.host),
                             title=_title(args),
                             max_tabs=PAPER_TABS if args.paper else MAX_TABS,
                             full_message=PAPER_FULL if args.paper else "")

    def ready(url: str) -> None:
        print(f"alp-tui serve: open {url} in a browser (each tab runs its own dashboard; "
              f"Ctrl+C stops)", flush=True)

    try:
        asyncio.run(server.run(ready))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"alp-tui: cannot listen on {url_host(args.host)}:{args.port}: {reason}",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
