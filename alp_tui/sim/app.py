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
- wrong method → 405 with ``Allow``; body over the limit → 413;
- anything unexpected → 500 ``INTERNAL_ERROR`` (logged; the fuzz tests keep it unreachable).

Bodies are read as JSON whatever their ``Content-Type`` says (clients differ; the official
one sends ``application/json``); a body that is not a JSON object is a 400. Unknown fields
are ignored, as the exchange does. Check order on private routes: token (401), X-SIGN
(401), permission (403), then fields (400), so a refused key learns nothing about fields.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from alp_tui.api.enums import (
    LoanType,
    MarginDirection,
    OrderSide,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.sim import wire
from alp_tui.sim.auth import MARGIN, TRADE, WITHDRAW, Authenticator, Principal
from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.textcheck import text_problem
from alp_tui.sim.wire import Form, FormErrors, dumps

log = logging.getLogger(__name__)

PREFIX = "/api/v3"
DEFAULT_BODY_LIMIT = 64 * 1024
# The live order book gives 20 levels a side at most.
BOOK_DEPTH = 20
MAX_LIMIT = 1000


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """A JSON answer with exact decimals."""
    return Response(dumps(value), status_code=status, media_type="application/json",
                    headers=headers)


def error_response(exc: SimError, headers: dict[str, str] | None = None) -> Response:
    """The exchange-shaped error body for ``exc``."""
    return json_response(exc.body(), exc.status, headers)


@dataclass
class Call:
    """What a handler gets: the parsed request and, on private routes, the caller."""

    request: Request
    query: Form
    body: Form | None
    raw_body: bytes
    principal: Principal | None
    now: datetime

    @property
    def account_id(self) -> int:
        """The caller's account id (private routes only)."""
        assert self.principal is not None
        return self.principal.account_id


Handler = Callable[["SimApp", Call], Any]


@dataclass(frozen=True)
class Spec:
    """One endpoint: method, path, handler and its access rules."""

    method: str
    path: str
    handler: Handler
    private: bool = False
    permission: str | None = None
    body: bool = False


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
    ) -> None:
        self.exchange = exchange
        self.auth = auth
        self.live_quirks = live_quirks
        self.body_limit = body_limit
        self.clock = clock
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


# --------------------------------------------------------------------------------------
# Helpers shared by handlers


def _required_pair(form: Form) -> str:
    """The live answer for a missing or malformed pair is "pair not found"."""
    raw = form.data.get("pair")
    if raw is None or raw == "":
        raise wire.pair_not_found()
    pair = form.pair("pair")
    if pair is None:
        raise wire.pair_not_found()
    return str(pair)


def _limit(form: Form, name: str, maximum: int = MAX_LIMIT) -> int | None:
    value = form.integer(name, minimum=0, maximum=10**9)
    if value is None:
        return None
    return min(value, maximum)


def _check_account(app: SimApp, call: Call, form: Form) -> int:
    """The body's ``account_id`` must be the key's account or one of its subaccounts."""
    account_id = form.integer("account_id", minimum=1)
    form.check()
    if account_id is None or account_id == call.account_id:
        return call.account_id
    own = app.exchange.accounts(call.account_id, include_subaccounts=True) or []
    ids = {row.get("id") for row in own if isinstance(row, dict)}
    if account_id not in ids:
        raise SimError(403, "account_id does not belong to this API key", code="FORBIDDEN")
    return account_id


def _currency_window(call: Call) -> dict[str, Any]:
    """The ``currency`` filter and the time window of a funding history query."""
    q = call.query
    currency = q.currency("currency")
    start, end = q.window(call.now)
    q.check()
    return {"currency": currency, "start": start, "end": end}


def _history_filters(call: Call) -> dict[str, Any]:
    q = call.query
    pair = q.pair("pair")
    currency = q.currency("currency")
    q.boolean("open_only")  # accepted for compatibility; validated, not applied
    start, end = q.window(call.now)
    q.check()
    return {"pair": pair, "currency": currency, "start": start, "end": end}


# --------------------------------------------------------------------------------------
# Public handlers


def h_time(app: SimApp, call: Call) -> Any:
    """GET /time."""
    return app.exchange.server_time()


def h_currencies(app: SimApp, call: Call) -> Any:
    """GET /currencies."""
    return app.exchange.currencies()


def h_currency_rates(app: SimApp, call: Call) -> Any:
    """GET /currency-rates."""
    return app.exchange.currency_rates()


