"""A small stand-in for :class:`alp_tui.sim.exchange.Exchange` with the same interface,
so the HTTP layer can be tested on its own (and before the engine lands). It records the
typed arguments each call received, which lets tests check the wire → typed conversion.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alp_tui.sim.errors import SimError
from alp_tui.sim.exchange import ApiKeyRecord

PAIRS = ("BTC_USDT", "ETH_USDT")


class FakeExchange:
    """Enough of an exchange to answer every endpoint; money kept as Decimal."""

    def __init__(self, *, seed: int | None = None, state_path: str = ":memory:",
                 clock: Any = None, market_life: bool = True) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.keys: dict[str, ApiKeyRecord] = {}
        self.balances_by_account: dict[int, dict[str, Decimal]] = {}
        self.orders_by_id: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.steps = 0
        self.closed = False
        self._lock = threading.Lock()

    def _rec(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    def last_call(self, name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments of the latest call to ``name``."""
        for call_name, args, kwargs in reversed(self.calls):
            if call_name == name:
                return args, kwargs
        raise AssertionError(f"{name} was not called")

    # accounts and keys
    def create_account(self, *, email: str, name: str, funds: dict[str, Decimal] | None = None,
                       parent_id: int | None = None) -> int:
        account_id = 100 + len(self.balances_by_account)
        self.balances_by_account[account_id] = dict(funds or {})
        return account_id

    def add_api_key(self, record: ApiKeyRecord) -> None:
        self.keys[record.api_key] = record

    def find_api_key(self, api_key: str) -> ApiKeyRecord | None:
        return self.keys.get(api_key)

    def create_demo_account(self, api_key: str, api_secret: str) -> int:
        if api_key in self.keys:
            return self.keys[api_key].account_id
        account_id = self.create_account(email="demo@example.com", name="Demo", funds={
            "USDT": Decimal("10000.00000000"), "BTC": Decimal("1.5")})
        self.add_api_key(ApiKeyRecord(api_key, api_secret, account_id, True, True, True))
        return account_id

    def add_listener(self, listener: Any) -> None:
        pass

    def step(self, now: float | None = None) -> None:
        self.steps += 1

    def close(self) -> None:
        self.closed = True

    # public
    def server_time(self) -> Any:
        return {"serverTime": int(datetime.now(UTC).timestamp())}

    def currencies(self) -> Any:
        return [{"sign": "₿", "short_name": "BTC"}, {"sign": "₮", "short_name": "USDT"}]

    def currency_rates(self) -> Any:
        return {"BTC": "45000.00000000"}

    def pairs(self, currency1: str | None = None, currency2: str | None = None) -> Any:
        self._rec("pairs", currency1=currency1, currency2=currency2)
        return [{"id": i + 1, "name": p, "currency1": p.split("_")[0],
                 "currency2": p.split("_")[1], "amount_precision": 8, "price_precision": 2,
                 "maximum_order_size": Decimal("10"), "minimum_order_size": Decimal("0.0001"),
                 "minimum_order_value": Decimal("10")} for i, p in enumerate(PAIRS)]

    def _pair(self, pair: str) -> None:
        if pair not in PAIRS:
            raise SimError(400, "pair not found", code="BAD_REQUEST")

    def ticker(self, pair: str | None = None) -> Any:
        self._rec("ticker", pair)
        row = {"pair": "BTC_USDT", "last": Decimal("45000.12345678901234"),
               "vol": Decimal("70602102.28496243"), "buy": Decimal("44990"),
               "sell": Decimal("45010"), "high": Decimal("45500"), "low": Decimal("44500"),
               "diff": Decimal("10"), "timestamp": 1630862400}
        if pair is None:
            return [row]
        self._pair(pair)
        return {**row, "pair": pair}

    def orderbook(self, pair: str, group: bool = False, limit_buy: int | None = None,
                  limit_sell: int | None = None) -> Any:
        self._rec("orderbook", pair, group=group, limit_buy=limit_buy, limit_sell=limit_sell)
        self._pair(pair)
        return {"buy": [{"amount": Decimal("1.0"), "price": Decimal("45000.0")}],
                "sell": [{"amount": Decimal("0.00000010"), "price": Decimal("45010.0")}]}

    def charts(self, pair: str, interval: Any, since: int | None = None,
               until: int | None = None, limit: int | None = None) -> Any:
        self._rec("charts", pair, interval, since=since, until=until, limit=limit)
        self._pair(pair)
        return [{"open": Decimal("1"), "close": Decimal("2"), "high": Decimal("3"),
                 "low": Decimal("0.5"), "volume": Decimal("10"), "time": 1630862400}]

    def trades(self, pair: str, limit: int | None = None, offset: int | None = None) -> Any:
        self._rec("trades", pair, limit=limit, offset=offset)
        self._pair(pair)
        return []

    # private
    def accounts(self, account_id: int, include_subaccounts: bool = False) -> Any:
        self._rec("accounts", account_id, include_subaccounts=include_subaccounts)
        return [{"id": account_id, "email": "demo@example.com", "name": "Demo",
                 "parent_id": None}]

    def balances(self, account_id: int) -> Any:
        return [{"balance": amount, "reserve": Decimal(0), "currency": cur,
                 "wallet_type": "SPOT", "last_update_at": "2026-01-01T00:00:00Z",
                 "account_id": account_id}
                for cur, amount in sorted(self.balances_by_account[account_id].items())]

    def fees(self, account_id: int) -> Any:
        return []

    def orders(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("orders", account_id, **kwargs)
        return [o for o in self.orders_by_id.values() if o["account_id"] == account_id]

    def account_trades(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("account_trades", account_id, **kwargs)
        return []

    def activity(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("activity", account_id, **kwargs)
        return []

    def deposit_methods(self, account_id: int, currency: str) -> Any:
        self._rec("deposit_methods", account_id, currency)
        return []

    def deposits(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("deposits", account_id, **kwargs)
        return []

    def withdraw_methods(self, account_id: int, currency: str) -> Any:
        return []

    def withdraw(self, account_id: int, amount: Decimal, method: int,
                 attributes: dict[str, str], client_order_id: str | None = None) -> Any:
        self._rec("withdraw", account_id, amount, method, attributes,
                  client_order_id=client_order_id)
        return True

    def withdrawals(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("withdrawals", account_id, **kwargs)
        return []

    def place_order(self, account_id: int, order: dict[str, Any]) -> Any:
        self._rec("place_order", account_id, order)
        self._pair(order["pair"])
        with self._lock:
            order_id = self.next_id
            self.next_id += 1
        self.orders_by_id[order_id] = {"id": order_id, "account_id": account_id,
                                       "pair": order["pair"], "status": "OPEN"}
        return [order_id]

    def cancel_orders(self, account_id: int, order_ids: list[int] | None = None,
                      all: bool = False, pair: str | None = None) -> Any:
        self._rec("cancel_orders", account_id, order_ids=order_ids, all=all, pair=pair)
        out = {}
        for oid, order in self.orders_by_id.items():
            if order["status"] != "OPEN":
                continue
            if all or (order_ids and oid in order_ids) or (pair and order["pair"] == pair):
                order["status"] = "CANCELLED"
                out[str(oid)] = "CANCELLED"
        return out

    def margin_transfer(self, account_id: int, *args: Any, **kwargs: Any) -> Any:
        self._rec("margin_transfer", account_id, *args, **kwargs)
        return 7

    def borrow(self, account_id: int, *args: Any, **kwargs: Any) -> Any:
        self._rec("borrow", account_id, *args, **kwargs)
        return 8

    def repay(self, account_id: int, *args: Any, **kwargs: Any) -> Any:
        self._rec("repay", account_id, *args, **kwargs)
        return [9]

    def close_position(self, account_id: int, *args: Any, **kwargs: Any) -> Any:
        self._rec("close_position", account_id, *args, **kwargs)
        return {}

    def loans(self, account_id: int, **kwargs: Any) -> Any:
        self._rec("loans", account_id, **kwargs)
        return []

    def _history(name: str) -> Any:
        def method(self: FakeExchange, account_id: int, **kwargs: Any) -> Any:
            self._rec(name, account_id, **kwargs)
            return []
        return method

    margin_transfers = _history("margin_transfers")
    borrows = _history("borrows")
    repays = _history("repays")
    interests = _history("interests")
    liquidations = _history("liquidations")
