"""Run the simulator over real HTTP: uvicorn on loopback in a background thread.

>>> server = SimServer(seed=1, market_life=False)
>>> url = server.start()          # "http://127.0.0.1:PORT/api/v3", listening on return
>>> server.api_key, server.api_secret
>>> server.faults.add(FaultRule(kind="status", path="/api/v3/orderbook", status=503, count=2))
>>> server.restart()              # same port; state reloaded from the same state file
>>> server.stop()

The server thread owns its own event loop; it serves requests and, unless market life is
off, calls ``exchange.step()`` every ``tick_s`` seconds. It binds 127.0.0.1 unless another
host is asked for, and warns when it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.routing import BaseRoute

from alp_tui.sim.app import DEFAULT_BODY_LIMIT, SimApp
from alp_tui.sim.auth import Authenticator
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.faults import FaultInjector, FaultMiddleware
from alp_tui.sim.http_guard import DEFAULT_BODY_TIMEOUT_S, DEFAULT_HEADER_TIMEOUT_S, guarded_h11
from alp_tui.sim.ws import FeedHub, FeedOptions, feed_routes

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 15.0


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Uvicorn(uvicorn.Server):
    """uvicorn with a prompt stop (an event rather than a 0.1 s poll) and the market tick
    running in its loop."""

    def __init__(self, config: uvicorn.Config, owner: SimServer) -> None:
        super().__init__(config)
        self.owner = owner
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._tick_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        if self.owner.market_life:
            self._tick_task = asyncio.create_task(self._tick())
        self.ready.set()

    async def main_loop(self) -> None:
        assert self._wake is not None
        await self.on_tick(0)  # sets the Date header before the first request
        while not self.should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            if await self.on_tick(0):  # refreshes the Date header
                break

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
        await super().shutdown(sockets=sockets)

    def request_stop(self) -> None:
        """Ask the loop to exit (from any thread)."""
        self.should_exit = True
        if self.loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._wake.set)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.owner.tick_s)
            try:
                self.owner.exchange.step()
            except Exception:
                log.exception("simulator: market step failed")


class SimServer:
    """The simulated exchange served over HTTP on a background thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        state_path: str = ":memory:",
        api_key: str | None = None,
        api_secret: str | None = None,
        market_life: bool = True,
        tick_s: float = 1.0,
        live_quirks: bool = False,
        body_limit: int = DEFAULT_BODY_LIMIT,
        token_ttl_s: float = 3600.0,
        fault_seed: int | None = None,
        fault_control: bool = False,
        extra_routes: list[BaseRoute] | None = None,
        exchange_factory: Callable[..., Exchange] | None = None,
        access_log: bool = False,
        header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
        body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
        rate_limit_per_s: float | None = None,
    ) -> None:
        if not is_loopback(host):
            msg = (f"the simulator will listen on {host}, reachable from other machines; "
                   "its demo credentials are printed in clear")
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            log.warning(msg)
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        self.host = host
        self.port = port
        self.seed = seed
        self.state_path = state_path
        self.api_key = api_key or f"sim-{secrets.token_hex(8)}"
        self.api_secret = api_secret or secrets.token_hex(32)
        self.market_life = market_life
        self.tick_s = tick_s
        self.live_quirks = live_quirks
        self.body_limit = body_limit
        self.token_ttl_s = token_ttl_s
        self.access_log = access_log  # method, path, query and status; never headers
        # A request's head / body must arrive within these (else 408 and the connection
        # closes), so a half-sent request can't hold a connection.
        self.http_protocol = guarded_h11(header_timeout_s, body_timeout_s)
        self.fault_control = fault_control
        self.rate_limit_per_s = rate_limit_per_s  # None: never 429 on its own
        self.extra_routes = list(extra_routes or [])
        # Tests of the HTTP layer alone may pass a stand-in with the same interface.
        self.exchange_factory = exchange_factory or Exchange
        self.faults = FaultInjector(seed if fault_seed is None else fault_seed)
        self.account_id: int | None = None
        self.exchange: Exchange = None  # type: ignore[assignment]  # set by start()
        self.auth: Authenticator = None  # type: ignore[assignment]
        self.sim_app: SimApp | None = None
        self.feed: FeedHub | None = None  # the WebSocket feed at /ws and /alp-ws
        self.app: Any = None
        self._uvicorn: _Uvicorn | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._exchange_open = False

    def __repr__(self) -> str:
        # Never the secret: a repr ends up in logs and tracebacks.
        state = "running" if self.running else "stopped"
        return f"SimServer({self.host}:{self.port}, {state}, api_key={self.api_key!r})"

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/api/v3`` (valid once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api/v3"

    def start(self) -> str:
        """Open the exchange, bind, serve; returns the base URL once listening."""
        with self._lock:
            if self.running:
                return self.base_url
            if not self._exchange_open:
                self._open_exchange()
            sock = self._bind()
            self._socket = sock
            self.port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.app,
                log_level="info" if self.access_log else "warning",
                access_log=self.access_log,
                lifespan="off",
                http=self.http_protocol,
                ws="websockets-sansio",
                ws_ping_interval=20.0,
                ws_ping_timeout=20.0,
                timeout_graceful_shutdown=2,
                # Like nginx's default: a client pool kept warm for 30 s finds its
                # connections still open (uvicorn's own default is 5 s).
                timeout_keep_alive=75,
                server_header=False,
            )
            server = _Uvicorn(config, self)
            self._uvicorn = server
            thread = threading.Thread(target=self._run, args=(server, sock),
                                      name=f"alp-sim:{self.port}", daemon=True)
            self._thread = thread
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT_S
            while not server.ready.wait(0.05):
                if not thread.is_alive() or time.monotonic() > deadline:
                    self._cleanup_failed_start()
                    raise RuntimeError(f"simulator failed to start on {self.host}:{self.port}")
            return self.base_url

    def stop(self) -> None:
        """Stop serving and close the exchange (flushing its state file). Idempotent."""
        with self._lock:
            server, thread = self._uvicorn, self._thread
            if server is not None:
                server.request_stop()
            if thread is not None:
                thread.join(timeout=10)
            self._uvicorn = None
            self._thread = None
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.close()
                self._socket = None
            if self.exchange is not None and self._exchange_open:
                self._exchange_open = False
                try:
                    self.exchange.close()
                except Exception:
                    log.exception("simulator: closing the exchange failed")

    def restart(self) -> str:
        """Stop, then start again on the same port with the exchange reloaded from the
        same state file (``:memory:`` starts afresh). Tokens stay valid: the signing key
        belongs to this server object, like a real server's configured key."""
        self.stop()
        return self.start()

    def asgi(self) -> Any:
        """The ASGI app (faults included) over a freshly opened exchange, without any
        socket: for in-process tests with ``httpx.ASGITransport(app=server.asgi())``.
        Dropped-connection faults need a real socket and raise there instead. Call
        ``stop()`` afterwards to close the exchange."""
        with self._lock:
            if not self._exchange_open:
                self._open_exchange()
            return self.app

    def token(self, ttl_s: float | None = None) -> str:
        """A JWT for the demo key, as ``POST /auth`` would issue (``ttl_s`` < 0 gives an
        expired one). For tests and in-process callers."""
        record = self.exchange.find_api_key(self.api_key)
        if record is None:
            raise RuntimeError("the demo key is not registered; call start() first")
        return self.auth.issue(record, ttl_s=ttl_s)

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------
    def _open_exchange(self) -> None:
        self.exchange = self.exchange_factory(seed=self.seed, state_path=self.state_path,
                                 market_life=self.market_life)
        self._exchange_open = True
        self.account_id = self.exchange.create_demo_account(self.api_key, self.api_secret)
        if self.auth is None:
            self.auth = Authenticator(self.exchange.find_api_key, token_ttl_s=self.token_ttl_s)
        else:
            self.auth.set_key_lookup(self.exchange.find_api_key)
        if self.sim_app is None:
            self.feed = FeedHub(self.exchange, options=FeedOptions(live_quirks=self.live_quirks),
                                authenticate=self._feed_account)
            self.sim_app = SimApp(self.exchange, self.auth, live_quirks=self.live_quirks,
                                  body_limit=self.body_limit,
                                  rate_limit_per_s=self.rate_limit_per_s,
                                  extra_routes=[*self.extra_routes, *feed_routes(self.feed)])
            self.app = FaultMiddleware(self.sim_app.app, self.faults,
                                       control=self.fault_control)
        else:
            self.sim_app.set_exchange(self.exchange)
            if self.feed is not None:
                self.feed.set_exchange(self.exchange)

    def _feed_account(self, token: str) -> int | None:
        """The account behind a WebSocket ``auth`` JWT (raises when it is refused)."""
        return self.auth.authenticate(f"Bearer {token}").account_id

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted
        # sockets whose proto says TCP, and without it every response waits ~40 ms for a
        # delayed ACK between the header and body writes. Set it here too; Linux passes it
        # on to accepted sockets.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Reuse lets restart() rebind the same port at once despite TIME_WAIT sockets.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
            sock.listen(512)
        except OSError:
            sock.close()
            if self.exchange is not None and self._exchange_open:
                self._exchange_open = False
                self.exchange.close()
            raise
        sock.setblocking(False)
        return sock

    def _run(self, server: _Uvicorn, sock: socket.socket) -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException:
            log.exception("simulator: server thread crashed")

    def _cleanup_failed_start(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._uvicorn = None
        self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
