"""The simulated exchange's facade: one method per endpoint, used by the HTTP app.

CONTRACT (shared by the core and the HTTP layer; keep the signatures stable):
- Inputs are already-typed Python values (``Decimal``, wire enums from
  ``alp_tui.api.enums``, aware ``datetime``); the HTTP layer converts from the wire and
  enforces formats and the 30-day window. The core enforces business rules.
- Every refusal is a :class:`alp_tui.sim.errors.SimError` whose ``form_errors`` keys are the
  wire field names (``base_amount``, ``limit_price``, ``amount``, ...).
- Return values are JSON-ready: dicts/lists whose money values are ``Decimal`` (the HTTP
  layer writes them as JSON numbers with their exact digits), pair names ``BTC_USDT``, times
  as RFC 3339 strings (or Unix seconds where the reference shows numbers), shaped exactly as
  the reference's example responses plus the wire notes.
- Thread-safe: every public method takes the exchange lock, and each mutating call is one
  SQLite transaction when persistence is on.
- ``step()`` advances market life by one tick (market makers/takers, stop triggers, interest,
  liquidations, deposit/withdrawal progression); the server calls it about once a second.
- ``add_listener(fn)`` registers ``fn(event: dict)`` called after each change (trade, book,
  ticker, order, wallet) — the WebSocket feed builds on it.

This file is a skeleton: the core implementation replaces the bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import (
    ChartInterval,
    LoanType,
    MarginDirection,
    OrderSide,
    WalletType,
)

Json = Any


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key, the account it belongs to and its permission flags."""

    api_key: str
    api_secret: str
    account_id: int
    can_trade: bool = True
    can_withdraw: bool = False
    can_margin: bool = False


class Exchange:
    """The whole simulated exchange: accounts, ledger, matching, margin, market life."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        state_path: str = ":memory:",
        clock: Callable[[], float] | None = None,
        market_life: bool = True,
    ) -> None:
        raise NotImplementedError

    # --- accounts and keys -------------------------------------------------------------
    def create_account(self, *, email: str, name: str, funds: dict[str, Decimal] | None = None,
                       parent_id: int | None = None) -> int:
        """Create an account with SPOT balances ``funds``; returns its id."""
        raise NotImplementedError

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Register (or replace) an API key."""
        raise NotImplementedError

    def find_api_key(self, api_key: str) -> ApiKeyRecord | None:
        """The key's record, or None."""
        raise NotImplementedError

    def create_demo_account(self, api_key: str, api_secret: str) -> int:
        """An account funded for a demo (USDT, BTC, ETH... on SPOT) with a full-permission
        key; idempotent for the same key. Returns the account id."""
        raise NotImplementedError

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener(event)`` after each change; see module docstring."""
        raise NotImplementedError

    def step(self, now: float | None = None) -> None:
        """Advance market life by one tick."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush and close persistence."""
        raise NotImplementedError

    # --- public ------------------------------------------------------------------------
    def server_time(self) -> Json: ...
    def currencies(self) -> Json: ...
    def currency_rates(self) -> Json: ...
    def pairs(self, currency1: str | None = None, currency2: str | None = None) -> Json: ...
    def ticker(self, pair: str | None = None) -> Json:
        """One ticker object when ``pair`` is given, else the list of all."""
    def orderbook(self, pair: str, group: bool = False, limit_buy: int | None = None,
                  limit_sell: int | None = None) -> Json: ...
    def charts(self, pair: str, interval: ChartInterval, since: int | None = None,
               until: int | None = None, limit: int | None = None) -> Json: ...
    def trades(self, pair: str, limit: int | None = None, offset: int | None = None) -> Json: ...

    # --- private: account --------------------------------------------------------------
    def accounts(self, account_id: int, include_subaccounts: bool = False) -> Json: ...
    def balances(self, account_id: int) -> Json: ...
    def fees(self, account_id: int) -> Json: ...
    def orders(self, account_id: int, pair: str | None = None, open_only: bool = False,
               side: OrderSide | None = None, start: datetime | None = None,
               end: datetime | None = None) -> Json: ...
    def account_trades(self, account_id: int, pair: str | None = None,
                       side: OrderSide | None = None, start: datetime | None = None,
                       end: datetime | None = None) -> Json: ...
    def activity(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json: ...

    # --- private: funding --------------------------------------------------------------
    def deposit_methods(self, account_id: int, currency: str) -> Json: ...
    def deposits(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json: ...
    def withdraw_methods(self, account_id: int, currency: str) -> Json: ...
    def withdraw(self, account_id: int, amount: Decimal, method: int,
                 attributes: dict[str, str], client_order_id: str | None = None) -> Json: ...
    def withdrawals(self, account_id: int, currency: str | None = None,
                    start: datetime | None = None, end: datetime | None = None) -> Json: ...

    # --- private: trading --------------------------------------------------------------
    def place_order(self, account_id: int, order: dict[str, Any]) -> Json:
        """``order`` holds typed values under the wire field names (pair, order_type,
        order_side, wallet_type, client_order_id, side_effect, base_amount, quote_amount,
        limit_price, stop_price, stop_operator, tif, expire_after, valid_till).
        Returns the list of created order ids."""
    def cancel_orders(self, account_id: int, order_ids: list[int] | None = None,
                      all: bool = False, pair: str | None = None) -> Json:
        """Returns {"<order id>": "<new status>", ...}."""

    # --- private: margin ---------------------------------------------------------------
    def margin_transfer(self, account_id: int, wallet_type: WalletType,
                        direction: MarginDirection, amount: Decimal, currency: str,
                        pair: str | None = None, note: str | None = None) -> Json: ...
    def borrow(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
               pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json: ...
    def repay(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
              pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json: ...
    def close_position(self, account_id: int, wallet_type: WalletType,
                       pair: str | None = None) -> Json: ...
    def loans(self, account_id: int, isolated_margin: bool = False,
              cross_margin: bool = False) -> Json: ...
    def margin_transfers(self, account_id: int, pair: str | None = None,
                         currency: str | None = None, start: datetime | None = None,
                         end: datetime | None = None) -> Json: ...
    def borrows(self, account_id: int, pair: str | None = None, currency: str | None = None,
                start: datetime | None = None, end: datetime | None = None) -> Json: ...
    def repays(self, account_id: int, pair: str | None = None, currency: str | None = None,
               start: datetime | None = None, end: datetime | None = None) -> Json: ...
    def interests(self, account_id: int, pair: str | None = None, currency: str | None = None,
                  start: datetime | None = None, end: datetime | None = None) -> Json: ...
    def liquidations(self, account_id: int, pair: str | None = None,
                     currency: str | None = None, start: datetime | None = None,
                     end: datetime | None = None) -> Json: ...
    def margin_level(self, account_id: int, wallet_type: WalletType,
                     pair: str | None = None) -> Decimal | None:
        """Extension (not on the wire): equity / debt of a margin wallet; None without debt."""