def h_pairs(app: SimApp, call: Call) -> Any:
    """GET /pairs."""
    q = call.query
    c1 = q.currency("currency1")
    c2 = q.currency("currency2")
    q.check()
    return app.exchange.pairs(currency1=c1, currency2=c2)


def h_ticker(app: SimApp, call: Call) -> Any:
    """GET /ticker: one object with ``pair`` (or ``pair_id``), else the list."""
    q = call.query
    raw_pair = q.data.get("pair")
    pair_id = q.integer("pair_id", minimum=0)
    q.check()
    if raw_pair not in (None, ""):
        return app.exchange.ticker(_required_pair(q))
    if pair_id is not None:
        for row in app.exchange.pairs() or []:
            if isinstance(row, dict) and row.get("id") == pair_id:
                return app.exchange.ticker(str(row.get("name", "")).replace("/", "_"))
        raise wire.pair_not_found()
    return app.exchange.ticker(None)


def h_orderbook(app: SimApp, call: Call) -> Any:
    """GET /orderbook and /order_book."""
    q = call.query
    pair = _required_pair(q)
    group = q.boolean("group")
    limit_buy = _limit(q, "limit_buy", BOOK_DEPTH)
    limit_sell = _limit(q, "limit_sell", BOOK_DEPTH)
    q.check()
    return app.exchange.orderbook(pair, group=group, limit_buy=limit_buy,
                                  limit_sell=limit_sell)


def h_charts(app: SimApp, call: Call) -> Any:
    """GET /charts."""
    q = call.query
    pair = _required_pair(q)
    interval = q.interval("interval")
    since = q.integer("since", minimum=0, maximum=10**11)
    until = q.integer("until", minimum=0, maximum=10**11)
    limit = _limit(q, "limit")
    if since is not None and until is not None and until < since:
        q.errors["until"] = "must not be before since"
    q.check()
    return app.exchange.charts(pair, interval, since=since, until=until, limit=limit)


def h_trades(app: SimApp, call: Call) -> Any:
    """GET /trades."""
    q = call.query
    pair = _required_pair(q)
    limit = _limit(q, "limit")
    offset = q.integer("offset", minimum=0, maximum=10**9)
    q.check()
    return app.exchange.trades(pair, limit=limit, offset=offset)


def h_auth(app: SimApp, call: Call) -> Any:
    """POST /auth: the JWT as a JSON string."""
    assert call.body is not None
    data = call.body.data
    app.auth.verify_login_signature(data.get("api_secret"), call.raw_body,
                                    call.request.headers.get("x-sign"))
    return app.auth.login(data.get("api_key"), data.get("api_secret"))


# --------------------------------------------------------------------------------------
# Private: account


def h_accounts(app: SimApp, call: Call) -> Any:
    """GET /accounts/accounts."""
    q = call.query
    subs = q.boolean("include_subaccounts")
    q.check()
    return app.exchange.accounts(call.account_id, include_subaccounts=subs)


def h_balances(app: SimApp, call: Call) -> Any:
    """GET /accounts/balances (``currency`` filter as the official client sends it)."""
    q = call.query
    currency = q.currency("currency")
    q.check()
    rows = app.exchange.balances(call.account_id)
    if currency is not None:
        rows = [r for r in rows if isinstance(r, dict) and r.get("currency") == currency]
    return rows


def h_fees(app: SimApp, call: Call) -> Any:
    """GET /accounts/feeinfo."""
    return app.exchange.fees(call.account_id)


def h_orders(app: SimApp, call: Call) -> Any:
    """GET /accounts/order."""
    q = call.query
    pair = q.pair("pair")
    open_only = q.boolean("open_only")
    side = q.enum("side", OrderSide)
    start, end = q.window(call.now)
    q.check()
    return app.exchange.orders(call.account_id, pair=pair, open_only=open_only, side=side,
                               start=start, end=end)


def h_account_trades(app: SimApp, call: Call) -> Any:
    """GET /accounts/trades."""
    q = call.query
    pair = q.pair("pair")
    side = q.enum("side", OrderSide)
    start, end = q.window(call.now)
    q.check()
    return app.exchange.account_trades(call.account_id, pair=pair, side=side, start=start,
                                       end=end)


def h_activity(app: SimApp, call: Call) -> Any:
    """GET /accounts/activity."""
    return app.exchange.activity(call.account_id, **_currency_window(call))


# --------------------------------------------------------------------------------------
# Private: funding


