"""The exchange's query and desk endpoints: public market data, account history, funding
and margin. A mixin of :class:`~alp_tui.sim.exchange.Exchange`, which builds the desks
these methods delegate to; each method is one locked call (:func:`~alp_tui.sim.calls.api`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import LoanType, MarginDirection, OrderSide, WalletType
from alp_tui.sim.accounts import Accounts
from alp_tui.sim.calls import api
from alp_tui.sim.catalog import Listing
from alp_tui.sim.funding import Funding
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import SYSTEM_ACCOUNTS, Ledger
from alp_tui.sim.margin import MarginDesk
from alp_tui.sim.order_entry import opt_enum
from alp_tui.sim.order_views import in_window, order_public
from alp_tui.sim.quotes import MarketData
from alp_tui.sim.trading import OrderDesk

Json = Any
ZERO = Decimal(0)


class Endpoints:
    """Read and desk endpoints over the desks the exchange builds."""

    listing: Listing
    journal: Journal
    ledger: Ledger
    market: MarketData
    accounts_desk: Accounts
    order_desk: OrderDesk
    funding: Funding
    margin: MarginDesk

    def _now(self) -> float:
        raise NotImplementedError

    # --- public ------------------------------------------------------------------------
    @api
    def server_time(self) -> Json:
        """``{"serverTime": <int seconds>}``."""
        return {"serverTime": int(self._now())}

    @api
    def currencies(self) -> Json:
        """Listed currencies."""
        return [{"sign": c.sign, "short_name": c.short_name, "name": c.name,
                 "precision": c.precision} for c in self.listing.currencies]

    @api
    def currency_rates(self) -> Json:
        """``{"BTC": "91250.00000000", ...}``: value in USDT, as strings."""
        return self.market.currency_rates()

    @api
    def pairs(self, currency1: str | None = None, currency2: str | None = None) -> Json:
        """Listed pairs, optionally filtered by base and/or quote currency."""
        c1 = currency1.upper() if currency1 else None
        c2 = currency2.upper() if currency2 else None
        return [p.public() for p in self.listing.pairs
                if (c1 is None or p.base == c1) and (c2 is None or p.quote == c2)]

    @api
    def ticker(self, pair: str | None = None) -> Json:
        """One ticker object when ``pair`` is given, else the list of all."""
        now = self._now()
        if pair:
            return self.market.ticker(self.market.spec(pair), now)
        return [self.market.ticker(spec, now) for spec in self.listing.pairs]

    @api
    def orderbook(self, pair: str, group: bool = False, limit_buy: int | None = None,
                  limit_sell: int | None = None) -> Json:
        """``{"buy": [{"amount", "price"}...] best first, "sell": [...] best first}``."""
        return self.market.orderbook(pair, group, limit_buy, limit_sell)

    @api
    def charts(self, pair: str, interval: Any, since: int | None = None,
               until: int | None = None, limit: int | None = None) -> Json:
        """Candles oldest first, each ``{"open","close","high","low","volume","time"}``."""
        return self.market.charts(pair, interval, since, until, limit)

    @api
    def trades(self, pair: str, limit: int | None = None, offset: int | None = None) -> Json:
        """Public trades, newest first."""
        return self.market.trades(pair, limit, offset)

    # --- private: account --------------------------------------------------------------
    def _account(self, account_id: int) -> dict[str, Any]:
        return self.accounts_desk.get(account_id)

    @api
    def accounts_list(self) -> list[dict[str, Any]]:
        """Every user account (extension, for the CLI)."""
        return [dict(a) for a in self.accounts_desk.rows.values()
                if a["id"] not in SYSTEM_ACCOUNTS]

    @api
    def accounts(self, account_id: int, include_subaccounts: bool = False) -> Json:
        """The account, and its sub-accounts when asked."""
        rows = [dict(self._account(account_id))]
        if include_subaccounts:
            rows += [dict(a) for a in self.accounts_desk.rows.values()
                     if a.get("parent_id") == account_id]
        return rows

    @api
    def balances(self, account_id: int) -> Json:
        """Every wallet of the account."""
        self._account(account_id)
        return [w.public() for w in self.ledger.by_account.get(account_id, [])]

    @api
    def fees(self, account_id: int) -> Json:
        """The fee schedule that applies to the account."""
        self._account(account_id)
        return [entry.public(account_id) for entry in self.listing.fee_schedule]

    @api
    def orders(self, account_id: int, pair: str | None = None, open_only: bool = False,
               side: OrderSide | None = None, start: datetime | None = None,
               end: datetime | None = None) -> Json:
        """The account's orders, newest first."""
        self._account(account_id)
        pair_name = self.market.spec(pair).name if pair else None
        side = opt_enum(OrderSide, side, "side")
        out = []
        for o in reversed(self.order_desk.orders_of(account_id)):
            if pair_name and o.pair != pair_name:
                continue
            if open_only and not o.status.is_open:
                continue
            if side is not None and o.is_bid != (side is OrderSide.BID):
                continue
            if not in_window(o.created_at, start, end):
                continue
            row = order_public(o)
            # The official client's model needs both: a market order's price is the zero
            # value, an order that never rested opened when it was placed.
            if row["price"] is None:
                row["price"] = ZERO
            if row["open_at"] is None:
                row["open_at"] = row["date"]
            out.append(row)
        return out

    def _history(self, kind: str, account_id: int, start: datetime | None,
                 end: datetime | None, **match: Any) -> list[dict[str, Any]]:
        """Records of ``kind`` newest first, filtered by time and equal fields."""
        self._account(account_id)
        rows = self.ledger.activity.get(account_id, []) if kind == "activity" \
            else self.journal.records_of(kind, account_id)
        out = []
        for record in reversed(rows):
            if not in_window(record.ts, start, end):
                continue
            data = record.data
            if any(value is not None and data.get(key) != value
                   for key, value in match.items()):
                continue
            out.append(dict(data))
        return out

    @api
    def account_trades(self, account_id: int, pair: str | None = None,
                       side: OrderSide | None = None, start: datetime | None = None,
                       end: datetime | None = None) -> Json:
        """The account's fills, newest first."""
        side = opt_enum(OrderSide, side, "side")
        return self._history("account_trade", account_id, start, end,
                             pair=self.market.spec(pair).name if pair else None,
                             side=side.value if side else None)

    @api
    def activity(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json:
        """Every balance change of the account, newest first."""
        return self._history("activity", account_id, start, end,
                             currency=currency.upper() if currency else None)

    # --- private: funding --------------------------------------------------------------
    @api
    def deposit_methods(self, account_id: int, currency: str) -> Json:
        """Networks to deposit ``currency`` on, with the account's address."""
        self._account(account_id)
        return self.funding.deposit_methods(account_id, currency)

    @api
    def deposits(self, account_id: int, currency: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> Json:
        """Incoming deposits, newest first."""
        return self._history("deposit", account_id, start, end,
                             currency=currency.upper() if currency else None)

    @api
    def withdraw_methods(self, account_id: int, currency: str) -> Json:
        """Networks to withdraw ``currency`` on, with fees and limits."""
        self._account(account_id)
        return self.funding.withdraw_methods(currency)

    @api
    def withdraw(self, account_id: int, amount: Decimal, method: int,
                 attributes: dict[str, str], client_order_id: str | None = None) -> Json:
        """Request a withdrawal; returns the withdrawal (as in ``withdrawals()``)."""
        self._account(account_id)
        return self.funding.withdraw(account_id, amount, method, attributes, client_order_id,
                                     self._now())

    @api
    def withdrawals(self, account_id: int, currency: str | None = None,
                    start: datetime | None = None, end: datetime | None = None) -> Json:
        """Withdrawal requests, newest first."""
        return self._history("withdrawal", account_id, start, end,
                             currency=currency.upper() if currency else None)

    @api
    def simulate_deposit(self, account_id: int, currency: str, amount: Decimal,
                         method: int | None = None) -> Json:
        """Extension: an incoming deposit that confirms over the next steps."""
        self._account(account_id)
        return self.funding.incoming(account_id, currency, Decimal(amount), method,
                                     self._now())

    # --- private: margin ---------------------------------------------------------------
    @api
    def margin_transfer(self, account_id: int, wallet_type: WalletType,
                        direction: MarginDirection, amount: Decimal, currency: str,
                        pair: str | None = None, note: str | None = None) -> Json:
        """Move funds spot → margin (ADD) or margin → spot (SUB); returns the op id."""
        self._account(account_id)
        return self.margin.transfer(account_id, wallet_type, direction, amount, currency,
                                    pair, note, self._now())

    @api
    def borrow(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
               pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json:
        """Borrow into a margin wallet; returns the borrow id."""
        self._account(account_id)
        return self.margin.borrow(account_id, amount, currency, wallet_type, pair, loan_type,
                                  self._now())

    @api
    def repay(self, account_id: int, amount: Decimal, currency: str, wallet_type: WalletType,
              pair: str | None = None, loan_type: LoanType = LoanType.LOAN_MANUAL) -> Json:
        """Repay (interest first); returns ``[repay id]``."""
        self._account(account_id)
        return self.margin.repay(account_id, amount, currency, wallet_type, pair, loan_type,
                                 self._now())

    @api
    def close_position(self, account_id: int, wallet_type: WalletType,
                       pair: str | None = None) -> Json:
        """Cancel the wallet's orders and repay its loans; returns the repay ids."""
        self._account(account_id)
        return self.margin.close_position(account_id, wallet_type, pair, self._now())

    @api
    def loans(self, account_id: int, isolated_margin: bool = False,
              cross_margin: bool = False) -> Json:
        """Open loans of the account."""
        self._account(account_id)
        return self.margin.loans(account_id, isolated_margin, cross_margin)

    def _margin_history(self, kind: str, account_id: int, pair: str | None,
                        currency: str | None, start: datetime | None,
                        end: datetime | None) -> Json:
        return self._history(kind, account_id, start, end,
                             pair=self.market.spec(pair).name if pair else None,
                             currency=currency.upper() if currency else None)

    @api
    def margin_transfers(self, account_id: int, pair: str | None = None,
                         currency: str | None = None, start: datetime | None = None,
                         end: datetime | None = None) -> Json:
        """Margin transfer history, newest first. No note or no pair (cross margin) is an
        empty string: the official client's model needs strings there."""
        rows = self._margin_history("margin_transfer", account_id, pair, currency, start, end)
        for row in rows:
            row["note"] = row.get("note") or ""
            row["pair"] = row.get("pair") or ""
        return rows

    @api
    def borrows(self, account_id: int, pair: str | None = None, currency: str | None = None,
                start: datetime | None = None, end: datetime | None = None) -> Json:
        """Borrow history, newest first."""
        return self._margin_history("borrow", account_id, pair, currency, start, end)

    @api
    def repays(self, account_id: int, pair: str | None = None, currency: str | None = None,
               start: datetime | None = None, end: datetime | None = None) -> Json:
        """Repay history, newest first."""
        return self._margin_history("repay", account_id, pair, currency, start, end)

    @api
    def interests(self, account_id: int, pair: str | None = None, currency: str | None = None,
                  start: datetime | None = None, end: datetime | None = None) -> Json:
        """Interest charges, newest first."""
        return self._margin_history("interest", account_id, pair, currency, start, end)

    @api
    def liquidations(self, account_id: int, pair: str | None = None,
                     currency: str | None = None, start: datetime | None = None,
                     end: datetime | None = None) -> Json:
        """Liquidations, newest first."""
        return self._margin_history("liquidation", account_id, pair, currency, start, end)

    @api
    def margin_level(self, account_id: int, wallet_type: WalletType,
                     pair: str | None = None) -> Decimal | None:
        """Extension (not on the wire): equity / debt of a margin wallet; None without debt."""
        return self.margin.level(account_id, wallet_type,
                                 self.market.spec(pair).name if pair else None)

