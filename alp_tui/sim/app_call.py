"""What the simulator's handlers share: the parsed call, the endpoint spec, answers,
and the query helpers several handlers use.

A handler is ``handler(app, call)``: ``app`` gives it the exchange (and, for ``/auth``,
the authenticator); ``call`` the validated request. What it returns is the JSON answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from alp_tui.sim import wire
from alp_tui.sim.auth import Authenticator, Principal
from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import Exchange
from alp_tui.sim.wire import Form, dumps

PREFIX = "/api/v3"
DEFAULT_BODY_LIMIT = 64 * 1024
# The live order book gives 20 levels a side at most.
BOOK_DEPTH = 20
MAX_LIMIT = 1000


class Served(Protocol):
    """What a handler reaches through ``app``."""

    exchange: Exchange
    auth: Authenticator


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


Handler = Callable[[Served, Call], Any]


@dataclass(frozen=True)
class Spec:
    """One endpoint: method, path, handler and its access rules."""

    method: str
    path: str
    handler: Handler
    private: bool = False
    permission: str | None = None
    body: bool = False


# --------------------------------------------------------------------------------------
# Helpers shared by handlers


def required_pair(form: Form) -> str:
    """The live answer for a missing or malformed pair is "pair not found"."""
    raw = form.data.get("pair")
    if raw is None or raw == "":
        raise wire.pair_not_found()
    pair = form.pair("pair")
    if pair is None:
        raise wire.pair_not_found()
    return str(pair)


def row_limit(form: Form, name: str, maximum: int = MAX_LIMIT) -> int | None:
    """An optional row-count limit, capped at ``maximum``."""
    value = form.integer(name, minimum=0, maximum=10**9)
    if value is None:
        return None
    return min(value, maximum)


def check_account(app: Served, call: Call, form: Form) -> int:
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


def currency_window(call: Call) -> dict[str, Any]:
    """The ``currency`` filter and the time window of a funding history query."""
    q = call.query
    currency = q.currency("currency")
    start, end = q.window(call.now)
    q.check()
    return {"currency": currency, "start": start, "end": end}


def history_filters(call: Call) -> dict[str, Any]:
    """The pair / currency filters and time window of an account history query."""
    q = call.query
    pair = q.pair("pair")
    currency = q.currency("currency")
    q.boolean("open_only")  # accepted for compatibility; validated, not applied
    start, end = q.window(call.now)
    q.check()
    return {"pair": pair, "currency": currency, "start": start, "end": end}


