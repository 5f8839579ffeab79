"""The feed's frames: money as strings, the public and private frame shapes.

Pure functions (no hub, no connection): what each frame type of the simulator's WebSocket
feed looks like on the wire, as :mod:`alp_tui.api.stream_events` and the official client
read them. Amounts and prices travel as plain decimal strings ("12.5", never exponent
notation); where the official client's handler needs a string an absent value is "".
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

Levels = list[tuple[Decimal, Decimal]]

MAX_TOPICS = 20
MAX_FRAME_BYTES = 800
BOOK_DEPTH = 20
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
CLOSE_RESTART = 1012


def money(value: Any) -> str | None:
    """A money value as the feed's string ("12.5", never exponent notation)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def dumps(frame: list[Any]) -> str:
    """A frame as compact JSON text."""
    return json.dumps(frame, separators=(",", ":"))


def now_s() -> int:
    """A frame's timestamp: integer Unix seconds."""
    return int(time.time())


def enum_value(value: Any) -> Any:
    """An enum's wire value (anything else as it is)."""
    return getattr(value, "value", value)


def levels_from(rows: Any) -> Levels:
    """(price, amount) pairs from the exchange's book rows (dicts or pairs)."""
    out: Levels = []
    for row in rows or []:
        if isinstance(row, dict):
            out.append((Decimal(str(row["price"])), Decimal(str(row["amount"]))))
        else:
            out.append((Decimal(str(row[0])), Decimal(str(row[1]))))
    return out


def book_diff(old: Levels, new: Levels) -> Levels:
    """Per-price amount deltas turning ``old`` into ``new`` (in ``new``'s price order,
    then vanished prices)."""
    before = dict(old)
    after = dict(new)
    out: Levels = []
    for price, amount in new:
        delta = amount - before.get(price, Decimal(0))
        if delta != 0:
            out.append((price, delta))
    for price, amount in old:
        if price not in after:
            out.append((price, -amount))
    return out


def depth_frame(ts: int, pair: str, bids: Levels, asks: Levels) -> list[Any]:
    """A ``p`` frame: the whole top of book a side, with totals."""
    return ["p", ts, {
        "Asks": [[money(p), money(a)] for p, a in asks],
        "Bids": [[money(p), money(a)] for p, a in bids],
        "Symbol": pair,
        "TotalAsks": money(sum((a for _, a in asks), Decimal(0))),
        "TotalBids": money(sum((a for _, a in bids), Decimal(0))),
    }]


def ticker_row(pair: str, t: dict[str, Any] | None) -> list[Any] | None:
    """One ``tk`` row (9 strings) from the exchange's ticker of ``pair``."""
    if not t:
        return None
    last = Decimal(str(t.get("last") or 0))
    diff = Decimal(str(t.get("diff") or 0))
    pct = t.get("diff_percent")
    if pct is None:
        base = last - diff
        pct = (diff / base * 100).quantize(Decimal("0.01")) if last and base else Decimal(0)
    vol = Decimal(str(t.get("vol") or 0))
    quote_vol = t.get("quote_vol")
    if quote_vol is None:
        quote_vol = vol * last
    return [pair, money(last), money(vol), money(Decimal(str(quote_vol))),
            money(Decimal(str(pct))), money(t.get("high") or 0), money(t.get("low") or 0),
            money(t.get("buy") or 0), money(t.get("sell") or 0)]


def order_frame(event: dict[str, Any]) -> list[Any]:
    """An ``o`` frame: one order update, every field where the official client wants it."""
    o = event["order"]
    amount = o.get("amount", o.get("base_amount"))
    filled = o.get("amount_filled") or Decimal(0)
    cancelled = o.get("amount_canceled", o.get("amount_cancelled")) or Decimal(0)
    unfilled = o.get("amount_unfilled")
    if unfilled is None and amount is not None:
        unfilled = Decimal(str(amount)) - Decimal(str(filled)) - Decimal(str(cancelled))
    done_at = o.get("done_at")
    if done_at is not None and not isinstance(done_at, int | Decimal):
        done_at = to_unix(done_at)
    # The official client's handler types every field but the id and the times as a
    # string: an absent price, stop or quote amount travels as "", not null; an order
    # not done yet has done_at 0.
    return ["o", now_s(), int(o["id"]), o["pair"], enum_value(o["side"]),
            enum_value(o["type"]), money(amount) or "",
            money(o.get("price", o.get("limit_price"))) or "", money(unfilled) or "",
            money(filled), money(cancelled), money(o.get("value_filled")) or "0",
            money(o.get("price_avg")) or "", done_at or 0, enum_value(o["status"]),
            money(o.get("quote_amount")) or "", enum_value(o.get("wallet_type", "SPOT")),
            money(o.get("stop_price")) or "", enum_value(o.get("stop_operator")) or ""]


def wallet_frame(event: dict[str, Any]) -> list[Any]:
    """A ``w`` frame: one wallet's balance and reserve."""
    return ["w", now_s(), event["currency"], enum_value(event["wallet_type"]),
            event.get("pair"), money(event["balance"]), money(event["reserve"])]


def account_trade_frame(event: dict[str, Any]) -> list[Any]:
    """A ``ta`` frame: one of the account's own trades."""
    t = event.get("trade", event)
    when = t.get("ts", t.get("timestamp"))
    if when is None and t.get("date") is not None:
        when = to_unix(t["date"])
    return ["ta", now_s(), int(t["id"]), t.get("order_id"), t["pair"],
            enum_value(t.get("side")), money(t["amount"]), money(t["price"]),
            money(t.get("fee_amount") or 0), t.get("fee_currency"), bool(t.get("is_maker")),
            enum_value(t.get("wallet_type", "SPOT")), money(when)]


def to_unix(value: Any) -> int | None:
    """Unix seconds of a datetime or RFC 3339 text (None when it is neither)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None
