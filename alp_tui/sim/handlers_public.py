"""The simulator's public endpoints (market data, ``/auth``) and the account's reads."""

from __future__ import annotations

from typing import Any

from alp_tui.api.enums import OrderSide
from alp_tui.sim import wire
from alp_tui.sim.app_call import (
    BOOK_DEPTH,
    Call,
    Served,
    currency_window,
    required_pair,
    row_limit,
)

# --------------------------------------------------------------------------------------
# Public handlers


def h_time(app: Served, call: Call) -> Any:
    """GET /time."""
    return app.exchange.server_time()


def h_currencies(app: Served, call: Call) -> Any:
    """GET /currencies."""
    return app.exchange.currencies()


def h_currency_rates(app: Served, call: Call) -> Any:
    """GET /currency-rates."""
    return app.exchange.currency_rates()


def h_pairs(app: Served, call: Call) -> Any:
    """GET /pairs."""
    q = call.query
    c1 = q.currency("currency1")
    c2 = q.currency("currency2")
    q.check()
    return app.exchange.pairs(currency1=c1, currency2=c2)


def h_ticker(app: Served, call: Call) -> Any:
    """GET /ticker: one object with ``pair`` (or ``pair_id``), else the list."""
    q = call.query
    raw_pair = q.data.get("pair")
    pair_id = q.integer("pair_id", minimum=0)
    q.check()
    if raw_pair not in (None, ""):
        return app.exchange.ticker(required_pair(q))
    if pair_id is not None:
        for row in app.exchange.pairs() or []:
            if isinstance(row, dict) and row.get("id") == pair_id:
                return app.exchange.ticker(str(row.get("name", "")).replace("/", "_"))
        raise wire.pair_not_found()
    return app.exchange.ticker(None)


def h_orderbook(app: Served, call: Call) -> Any:
    """GET /orderbook and /order_book."""
    q = call.query
    pair = required_pair(q)
    group = q.boolean("group")
    # The live exchange serves 20 levels a side at most, also when no limit (or 0) is set.
    limit_buy = row_limit(q, "limit_buy", BOOK_DEPTH) or BOOK_DEPTH
    limit_sell = row_limit(q, "limit_sell", BOOK_DEPTH) or BOOK_DEPTH
    q.check()
    return app.exchange.orderbook(pair, group=group, limit_buy=limit_buy,
                                  limit_sell=limit_sell)


def h_charts(app: Served, call: Call) -> Any:
    """GET /charts."""
    q = call.query
    pair = required_pair(q)
    interval = q.interval("interval")
    since = q.integer("since", minimum=0, maximum=10**11)
    until = q.integer("until", minimum=0, maximum=10**11)
    limit = row_limit(q, "limit")
    if since is not None and until is not None and until < since:
        q.errors["until"] = "must not be before since"
    q.check()
    return app.exchange.charts(pair, interval, since=since, until=until, limit=limit)


def h_trades(app: Served, call: Call) -> Any:
    """GET /trades."""
    q = call.query
    pair = required_pair(q)
    limit = row_limit(q, "limit")
    offset = q.integer("offset", minimum=0, maximum=10**9)
    q.check()
    return app.exchange.trades(pair, limit=limit, offset=offset)


def h_auth(app: Served, call: Call) -> Any:
    """POST /auth: the JWT as a JSON string."""
    assert call.body is not None
    data = call.body.data
    app.auth.verify_login_signature(data.get("api_secret"), call.raw_body,
                                    call.request.headers.get("x-sign"))
    return app.auth.login(data.get("api_key"), data.get("api_secret"))


# --------------------------------------------------------------------------------------
# Private: account


def h_accounts(app: Served, call: Call) -> Any:
    """GET /accounts/accounts."""
    q = call.query
    subs = q.boolean("include_subaccounts")
    q.check()
    return app.exchange.accounts(call.account_id, include_subaccounts=subs)


def h_balances(app: Served, call: Call) -> Any:
    """GET /accounts/balances (``currency`` filter as the official client sends it)."""
    q = call.query
    currency = q.currency("currency")
    q.check()
    rows = app.exchange.balances(call.account_id)
    if currency is not None:
        rows = [r for r in rows if isinstance(r, dict) and r.get("currency") == currency]
    return rows


def h_fees(app: Served, call: Call) -> Any:
    """GET /accounts/feeinfo."""
    return app.exchange.fees(call.account_id)


def h_orders(app: Served, call: Call) -> Any:
    """GET /accounts/order."""
    q = call.query
    pair = q.pair("pair")
    open_only = q.boolean("open_only")
    side = q.enum("side", OrderSide)
    start, end = q.window(call.now)
    q.check()
    return app.exchange.orders(call.account_id, pair=pair, open_only=open_only, side=side,
                               start=start, end=end)


def h_account_trades(app: Served, call: Call) -> Any:
    """GET /accounts/trades."""
    q = call.query
    pair = q.pair("pair")
    side = q.enum("side", OrderSide)
    start, end = q.window(call.now)
    q.check()
    return app.exchange.account_trades(call.account_id, pair=pair, side=side, start=start,
                                       end=end)


def h_activity(app: Served, call: Call) -> Any:
    """GET /accounts/activity."""
    return app.exchange.activity(call.account_id, **currency_window(call))
