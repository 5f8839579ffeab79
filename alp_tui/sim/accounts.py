"""Accounts and API keys of the simulated exchange."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alp_tui.sim.errors import SimError
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import USER_ID_START
from alp_tui.sim.textcheck import check_text

DEMO_FUNDS = {
    "USDT": Decimal(100_000), "USDC": Decimal(50_000), "BTC": Decimal(2),
    "ETH": Decimal(20), "SOL": Decimal(200), "XRP": Decimal(10_000), "LTC": Decimal(100),
    "DOGE": Decimal(50_000),
}


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key, the account it belongs to and its permission flags."""

    api_key: str
    api_secret: str
    account_id: int
    can_trade: bool = True
    can_withdraw: bool = False
    can_margin: bool = False


class Accounts:
    """Every account (as its API row) and every API key."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.rows: dict[int, dict[str, Any]] = {}
        self.keys: dict[str, ApiKeyRecord] = {}
        self.key_ids: dict[str, int] = {}  # the storage row of each key

    def get(self, account_id: int) -> dict[str, Any]:
        """The account's row, or a 404."""
        account = self.rows.get(account_id)
        if account is None:
            raise SimError(404, f"account {account_id} not found")
        return account

    def create(self, email: str, name: str, parent_id: int | None) -> int:
        """A new user account; returns its id."""
        check_text("email", email)
        check_text("name", name)
        if parent_id is not None and parent_id not in self.rows:
            raise SimError(404, f"parent account {parent_id} not found")
        journal = self._journal
        account_id = journal.next_id("account")
        if account_id < USER_ID_START:  # ids below are the system accounts
            account_id = journal.ids["account"] = USER_ID_START
        self.rows[account_id] = {"id": account_id, "email": email, "name": name,
                                 "parent_id": parent_id}
        journal.mark("account", account_id, self.rows[account_id])
        return account_id

    def add_key(self, record: ApiKeyRecord) -> None:
        """Register (or replace) an API key."""
        check_text("api_key", record.api_key)
        check_text("api_secret", record.api_secret)
        if record.account_id not in self.rows:
            raise SimError(404, f"account {record.account_id} not found")
        self.keys[record.api_key] = record
        ids = self.key_ids
        if record.api_key not in ids:
            ids[record.api_key] = self._journal.next_id("apikey")
        self._journal.mark("apikey", ids[record.api_key], record)
