"""The exchange's id counters, history records and the change journal of one call.

Every desk (orders, margin, funding) writes through one :class:`Journal`: it hands out ids,
keeps the history rows (``account_trade``, ``borrow``, ``deposit``...) and remembers what
the current call changed, so the exchange can persist it in one transaction and tell the
listeners afterwards. The desks see only this object, never the exchange itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alp_tui.sim.engine import Order
from alp_tui.sim.ledger import ActivityRow, Record, Wallet

Key = tuple[str, int]


class Journal:
    """Ids, history records and what the current call changed."""

    def __init__(self, ephemeral: frozenset[int], system: frozenset[int]) -> None:
        self.ids: dict[str, int] = {}
        self.records: dict[str, dict[int, list[Record]]] = {}
        # Accounts whose wallets are never stored (market life) or never reported.
        self._ephemeral = ephemeral
        self._system = system
        # What to persist: (kind, id) -> object; ("meta", 0) asks for the counters.
        self.dirty: dict[Key, Any] = {}
        # What to tell the listeners at the end of the call.
        self.listening = False
        self.events: list[dict[str, Any]] = []
        self.book_pairs: set[str] = set()
        self.ticker_pairs: set[str] = set()
        self.orders: dict[int, Order] = {}
        self.wallets: dict[int, Wallet] = {}
        self.fees_due: dict[str, Decimal] = {}

    def next_id(self, kind: str) -> int:
        """The next id of ``kind`` (1, 2, ...)."""
        ids = self.ids
        value = ids[kind] = ids.get(kind, 0) + 1
        return value

    def mark(self, kind: str, oid: int, obj: Any) -> None:
        """``obj`` changed and must be stored at the end of the call."""
        self.dirty[(kind, oid)] = obj

    def mark_meta(self) -> None:
        """The id counters or last prices changed."""
        self.dirty[("meta", 0)] = None

    def wallet_changed(self, wallet: Wallet, record: ActivityRow | None) -> None:
        """The ledger's change hook: store the wallet (and its activity row), report it."""
        if wallet.account_id in self._ephemeral:
            return
        self.dirty[("wallet", wallet.id)] = wallet
        if record is not None:
            self.dirty[("activity", record.id)] = record
        if wallet.account_id not in self._system:
            self.wallets[wallet.id] = wallet

    def order_changed(self, order: Order) -> None:
        """A user order changed: store it and report it."""
        if order.system:
            return
        self.dirty[("order", order.id)] = order
        self.orders[order.id] = order

    def add_record(self, kind: str, account_id: int, ts: float,
                   data: dict[str, Any]) -> Record:
        """A new history row of ``kind``; ``data["id"]`` is set to its id."""
        rid = self.next_id(kind)
        data["id"] = rid
        record = Record(kind, rid, account_id, ts, data)
        self.records.setdefault(kind, {}).setdefault(account_id, []).append(record)
        self.dirty[(kind, rid)] = record
        return record

    def add_loaded(self, record: Record) -> None:
        """A history row read back from the state file."""
        self.records.setdefault(record.kind, {}).setdefault(
            record.account_id, []).append(record)

    def records_of(self, kind: str, account_id: int) -> list[Record]:
        """The account's rows of ``kind``, oldest first."""
        return self.records.get(kind, {}).get(account_id, [])

    def emit(self, event: dict[str, Any]) -> None:
        """Queue a listener event (only built when somebody listens)."""
        self.events.append(event)

    def take_changes(self) -> dict[Key, Any]:
        """What to persist, clearing it."""
        dirty, self.dirty = self.dirty, {}
        return dirty

    def clear_reports(self) -> None:
        """Drop the call's pending reports (nobody listens, or the call was undone)."""
        self.events = []
        self.orders = {}
        self.wallets = {}
        self.book_pairs = set()
        self.ticker_pairs = set()
