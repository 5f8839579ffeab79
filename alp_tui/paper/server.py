"""Run the paper exchange over HTTP on loopback, in a background thread.

>>> server = PaperServer("https://www.alp.com/api/v3")
>>> url = server.start()     # "http://127.0.0.1:PORT/api/v3", listening on return
>>> server.api_key, server.api_secret     # the local paper key, for the dashboard
>>> server.stop()

It is the simulator's server (:class:`~alp_tui.sim.server.SimServer`: uvicorn, the HTTP
app, the WebSocket feed) over a :class:`~alp_tui.paper.account.PaperExchange`, with the
:class:`~alp_tui.paper.gateway.PaperGateway` in front. The upstream is only ever reached
through clients built without credentials.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from alp_tui.api.client import AlpClient
from alp_tui.api.stream import ws_url_for
from alp_tui.paper.account import (
    PAPER_API_KEY,
    PaperExchange,
    PaperPaths,
    default_paper_dir,
    open_paper_account,
)
from alp_tui.paper.driver import MarketDriver
from alp_tui.paper.gateway import PaperGateway, UpstreamForwarder
from alp_tui.paper.listing import (
    Listing,
    fee_schedule,
    fetch_listing,
    load_listing,
    run_blocking,
    save_listing,
)
from alp_tui.paper.relay import UpstreamFeed
from alp_tui.sim.server import SimServer
from alp_tui.sim.store import StateFileError

log = logging.getLogger(__name__)

DEFAULT_BALANCES = {"USDT": Decimal("10000"), "BTC": Decimal("0.1")}
DEFAULT_MAKER_FEE = Decimal("0.0015")
DEFAULT_TAKER_FEE = Decimal("0.002")


class PaperError(Exception):
    """Paper mode cannot start (the message is one sentence for the user)."""


class PaperServer:
    """The paper exchange served on loopback."""

    def __init__(
        self,
        upstream_url: str,
        *,
        root: Path | None = None,
        balances: Mapping[str, Decimal] | None = None,
        maker_fee: Decimal = DEFAULT_MAKER_FEE,
        taker_fee: Decimal = DEFAULT_TAKER_FEE,
        timeout_s: float = 10.0,
        allow_insecure: bool = False,
        tick_s: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream_url = upstream_url
        self.paths = PaperPaths(root or default_paper_dir())
        self.balances = dict(DEFAULT_BALANCES if balances is None else balances)
        self.maker_fee = Decimal(maker_fee)
        self.taker_fee = Decimal(taker_fee)
        self.timeout_s = timeout_s
        self.allow_insecure = allow_insecure
        self.tick_s = tick_s
        self.host = host
        self.port = port
        self.api_key = PAPER_API_KEY
        self.api_secret = secrets.token_hex(32)
        self.account_id: int | None = None
        self.exchange: PaperExchange | None = None
        self.driver: MarketDriver | None = None
        self.gateway: PaperGateway | None = None
        self._sim: SimServer | None = None

    def __repr__(self) -> str:
        return f"PaperServer(upstream={self.upstream_url!r}, root={str(self.paths.root)!r})"

    def _upstream_client(self) -> AlpClient:
        # No key, no secret: this client cannot sign in or sign anything.
        return AlpClient(self.upstream_url, None, None, self.timeout_s,
                         allow_insecure=self.allow_insecure)

    def _listing(self) -> Listing:
        saved = load_listing(self.paths.listing)

        async def fetch() -> Listing:
            async with self._upstream_client() as client:
                return await fetch_listing(client)

        try:
            listing = run_blocking(fetch())
        except Exception as exc:
            if saved is None:
                path = self.paths.listing
                kept = (f"; the pair list saved at {path} could not be read either"
                        if path.exists() else "; paper mode needs the exchange's market "
                        "data at least once")
                raise PaperError(f"cannot list the pairs of {self.upstream_url} "
                                 f"({type(exc).__name__}: {exc}){kept}") from None
            log.warning("paper: upstream listing failed (%s); using the saved one", exc)
            listing = saved
        else:
            if saved is not None:
                listing = listing.merged_over(saved)
        listing = listing.with_currencies(list(self.balances))
        save_listing(self.paths.listing, listing)
        return listing

    def start(self) -> str:
        """Open the paper account, start serving; returns the local base URL."""
        if self._sim is not None:
            return self._sim.base_url
        self.paths.prepare()
        listing = self._listing()
        try:
            exchange = PaperExchange(state_path=str(self.paths.state), market_life=False,
                                     pairs=listing.pairs, currencies=listing.currencies,
                                     fee_schedule=fee_schedule(self.maker_fee, self.taker_fee))
        except StateFileError as exc:  # kept as it is: it is the user's account to decide on
            raise PaperError(f"the paper account cannot be read ({exc}); `alp-tui paper "
                             "reset` deletes it and the next start funds a new one") from None
        try:
            self.account_id = open_paper_account(exchange, self.api_secret, self.balances)
            self.exchange = exchange
            self.driver = MarketDriver(exchange, self._upstream_client(), tick_s=self.tick_s)

            def factory(**_: Any) -> PaperExchange:
                return exchange

            sim = SimServer(host=self.host, port=self.port, api_key=self.api_key,
                            api_secret=self.api_secret, market_life=False,
                            exchange_factory=factory)
            self.gateway = PaperGateway(
                sim.asgi(), UpstreamForwarder(self.upstream_url, timeout_s=self.timeout_s),
                self.driver, feed=UpstreamFeed(ws_url_for(self.upstream_url)))
            sim.app = self.gateway
            self._sim = sim
            return sim.start()
        except BaseException:
            self._sim = None
            exchange.close()
            raise

    @property
    def base_url(self) -> str:
        """The local ``http://127.0.0.1:PORT/api/v3`` (once started)."""
        if self._sim is None:
            raise RuntimeError("the paper server is not started")
        return self._sim.base_url

    def stop(self) -> None:
        """Stop serving and close the paper account (its state is on disk). Idempotent."""
        sim, self._sim = self._sim, None
        if sim is not None:
            sim.stop()

    def __enter__(self) -> PaperServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
