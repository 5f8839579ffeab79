"""Trading endpoints of the ALP.COM v3 API: place and cancel orders.

Neither is ever retried automatically: a lost answer is for the caller to look up
(see :mod:`alp_tui.services.trading`), never to resend.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.client_engine import RequestEngine
from alp_tui.api.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.api.errors import BadResponseError, RequestError
from alp_tui.api.transport import (
    rfc3339,
    to_client_order_id,
    to_datetime,
    to_enum,
    to_money,
    to_pair,
)


class TradingEndpoints(RequestEngine):
    """POST and DELETE /trading/order."""

    last_client_order_id: str | None = None  # the one place_order sent last

    async def place_order(
        self,
        pair: str,
        order_side: OrderSide | str,
        order_type: OrderType | str,
        wallet_type: WalletType | str = "SPOT",
        base_amount: Decimal | str | int | None = None,
        quote_amount: Decimal | str | int | None = None,
        limit_price: Decimal | str | int | None = None,
        stop_price: Decimal | str | int | None = None,
        stop_operator: StopOperator | str | None = None,
        tif: TimeInForce | str | None = None,
        side_effect: SideEffect | str = "NO_SIDE_EFFECT",
        client_order_id: str | None = None,
        expire_after: datetime | str | int | None = None,
        valid_till: datetime | str | int | None = None,
    ) -> list[int]:
        """POST /trading/order; returns the created order ids. Never retried automatically.

        A client order id is generated when none is given; it is left in
        ``last_client_order_id``. Callers that must know it before sending (to journal
        it) call :meth:`new_client_order_id` and pass it in.
        """
        otype = to_enum(OrderType, order_type, "order_type")
        body: dict[str, Any] = {
            "pair": to_pair(pair),
            "order_type": otype,
            "order_side": to_enum(OrderSide, order_side, "order_side"),
            "wallet_type": to_enum(WalletType, wallet_type, "wallet_type"),
            "client_order_id": (self.new_client_order_id() if client_order_id is None
                                else to_client_order_id(client_order_id)),
            "side_effect": to_enum(SideEffect, side_effect, "side_effect"),
            "expire_after": _when(expire_after, "expire_after"),
            "valid_till": _when(valid_till, "valid_till"),
        }
        given = {
            "base_amount": base_amount, "quote_amount": quote_amount,
            "limit_price": limit_price, "stop_price": stop_price,
        }
        needs_limit = otype in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = otype in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET)
        required = ["base_amount"] if needs_limit else []
        if needs_limit:
            required.append("limit_price")
        if needs_stop:
            required.append("stop_price")
        for name in required:
            if given[name] is None:
                raise RequestError(f"A {otype.value} order needs {name}.", field=name)
        if needs_stop and stop_operator is None:
            raise RequestError(f"A {otype.value} order needs stop_operator (GTE or LTE).",
                               field="stop_operator")
        if not needs_limit:
            if base_amount is None and quote_amount is None:
                raise RequestError(f"A {otype.value} order needs base_amount or quote_amount.",
                                   field="base_amount")
            if base_amount is not None and quote_amount is not None:
                raise RequestError(
                    f"A {otype.value} order takes base_amount or quote_amount, not both.",
                    field="quote_amount",
                )
            if limit_price is not None:
                raise RequestError(f"A {otype.value} order takes no limit_price.",
                                   field="limit_price")
        elif quote_amount is not None:
            raise RequestError(f"A {otype.value} order is sized by base_amount, not "
                               "quote_amount.", field="quote_amount")
        if not needs_stop and (stop_price is not None or stop_operator is not None):
            raise RequestError(f"A {otype.value} order takes no stop_price/stop_operator.",
                               field="stop_price")
        for name, value in given.items():
            if value is not None:
                body[name] = to_money(value, name)
        if stop_operator is not None:
            body["stop_operator"] = to_enum(StopOperator, stop_operator, "stop_operator")
        if tif is not None:
            body["tif"] = to_enum(TimeInForce, tif, "tif")
        self.last_client_order_id = body["client_order_id"]
        data = await self._request("POST", "/trading/order", body=body, private=True)
        if isinstance(data, int) and not isinstance(data, bool):
            data = [data]
        if (isinstance(data, list) and data  # no id is no proof the order exists
                and all(isinstance(i, int) and not isinstance(i, bool) for i in data)):
            return list(data)
        raise BadResponseError(
            "The exchange's answer to POST /trading/order is not a list of order ids; the "
            "order may still have been placed, so check open orders before repeating it.",
            endpoint="/trading/order",
        )

    async def cancel_orders(self, order_ids: list[int] | None = None, all: bool = False,
                            pair: str | None = None) -> dict[int, OrderStatus]:
        """DELETE /trading/order by ids, all, or all of one pair; id → new status."""
        body: dict[str, Any]
        if order_ids is not None:
            ids = list(order_ids)
            if not ids or not all_ints(ids):
                raise RequestError("order_ids must be a non-empty list of integer ids.",
                                   field="order_ids")
            body = {"order_ids": ids}
        elif all:
            body = {"all": True}
            if pair is not None:
                body["pair"] = to_pair(pair)
        elif pair is not None:
            body = {"pair": to_pair(pair)}
        else:
            raise RequestError("Say which orders to cancel: order_ids, all=True or pair.",
                               field="order_ids")
        data = await self._request("DELETE", "/trading/order", body=body, private=True,
                                   allow_empty=True)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise BadResponseError(
                "The exchange's answer to DELETE /trading/order is not an object of id → "
                "status; check open orders.",
                endpoint="/trading/order",
            )
        result: dict[int, OrderStatus] = {}
        try:
            for key, status in data.items():
                result[int(key)] = OrderStatus(status)
        except (TypeError, ValueError):
            raise BadResponseError(
                "The exchange's answer to DELETE /trading/order held an unknown order id or "
                "status; check open orders.",
                endpoint="/trading/order",
            ) from None
        return result


def all_ints(values: list[Any]) -> bool:
    """True when every value is an int (bools excluded)."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _when(value: Any, field: str) -> str | int | None:
    """expire_after / valid_till: None, Unix seconds, or a time sent as RFC 3339."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return rfc3339(to_datetime(value, field))
