"""Account endpoints of the ALP.COM v3 API: accounts, balances, fees, the account's
orders, fills and activity."""

from __future__ import annotations

from typing import Any

from alp_tui.api.client_engine import RequestEngine
from alp_tui.api.enums import OrderSide
from alp_tui.api.errors import BadResponseError, RequestError
from alp_tui.api.models import Account, AccountTrade, Activity, Balance, FeeInfo, Order
from alp_tui.api.transport import (
    currency_window,
    time_window,
    to_enum,
    to_opt_bool,
    to_pair,
)


class AccountEndpoints(RequestEngine):
    """Private GET endpoints about the account, and the account id writes need."""

    _account_id: int | None = None  # the main account's id, once looked up

    async def accounts(self, include_subaccounts: bool | None = None) -> list[Account]:
        """GET /accounts/accounts (with sub-accounts when asked)."""
        params = {"include_subaccounts": to_opt_bool(include_subaccounts, "include_subaccounts")}
        return await self._get(list[Account], "/accounts/accounts", params, private=True)

    async def balances(self) -> list[Balance]:
        """GET /accounts/balances: every wallet's holdings."""
        return await self._get(list[Balance], "/accounts/balances", private=True)

    async def fees(self) -> list[FeeInfo]:
        """GET /accounts/feeinfo: the fee schedule."""
        return await self._get(list[FeeInfo], "/accounts/feeinfo", private=True)

    async def orders(self, pair: str | None = None, open_only: bool | None = None,
                     side: OrderSide | str | None = None, start_time: Any = None,
                     end_time: Any = None) -> list[Order]:
        """GET /accounts/order: the account's orders, filtered."""
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "open_only": to_opt_bool(open_only, "open_only"),
            "side": None if side is None else to_enum(OrderSide, side, "side"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(list[Order], "/accounts/order", params, private=True)

    async def account_trades(self, pair: str | None = None, side: OrderSide | str | None = None,
                             start_time: Any = None, end_time: Any = None) -> list[AccountTrade]:
        """GET /accounts/trades: the account's own fills."""
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "side": None if side is None else to_enum(OrderSide, side, "side"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(list[AccountTrade], "/accounts/trades", params, private=True)

    async def activity(self, currency: str | None = None, start_time: Any = None,
                       end_time: Any = None) -> list[Activity]:
        """GET /accounts/activity: the operation history."""
        params = currency_window(currency, start_time, end_time)
        return await self._get(list[Activity], "/accounts/activity", params, private=True)

    async def _resolve_account(self, account_id: int | None) -> int:
        """``account_id`` checked, or the main account's id (looked up once)."""
        if account_id is not None:
            if isinstance(account_id, bool) or not isinstance(account_id, int):
                raise RequestError(f"account_id must be an integer; got {account_id!r}.",
                                   field="account_id")
            return account_id
        if self._account_id is None:
            # Only writes need the id: refuse now rather than hold a write through a pause.
            self._gate.refuse_if_paused("the request")
            accounts = await self.accounts()
            if not accounts:
                raise BadResponseError(
                    "The exchange listed no account for this API key (GET /accounts/accounts).",
                    endpoint="/accounts/accounts",
                )
            main = next((a for a in accounts if a.parent_id is None), accounts[0])
            self._account_id = main.id
        return self._account_id