def h_deposit_methods(app: SimApp, call: Call) -> Any:
    """GET /deposit/methods (currency required)."""
    q = call.query
    currency = q.currency("currency", required=True)
    q.check()
    return app.exchange.deposit_methods(call.account_id, currency)


def h_deposits(app: SimApp, call: Call) -> Any:
    """GET /deposit."""
    return app.exchange.deposits(call.account_id, **_currency_window(call))


def h_withdraw_methods(app: SimApp, call: Call) -> Any:
    """GET /withdraw/methods (currency required)."""
    q = call.query
    currency = q.currency("currency", required=True)
    q.check()
    return app.exchange.withdraw_methods(call.account_id, currency)


def h_withdraw(app: SimApp, call: Call) -> Any:
    """POST /withdraw."""
    assert call.body is not None
    b = call.body
    amount = b.money("amount", required=True)
    method = b.integer("method", required=True, minimum=1)
    client_order_id = b.string("client_order_id", max_len=64)
    attributes: dict[str, str] = {}
    raw_attrs = b.data.get("attributes")
    if raw_attrs is None:
        b.errors["attributes"] = "is required"
    elif not isinstance(raw_attrs, dict) or len(raw_attrs) > 20:
        b.errors["attributes"] = "must be an object of at most 20 string values"
    else:
        for key, value in raw_attrs.items():
            if text_problem(key, 64) is not None:
                b.errors["attributes"] = ("names must be text of at most 64 characters "
                                          "(UTF-8, no NUL)")
                break
            problem = text_problem(value, 256) if isinstance(value, str) \
                else "must be a string"
            if problem is not None:
                b.errors["attributes"] = f"{key}: {problem}"
                break
            attributes[key] = value
    b.check()
    return app.exchange.withdraw(call.account_id, amount, method, attributes,
                                 client_order_id=client_order_id)


def h_withdrawals(app: SimApp, call: Call) -> Any:
    """GET /withdraw."""
    return app.exchange.withdrawals(call.account_id, **_currency_window(call))


# --------------------------------------------------------------------------------------
# Private: trading


def h_place_order(app: SimApp, call: Call) -> Any:
    """POST /trading/order: the list of created order ids."""
    assert call.body is not None
    b = call.body
    pair = b.pair("pair", required=True)
    order_type = b.enum("order_type", OrderType, required=True)
    order_side = b.enum("order_side", OrderSide, required=True)
    wallet_type = b.enum("wallet_type", WalletType, default=WalletType.SPOT)
    side_effect = b.enum("side_effect", SideEffect, default=SideEffect.NO_SIDE_EFFECT)
    client_order_id = b.string("client_order_id", max_len=64)
    base_amount = b.money("base_amount")
    quote_amount = b.money("quote_amount")
    limit_price = b.money("limit_price")
    stop_price = b.money("stop_price")
    stop_operator = b.enum("stop_operator", StopOperator)
    tif = b.enum("tif", TimeInForce)
    expire_after = b.time("expire_after")
    valid_till = b.time("valid_till")
    # Shape rules per order type; the engine checks sizes, funds and prices.
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        for name, value in (("base_amount", base_amount), ("limit_price", limit_price)):
            if value is None:
                b.errors.setdefault(name, f"is required for {order_type.value} orders")
    if order_type in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET):
        for name, value in (("stop_price", stop_price), ("stop_operator", stop_operator)):
            if value is None:
                b.errors.setdefault(name, f"is required for {order_type.value} orders")
    if order_type in (OrderType.MARKET, OrderType.STOP_MARKET) \
            and base_amount is None and quote_amount is None:
        b.errors.setdefault("base_amount", "base_amount or quote_amount is required")
    b.check()
    order = {
        "pair": pair,
        "order_type": order_type,
        "order_side": order_side,
        "wallet_type": wallet_type,
        "client_order_id": client_order_id,
        "side_effect": side_effect,
        "base_amount": base_amount,
        "quote_amount": quote_amount,
        "limit_price": limit_price,
        "stop_price": stop_price,
        "stop_operator": stop_operator,
        "tif": tif,
        "expire_after": expire_after,
        "valid_till": valid_till,
    }
    return app.exchange.place_order(call.account_id, order)


