"""How an order looks on the wire (``GET /accounts/order`` rows and order events)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from alp_tui.sim.engine import Order
from alp_tui.sim.ledger import rfc3339

FEE_QUANTUM = Decimal("1e-8")


def order_public(o: Order) -> dict[str, Any]:
    """The order's API row."""
    # Division would run to the full 60-digit context; 8 decimals is plenty.
    avg = (o.value_filled / o.filled).quantize(FEE_QUANTUM) if o.filled else None
    return {
        "id": o.id,
        "account_id": o.account_id,
        "pair": o.pair,
        "amount": o.amount,
        "price": o.price,
        "side": "BID" if o.is_bid else "ASK",
        "status": o.status.value,
        "type": o.type.value,
        "wallet_type": o.wallet_type.value,
        "amount_canceled": o.cancelled,
        "amount_filled": o.filled,
        "amount_unfilled": unfilled(o),
        "value_filled": o.value_filled,
        "price_avg": avg,
        "quote_amount": o.quote_amount,
        "date": rfc3339(o.created_at),
        "open_at": rfc3339(o.open_at),
        "tif": o.tif.value,
        "updated_at": rfc3339(o.updated_at),
        "done_at": rfc3339(o.done_at),
        "expire_after": rfc3339(o.expire_at),
        "stop_price": o.stop_price,
        "stop_operator": o.stop_operator.value if o.stop_operator else None,
        "client_order_id": o.client_order_id,
        "side_effect": o.side_effect.value,
        "isolated_pair": o.wallet_pair,
    }


def unfilled(o: Order) -> Decimal:
    """What is left to fill, never below zero: an order sized in quote has no base amount,
    so its ``remaining`` counts below zero as it fills."""
    return o.remaining if o.remaining > 0 else Decimal(0)


def in_window(ts: float, start: datetime | None, end: datetime | None) -> bool:
    """True when ``ts`` is in [start, end) (an absent bound is open)."""
    if start is not None and ts < start.timestamp():
        return False
    return not (end is not None and ts >= end.timestamp())
