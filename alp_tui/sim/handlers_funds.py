"""The simulator's funding, trading and margin endpoints."""

from __future__ import annotations

from typing import Any

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
from alp_tui.sim.app_call import (
    Call,
    Served,
    check_account,
    currency_window,
    history_filters,
)
from alp_tui.sim.textcheck import text_problem
from alp_tui.sim.wire import FormErrors

# --------------------------------------------------------------------------------------
# Private: funding


def h_deposit_methods(app: Served, call: Call) -> Any:
    """GET /deposit/methods (currency required)."""
    q = call.query
    currency = q.currency("currency", required=True)
    q.check()
    return app.exchange.deposit_methods(call.account_id, currency)


def h_deposits(app: Served, call: Call) -> Any:
    """GET /deposit."""
    return app.exchange.deposits(call.account_id, **currency_window(call))


def h_withdraw_methods(app: Served, call: Call) -> Any:
    """GET /withdraw/methods (currency required)."""
    q = call.query
    currency = q.currency("currency", required=True)
    q.check()
    return app.exchange.withdraw_methods(call.account_id, currency)


def h_withdraw(app: Served, call: Call) -> Any:
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


def h_withdrawals(app: Served, call: Call) -> Any:
    """GET /withdraw."""
    return app.exchange.withdrawals(call.account_id, **currency_window(call))


# --------------------------------------------------------------------------------------
# Private: trading


def h_place_order(app: Served, call: Call) -> Any:
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


def h_cancel_orders(app: Served, call: Call) -> Any:
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


def h_margin_transfer(app: Served, call: Call) -> Any:
    """POST /margin/transfer: the operation id."""
    assert call.body is not None
    b = call.body
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    direction = b.enum("direction", MarginDirection, required=True)
    amount = b.money("amount", required=True)
    currency = b.currency("currency", required=True)
    pair = b.pair("pair")
    note = b.string("note")
    account_id = check_account(app, call, b)
    return app.exchange.margin_transfer(account_id, wallet_type, direction, amount, currency,
                                        pair=pair, note=note)


def h_borrow(app: Served, call: Call) -> Any:
    """POST /margin/borrow: the operation id (the amount field is ``borrow``)."""
    assert call.body is not None
    return app.exchange.borrow(*_loan_args(app, call, "borrow"))


def h_repay(app: Served, call: Call) -> Any:
    """POST /margin/repay: a list holding the operation id. The amount field is
    ``amount``; the reference's table says ``borrow``, so that is read when ``amount`` is
    absent."""
    assert call.body is not None
    b = call.body
    name = "amount" if b.data.get("amount") is not None or "borrow" not in b.data \
        else "borrow"
    return app.exchange.repay(*_loan_args(app, call, name))


def _loan_args(app: Served, call: Call, amount_field: str) -> tuple[Any, ...]:
    """Borrow and repay read the same fields but the amount's name: (account, amount,
    currency, wallet, pair, loan type) in the exchange's argument order."""
    assert call.body is not None
    b = call.body
    amount = b.money(amount_field, required=True)
    currency = b.currency("currency", required=True)
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    pair = b.pair("pair")
    loan_type = b.enum("type", LoanType, default=LoanType.LOAN_MANUAL)
    return check_account(app, call, b), amount, currency, wallet_type, pair, loan_type


def h_close_position(app: Served, call: Call) -> Any:
    """DELETE /margin."""
    assert call.body is not None
    b = call.body
    wallet_type = b.enum("wallet_type", WalletType, required=True)
    pair = b.pair("pair")
    if wallet_type is not None and not wallet_type.is_margin:
        b.errors["wallet_type"] = "must be ISOLATED_MARGIN or CROSS_MARGIN"
    account_id = check_account(app, call, b)
    return app.exchange.close_position(account_id, wallet_type, pair=pair)


def h_loans(app: Served, call: Call) -> Any:
    """GET /margin."""
    q = call.query
    isolated = q.boolean("isolated_margin")
    cross = q.boolean("cross_margin")
    q.check()
    if not isolated and not cross:
        raise FormErrors({"isolated_margin": "set isolated_margin or cross_margin to true"})
    return app.exchange.loans(call.account_id, isolated_margin=isolated, cross_margin=cross)


def h_margin_transfers(app: Served, call: Call) -> Any:
    """GET /margin/transfer."""
    return app.exchange.margin_transfers(call.account_id, **history_filters(call))


def h_borrows(app: Served, call: Call) -> Any:
    """GET /margin/borrow."""
    return app.exchange.borrows(call.account_id, **history_filters(call))


def h_repays(app: Served, call: Call) -> Any:
    """GET /margin/repay."""
    return app.exchange.repays(call.account_id, **history_filters(call))


def h_interests(app: Served, call: Call) -> Any:
    """GET /margin/interest."""
    return app.exchange.interests(call.account_id, **history_filters(call))


def h_liquidations(app: Served, call: Call) -> Any:
    """GET /margin/liquidation."""
    return app.exchange.liquidations(call.account_id, **history_filters(call))