def h_cancel_orders(app: SimApp, call: Call) -> Any:
    """DELETE /trading/order: {"<id>": "<status>", ...}."""
    assert call.body is not None
    b = call.body
    raw_ids = b.data.get("order_ids")
    order_ids: list[int] | None = None
    if raw_ids is not None:
        if not isinstance(raw_ids, list) or len(raw_ids) > wire.MAX_LIST:
            b.errors["order_ids"] = f"must be a list of at most {wire.MAX_LIST} order ids"
        else:
            order_ids = []
            for item in raw_ids:
                if isinstance(item, bool) or not isinstance(item, int) \
                        or not 0 < item <= wire.MAX_INT:
                    b.errors["order_ids"] = "must hold positive integer order ids"
                    break
                order_ids.append(item)
    cancel_all = b.boolean("all")
    pair = b.pair("pair")
    b.check()
    if not order_ids and not cancel_all and pair is None:
        raise FormErrors({"order_ids": "give order_ids, all=true or a pair"})
    return app.exchange.cancel_orders(call.account_id, order_ids=order_ids or None,
                                      all=cancel_all, pair=pair)


# --------------------------------------------------------------------------------------
# Private: margin


def h_margin_transfer(app: SimApp, call: Call) -> Any:
    """POST /margin/transfer: the operation id."""
    assert call.body is not None
    b = call.body
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    direction = b.enum("direction", MarginDirection, required=True)
    amount = b.money("amount", required=True)
    currency = b.currency("currency", required=True)
    pair = b.pair("pair")
    note = b.string("note")
    account_id = _check_account(app, call, b)
    return app.exchange.margin_transfer(account_id, wallet_type, direction, amount, currency,
                                        pair=pair, note=note)


def h_borrow(app: SimApp, call: Call) -> Any:
    """POST /margin/borrow: the operation id (the amount field is ``borrow``)."""
    assert call.body is not None
    b = call.body
    amount = b.money("borrow", required=True)
    currency = b.currency("currency", required=True)
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    pair = b.pair("pair")
    loan_type = b.enum("type", LoanType, default=LoanType.LOAN_MANUAL)
    account_id = _check_account(app, call, b)
    return app.exchange.borrow(account_id, amount, currency, wallet_type, pair=pair,
                               loan_type=loan_type)


def h_repay(app: SimApp, call: Call) -> Any:
    """POST /margin/repay: a list holding the operation id. The amount field is
    ``amount``; the reference's table says ``borrow``, so that is read when ``amount`` is
    absent."""
    assert call.body is not None
    b = call.body
    name = "amount" if b.data.get("amount") is not None or "borrow" not in b.data \
        else "borrow"
    amount = b.money(name, required=True)
    currency = b.currency("currency", required=True)
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    pair = b.pair("pair")
    loan_type = b.enum("type", LoanType, default=LoanType.LOAN_MANUAL)
    account_id = _check_account(app, call, b)
    return app.exchange.repay(account_id, amount, currency, wallet_type, pair=pair,
                              loan_type=loan_type)


def h_close_position(app: SimApp, call: Call) -> Any:
    """DELETE /margin."""
    assert call.body is not None
    b = call.body
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    pair = b.pair("pair")
    if wallet_type is not None and not wallet_type.is_margin:
        b.errors["wallet_type"] = "must be ISOLATED_MARGIN or CROSS_MARGIN"
    account_id = _check_account(app, call, b)
    return app.exchange.close_position(account_id, wallet_type, pair=pair)


def h_loans(app: SimApp, call: Call) -> Any:
    """GET /margin."""
    q = call.query
    isolated = q.boolean("isolated_margin")
    cross = q.boolean("cross_margin")
    q.check()
    if not isolated and not cross:
        raise FormErrors({"isolated_margin": "set isolated_margin or cross_margin to true"})
    return app.exchange.loans(call.account_id, isolated_margin=isolated, cross_margin=cross)


def h_margin_transfers(app: SimApp, call: Call) -> Any:
    """GET /margin/transfer."""
    return app.exchange.margin_transfers(call.account_id, **_history_filters(call))


def h_borrows(app: SimApp, call: Call) -> Any:
    """GET /margin/borrow."""
    return app.exchange.borrows(call.account_id, **_history_filters(call))


def h_repays(app: SimApp, call: Call) -> Any:
    """GET /margin/repay."""
    return app.exchange.repays(call.account_id, **_history_filters(call))


def h_interests(app: SimApp, call: Call) -> Any:
    """GET /margin/interest."""
    return app.exchange.interests(call.account_id, **_history_filters(call))


def h_liquidations(app: SimApp, call: Call) -> Any:
    """GET /margin/liquidation."""
    return app.exchange.liquidations(call.account_id, **_history_filters(call))


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
