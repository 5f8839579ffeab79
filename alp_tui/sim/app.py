"""The simulator's HTTP face: a Starlette app serving the ALP v3 reference under
``/api/v3`` at the reference's paths.

Every handler reads its inputs with :mod:`alp_tui.sim.wire` (strict, total validation),
checks auth with :mod:`alp_tui.sim.auth`, calls the :class:`~alp_tui.sim.exchange.Exchange`
facade and writes the answer with :func:`alp_tui.sim.wire.dumps` (exact decimals).

Error answers follow the exchange:

- bad fields → 400 ``{"formErrors": {field: message}}``; unknown or missing pair on a
  public query → 400 ``{"code": "BAD_REQUEST", "message": "pair not found"}``;
- missing/bad/expired token, missing/bad X-SIGN → 401 ``UNAUTHORIZED``;
- missing permission → 403 naming it ("Trade", "Can Withdraw", "Margin");
- unknown path under ``/api/v3`` → 404 ``NOT_FOUND``. The live exchange answers 401
  ``UNAUTHORIZED`` there instead; ``live_quirks=True`` reproduces that;
- wrong method → 405 with ``Allow``; an Accept header without JSON → 406; body over the
  limit → 413; past the opt-in request budget → 429 with ``Retry-After`` (seconds);
- anything unexpected → 500 ``INTERNAL_ERROR`` (logged; the fuzz tests keep it unreachable).

Bodies are read as JSON whatever their ``Content-Type`` says (clients differ; the official
one sends ``application/json``); a body that is not a JSON object is a 400. Unknown fields
are ignored, as the exchange does. Check order on private routes: token (401), X-SIGN
(401), permission (403), then fields (400), so a refused key learns nothing about fields.

Split by job: this module routes and guards (body limit, auth, signature, permission,
error answers) and lists the endpoints (``SPECS``); the handlers are in
:mod:`~alp_tui.sim.handlers_public` (market data, ``/auth``, account reads) and
:mod:`~alp_tui.sim.handlers_funds` (funding, trading, margin), what they share in
:mod:`~alp_tui.sim.app_call`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from alp_tui.sim import wire
from alp_tui.sim.app_call import (
    DEFAULT_BODY_LIMIT,
    PREFIX,
    Call,
    Spec,
    error_response,
    json_response,
)
from alp_tui.sim.auth import MARGIN, TRADE, WITHDRAW, Authenticator
from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.handlers_funds import (
    h_borrow,
    h_borrows,
    h_cancel_orders,
    h_close_position,
    h_deposit_methods,
    h_deposits,
    h_interests,
    h_liquidations,
    h_loans,
    h_margin_transfer,
    h_margin_transfers,
    h_place_order,
    h_repay,
    h_repays,
    h_withdraw,
    h_withdraw_methods,
    h_withdrawals,
)
from alp_tui.sim.handlers_public import (
    h_account_trades,
    h_accounts,
    h_activity,
    h_auth,
    h_balances,
    h_charts,
    h_currencies,
    h_currency_rates,
    h_fees,
    h_orderbook,
    h_orders,
    h_pairs,
    h_ticker,
    h_time,
    h_trades,
)
from alp_tui.sim.rate_limit import RateLimiter
from alp_tui.sim.wire import Form, FormErrors

__all__ = ["DEFAULT_BODY_LIMIT", "PREFIX", "SPECS", "SimApp", "Spec", "create_app"]

log = logging.getLogger(__name__)


def accepts_json(accept: str | None) -> bool:
    """True unless an Accept header names only formats that are not JSON (406 then)."""
    if accept is None or not accept.strip():
        return True
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media in ("*/*", "application/*") or "json" in media:
            return True
    return False


class SimApp:
    """Builds the ASGI app around an exchange and an authenticator; the exchange can be
    swapped (``set_exchange``) when the server restarts."""

    def __init__(
        self,
        exchange: Exchange,
        auth: Authenticator,
        *,
        live_quirks: bool = False,
        body_limit: int = DEFAULT_BODY_LIMIT,
        clock: Callable[[], float] = time.time,
        extra_routes: list[BaseRoute] | None = None,
        rate_limit_per_s: float | None = None,
    ) -> None:
        self.exchange = exchange
        self.auth = auth
        self.live_quirks = live_quirks
        self.body_limit = body_limit
        self.clock = clock
        self.limiter = RateLimiter(rate_limit_per_s) if rate_limit_per_s else None
        by_path: dict[str, dict[str, Spec]] = {}
        for spec in SPECS:
            by_path.setdefault(spec.path, {})[spec.method] = spec
        routes: list[BaseRoute] = []
        for path, methods in by_path.items():
            routes.append(Route(PREFIX + path, self._endpoint(methods),
                                methods=list(methods)))
        routes.extend(extra_routes or [])
        self.app = Starlette(routes=routes)
        self.app.add_exception_handler(405, self._method_not_allowed)  # type: ignore[arg-type]
        self.app.add_exception_handler(404, self._not_found)  # type: ignore[arg-type]

    def set_exchange(self, exchange: Exchange) -> None:
        """Serve another exchange instance (after a restart)."""
        self.exchange = exchange

    # --- framework glue ------------------------------------------------------------------
    async def _not_found(self, request: Request, exc: Exception) -> Response:
        if self.live_quirks and request.url.path.startswith(PREFIX):
            return error_response(SimError(401, "unauthorized", code="UNAUTHORIZED"))
        return error_response(SimError(404, f"no such endpoint: {request.url.path}",
                                       code="NOT_FOUND"))

    async def _method_not_allowed(self, request: Request, exc: Exception) -> Response:
        headers = getattr(exc, "headers", None) or {}
        return error_response(SimError(405, f"method {request.method} not allowed",
                                       code="METHOD_NOT_ALLOWED"), dict(headers))

    def _endpoint(self, methods: dict[str, Spec]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            spec = methods.get(request.method)
            if spec is None and request.method == "HEAD":
                spec = methods.get("GET")
            if spec is None:  # HEAD on a GET route and the like
                allow = ", ".join(sorted(methods))
                return error_response(SimError(405, f"method {request.method} not allowed",
                                               code="METHOD_NOT_ALLOWED"), {"Allow": allow})
            wait = self.limiter.take() if self.limiter is not None else None
            if wait is not None:
                return error_response(SimError(429, "too many requests"),
                                      {"Retry-After": str(max(1, math.ceil(wait)))})
            if not accepts_json(request.headers.get("accept")):
                return error_response(SimError(406, "only application/json is served",
                                               code="NOT_ACCEPTABLE"))
            try:
                call = await self._prepare(spec, request)
                result = spec.handler(self, call)
                return json_response(result)
            except FormErrors as exc:
                return error_response(exc.to_sim_error())
            except SimError as exc:
                return error_response(exc)
            except ClientDisconnect:
                # The client went away before its body arrived (it timed out or was
                # killed): nothing was processed and nobody reads an answer. Not a bug.
                return error_response(SimError(400, "client disconnected before the body "
                                               "was complete", code="BAD_REQUEST"))
            except Exception:
                log.exception("simulator: unexpected error in %s %s", request.method,
                              request.url.path)
                return error_response(SimError(500, "internal error", code="INTERNAL_ERROR"))
        return endpoint

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isascii() or not declared.strip().isdigit():
                raise SimError(400, "bad Content-Length", code="BAD_REQUEST")
            if int(declared) > self.body_limit:
                raise SimError(413, f"request body over {self.body_limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.body_limit:
                raise SimError(413, f"request body over {self.body_limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _prepare(self, spec: Spec, request: Request) -> Call:
        raw = await self._read_body(request)
        principal = None
        if spec.private:
            principal = self.auth.authenticate(request.headers.get("authorization"))
            if raw:
                self.auth.verify_signature(principal, raw, request.headers.get("x-sign"))
            principal.require(spec.permission)
        body = Form(wire.loads_body(raw)) if spec.body else None
        query = Form(dict(request.query_params))
        now = datetime.fromtimestamp(self.clock(), UTC)
        return Call(request, query, body, raw, principal, now)


SPECS: tuple[Spec, ...] = (
    # public
    Spec("GET", "/time", h_time),
    Spec("GET", "/currencies", h_currencies),
    Spec("GET", "/currency-rates", h_currency_rates),
    Spec("GET", "/pairs", h_pairs),
    Spec("GET", "/ticker", h_ticker),
    Spec("GET", "/orderbook", h_orderbook),
    Spec("GET", "/order_book", h_orderbook),
    Spec("GET", "/charts", h_charts),
    Spec("GET", "/trades", h_trades),
    Spec("POST", "/auth", h_auth, body=True),
    # account
    Spec("GET", "/accounts/accounts", h_accounts, private=True),
    Spec("GET", "/accounts/balances", h_balances, private=True),
    Spec("GET", "/accounts/feeinfo", h_fees, private=True),
    Spec("GET", "/accounts/order", h_orders, private=True),
    Spec("GET", "/accounts/trades", h_account_trades, private=True),
    Spec("GET", "/accounts/activity", h_activity, private=True),
    # funding
    Spec("GET", "/deposit/methods", h_deposit_methods, private=True),
    Spec("GET", "/deposit", h_deposits, private=True),
    Spec("GET", "/withdraw/methods", h_withdraw_methods, private=True, permission=WITHDRAW),
    Spec("POST", "/withdraw", h_withdraw, private=True, permission=WITHDRAW, body=True),
    Spec("GET", "/withdraw", h_withdrawals, private=True, permission=WITHDRAW),
    # trading
    Spec("POST", "/trading/order", h_place_order, private=True, permission=TRADE, body=True),
    Spec("DELETE", "/trading/order", h_cancel_orders, private=True, permission=TRADE,
         body=True),
    # margin
    Spec("POST", "/margin/transfer", h_margin_transfer, private=True, permission=MARGIN,
         body=True),
    Spec("GET", "/margin/transfer", h_margin_transfers, private=True, permission=MARGIN),
    Spec("POST", "/margin/borrow", h_borrow, private=True, permission=MARGIN, body=True),
    Spec("GET", "/margin/borrow", h_borrows, private=True, permission=MARGIN),
    Spec("POST", "/margin/repay", h_repay, private=True, permission=MARGIN, body=True),
    Spec("GET", "/margin/repay", h_repays, private=True, permission=MARGIN),
    Spec("DELETE", "/margin", h_close_position, private=True, permission=MARGIN, body=True),
    Spec("GET", "/margin", h_loans, private=True, permission=MARGIN),
    Spec("GET", "/margin/interest", h_interests, private=True, permission=MARGIN),
    Spec("GET", "/margin/liquidation", h_liquidations, private=True, permission=MARGIN),
)


def create_app(exchange: Exchange, auth: Authenticator, **kwargs: Any) -> SimApp:
    """Build the simulator's app; ``.app`` is the ASGI callable (without faults)."""
    return SimApp(exchange, auth, **kwargs)
