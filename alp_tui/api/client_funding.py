"""Funding endpoints of the ALP.COM v3 API: deposit and withdraw methods, deposit and
withdrawal history, and the withdrawal request itself."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from alp_tui.api.client_engine import RequestEngine
from alp_tui.api.errors import RequestError
from alp_tui.api.models import ApiModel, Deposit, DepositMethod, Withdrawal, WithdrawMethod
from alp_tui.api.transport import (
    currency_window,
    to_client_order_id,
    to_currency,
    to_money,
)


class WithdrawReceipt(ApiModel):
    """What POST /withdraw answered: an id, a withdrawal object, or both.

    Servers differ (a bare id, ``[id]``, the created withdrawal, or ``true``); ``id`` is set
    whenever the answer carried one, ``withdrawal`` when it was a full object.
    """

    id: int | None = None
    withdrawal: Withdrawal | None = None


class FundingEndpoints(RequestEngine):
    """Deposits and withdrawals (withdrawals need the "Can Withdraw" key flag)."""

    async def deposit_methods(self, currency: str) -> list[DepositMethod]:
        """GET /deposit/methods for ``currency`` (required)."""
        params = {"currency": to_currency(currency)}
        return await self._get(list[DepositMethod], "/deposit/methods", params, private=True)

    async def deposits(self, currency: str | None = None, start_time: Any = None,
                       end_time: Any = None) -> list[Deposit]:
        """GET /deposit: deposit history."""
        params = currency_window(currency, start_time, end_time)
        return await self._get(list[Deposit], "/deposit", params, private=True)

    async def withdraw_methods(self, currency: str) -> list[WithdrawMethod]:
        """GET /withdraw/methods for ``currency`` (needs the "Can Withdraw" key flag)."""
        params = {"currency": to_currency(currency)}
        return await self._get(list[WithdrawMethod], "/withdraw/methods", params, private=True)

    async def withdraw(self, amount: Decimal | str | int, method: int,
                       attributes: Mapping[str, str],
                       client_order_id: str | None = None) -> WithdrawReceipt:
        """POST /withdraw. Never retried automatically. Returns the id and/or the object."""
        if isinstance(method, bool) or not isinstance(method, int):
            raise RequestError(f"method must be the withdraw method's integer id; got "
                               f"{method!r}.", field="method")
        if not isinstance(attributes, Mapping):
            raise RequestError("attributes must be a mapping such as {\"address\": \"...\"}.",
                               field="attributes")
        body: dict[str, Any] = {
            "amount": to_money(amount, "amount"),
            "method": method,
            "attributes": {str(k): str(v) for k, v in attributes.items()},
        }
        if client_order_id is not None:
            body["client_order_id"] = to_client_order_id(client_order_id)
        data = await self._request("POST", "/withdraw", body=body, private=True)
        if data is True:
            return WithdrawReceipt()  # accepted without an id (the official client's bool)
        if isinstance(data, dict) and {"amount", "status"} <= data.keys():
            withdrawal = self._parse(Withdrawal, data, "POST", "/withdraw")
            return WithdrawReceipt(id=withdrawal.id, withdrawal=withdrawal)
        return WithdrawReceipt(id=self._one_id(data, "POST", "/withdraw", "withdrawal"))

    async def withdrawals(self, currency: str | None = None, start_time: Any = None,
                          end_time: Any = None) -> list[Withdrawal]:
        """GET /withdraw: withdrawal history."""
        params = currency_window(currency, start_time, end_time)
        return await self._get(list[Withdrawal], "/withdraw", params, private=True)
