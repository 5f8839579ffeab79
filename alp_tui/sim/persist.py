"""The exchange's objects as state-file documents, and back.

:func:`serialize` turns one changed object (wallet, order, history row, key, account) into
the JSON document :class:`~alp_tui.sim.store.Store` writes; :func:`restore` puts a loaded
state file back into the desks. Market makers' orders, public trades and candles are not
stored: they are regenerated from the seed and the stored last prices.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from alp_tui.api.enums import (
    OrderStatus,
    OrderType,
    SideEffect,
    StopOperator,
    TimeInForce,
    WalletType,
)
from alp_tui.sim.accounts import Accounts, ApiKeyRecord
from alp_tui.sim.engine import Order
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import ActivityRow, Ledger, Record, Wallet
from alp_tui.sim.quotes import MarketData
from alp_tui.sim.store import StateFileError
from alp_tui.sim.trading import OrderDesk

_ENUM_SLOTS = ("type", "status", "tif", "wallet_type", "side_effect", "stop_operator")
_NOT_RECORDS = frozenset({"meta", "account", "apikey", "wallet", "order", "loan"})


def meta(journal: Journal, market: MarketData) -> dict[str, Any]:
    """The counters and last prices document."""
    return {"ids": dict(journal.ids), "last": dict(market.last),
            "last_ts": dict(market.last_ts)}


def serialize(kind: str, oid: int, obj: Any) -> Any:
    """The stored document of one changed object."""
    if kind == "wallet":
        return {"id": obj.id, "account_id": obj.account_id,
                "wallet_type": obj.wallet_type.value, "currency": obj.currency,
                "pair": obj.pair, "balance": obj.balance, "reserve": obj.reserve,
                "updated_at": obj.updated_at}
    if kind == "order":
        data = {slot: getattr(obj, slot) for slot in Order.__slots__ if slot != "wallets"}
        for key in _ENUM_SLOTS:
            if data[key] is not None:
                data[key] = data[key].value
        return data
    if isinstance(obj, Record | ActivityRow):
        return {"account_id": obj.account_id, "ts": obj.ts, "data": obj.data}
    if isinstance(obj, ApiKeyRecord):
        return {**asdict(obj), "row_id": oid}
    return obj  # plain dicts (accounts)


def _order_from_store(row: dict[str, Any]) -> Order:
    order = Order(id=row["id"], account_id=row["account_id"], pair=row["pair"],
                  is_bid=row["is_bid"], type=OrderType(row["type"]),
                  amount=row["amount"], price=row["price"], created_at=row["created_at"])
    for slot in Order.__slots__:
        if slot == "wallets":
            continue
        value = row.get(slot)
        if slot == "status":
            value = OrderStatus(value)
        elif slot == "tif":
            value = TimeInForce(value)
        elif slot == "wallet_type":
            value = WalletType(value)
        elif slot == "side_effect":
            value = SideEffect(value)
        elif slot == "stop_operator":
            value = StopOperator(value) if value else None
        elif slot == "type":
            value = OrderType(value)
        setattr(order, slot, value)
    return order


__all__ = ["StateFileError", "meta", "restore", "serialize"]


def restore(loaded: dict[str, list[Any]], journal: Journal, market: MarketData,
            accounts: Accounts, ledger: Ledger, orders: OrderDesk, *, source: str) -> None:
    """Put a loaded state file back; a :class:`StateFileError` naming ``source`` (the
    file) when a row is malformed."""
    try:
        _restore(loaded, journal, market, accounts, ledger, orders)
    except KeyError as exc:
        raise StateFileError(f"{source}: a stored row is malformed (no {exc} field)") \
            from None
    except Exception as exc:  # any other shape of bad data: all of it is the file's fault
        raise StateFileError(f"{source}: a stored row is malformed "
                             f"({type(exc).__name__}: {exc})") from None


def _restore(loaded: dict[str, list[Any]], journal: Journal, market: MarketData,
             accounts: Accounts, ledger: Ledger, orders: OrderDesk) -> None:
    meta_row = (loaded.get("meta") or [{}])[0]
    journal.ids = {k: int(v) for k, v in meta_row.get("ids", {}).items()}
    for pair, price in meta_row.get("last", {}).items():
        if pair in market.last:
            market.last[pair] = price
    for pair, ts in meta_row.get("last_ts", {}).items():
        if pair in market.last_ts:
            market.last_ts[pair] = ts
    for acc in loaded.get("account", []):
        accounts.rows[acc["id"]] = acc
    for key in loaded.get("apikey", []):
        row_id = key.pop("row_id", None)
        record = ApiKeyRecord(**key)
        accounts.keys[record.api_key] = record
        if row_id is not None:
            accounts.key_ids[record.api_key] = row_id
    for w in loaded.get("wallet", []):
        wallet = Wallet(w["id"], w["account_id"], WalletType(w["wallet_type"]),
                        w["currency"], w["pair"], w["updated_at"])
        wallet.balance = w["balance"]
        wallet.reserve = w["reserve"]
        ledger.add_wallet(wallet)
    for kind, rows in loaded.items():
        if kind in _NOT_RECORDS:
            continue
        for row in rows:
            record = Record(kind, row["data"]["id"], row["account_id"], row["ts"],
                            row["data"])
            if kind == "activity":
                ledger.activity.setdefault(record.account_id, []).append(record)
            else:
                journal.add_loaded(record)
    for row in loaded.get("order", []):
        orders.load(_order_from_store(row))
