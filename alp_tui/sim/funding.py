"""Deposits and withdrawals: methods per network, simulated progress over time.

Deposits: :meth:`Funding.incoming` (the demo and tests call it through
``Exchange.simulate_deposit``) records a PENDING deposit; after its network's confirmations
(one per 5 seconds of simulated time, capped at 60 s) it becomes CONFIRMED and the amount is
credited — or, when it exceeds 100,000 × the method's minimum deposit, it passes through
MODERATION (30 s more) first. Amounts outside the method's min/max are REJECTED.

Withdrawals: validated against the method (enabled, currency, min/max, every required
attribute present and well-formed), then amount + fee is held in the SPOT wallet. The
request moves NEW → CONFIRMED → VERIFIED → APPROVED → DONE, one stage every 5 seconds; at
DONE the amount leaves the exchange and the fee goes to the house. An address that starts
with the method's prefix followed by ``refuse`` (e.g. ``0xrefuse…``) is REFUSED at the
APPROVED stage instead, and its hold is released — a hook for tests and demos.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import DepositStatus, WalletType, WithdrawalStatus
from alp_tui.sim.catalog import NETWORK_BY_ID, NetworkSpec, networks_for
from alp_tui.sim.errors import SimError
from alp_tui.sim.journal import Journal
from alp_tui.sim.ledger import HOUSE_ID, Ledger, Record, rfc3339
from alp_tui.sim.ports import Clock
from alp_tui.sim.textcheck import check_text

ZERO = Decimal(0)
STAGE_SECONDS = 5.0
CONFIRMATION_SECONDS = 5.0
MODERATION_FACTOR = Decimal(100_000)  # deposits above min_deposit × this are moderated
FINAL = {"deposit": frozenset({"CONFIRMED", "REJECTED"}),
         "withdrawal": frozenset({"DONE", "REFUSED", "CANCELED", "COMPLETED"})}
WITHDRAW_STAGES = (WithdrawalStatus.NEW, WithdrawalStatus.CONFIRMED,
                   WithdrawalStatus.VERIFIED, WithdrawalStatus.APPROVED,
                   WithdrawalStatus.DONE)


def _tx_hash(*parts: object) -> str:
    return "0x" + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


class Funding:
    """Deposit and withdrawal flows of every account."""

    def __init__(self, ledger: Ledger, journal: Journal, clock: Clock,
                 currencies: Collection[str]) -> None:
        self.ledger = ledger
        self._currencies = currencies  # the listed currency codes
        self.journal = journal
        self._clock = clock
        # Deposits and withdrawals still moving, so a tick does not scan all history.
        self.moving: dict[tuple[str, int], Record] = {}
        for kind in ("deposit", "withdrawal"):
            for records in journal.records.get(kind, {}).values():
                for record in records:
                    if record.data["status"] not in FINAL[kind]:
                        self.moving[(kind, record.id)] = record

    # --- methods -----------------------------------------------------------------------
    def _currency(self, currency: str) -> str:
        code = (currency or "").upper()
        if code not in self._currencies:
            raise SimError.field("currency", f"unknown currency {currency!r}")
        return code

    def deposit_methods(self, account_id: int, currency: str) -> list[dict[str, Any]]:
        """Networks for depositing ``currency``, with the account's address on each."""
        code = self._currency(currency)
        rows = []
        for net in networks_for(code):
            attributes = [{"key": "address", "value": net.address_for(account_id)}]
            if net.memo:
                attributes.append({"key": "memo", "value": str(100000 + account_id)})
            rows.append({"id": net.method_id, "network": net.network, "currency": code,
                         "attributes": attributes, "confirmations": net.confirmations,
                         "min_deposit": net.min_deposit, "max_deposit": net.max_deposit,
                         "is_enabled": True})
        return rows

    def withdraw_methods(self, currency: str) -> list[dict[str, Any]]:
        """Networks for withdrawing ``currency``; ``attributes`` name the required keys."""
        code = self._currency(currency)
        rows = []
        for net in networks_for(code):
            # "key" as the reference shows, "field" and "regex" as the official client
            # reads them; the regex says what valid_address checks.
            body = net.address_len - len(net.address_prefix)
            regex = f"^{re.escape(net.address_prefix)}[0-9A-Za-z]{{{body}}}$"
            attributes = [{"key": "address", "value": None, "field": "address",
                           "regex": regex}]
            if net.memo:
                attributes.append({"key": "memo", "value": None, "field": "memo"})
            rows.append({"id": net.method_id, "network": net.network, "currency": code,
                         "attributes": attributes, "fee_rate": net.fee_rate,
                         "fee_amount": net.fee_amount, "fee_currency": code,
                         "min_withdraw": net.min_withdraw, "max_withdraw": net.max_withdraw,
                         "is_enabled": True})
        return rows

    # --- deposits ----------------------------------------------------------------------
    def incoming(self, account_id: int, currency: str, amount: Decimal, method: int | None,
                 now: float) -> dict[str, Any]:
        """Record an incoming deposit; it confirms (and credits) in later steps."""
        code = self._currency(currency)
        nets = networks_for(code)
        net = NETWORK_BY_ID.get(method) if method is not None else (nets[0] if nets else None)
        if net is None or net.currency != code:
            raise SimError.field("method", "unknown deposit method for this currency")
        if amount <= 0:
            raise SimError.field("amount", "must be positive")
        status = DepositStatus.PENDING
        if amount < net.min_deposit or amount > net.max_deposit:
            status = DepositStatus.REJECTED
        record = self.journal.add_record("deposit", account_id, now, {
            "id": 0, "amount": amount, "currency": code, "status": status.value,
            "tx_hash": _tx_hash("deposit", account_id, code, amount, now),
            "date": rfc3339(now), "network": net.network, "method": net.method_id,
            "confirmations": 0, "required_confirmations": net.confirmations,
        })
        if status is DepositStatus.PENDING:
            self.moving[("deposit", record.id)] = record
        return dict(record.data)

    def _deposit_step(self, record: Record, now: float) -> None:
        data = record.data
        status = DepositStatus(data["status"])
        if status in (DepositStatus.CONFIRMED, DepositStatus.REJECTED):
            return
        net = NETWORK_BY_ID[data["method"]]
        wait = min(net.confirmations * CONFIRMATION_SECONDS, 60.0)
        elapsed = now - record.ts
        confirmations = min(net.confirmations, int(elapsed / CONFIRMATION_SECONDS))
        changed = confirmations != data["confirmations"]
        data["confirmations"] = confirmations
        if elapsed >= wait:
            large = data["amount"] > net.min_deposit * MODERATION_FACTOR
            if status is DepositStatus.PENDING and large:
                data["status"] = DepositStatus.MODERATION.value
                changed = True
            elif status is DepositStatus.PENDING or elapsed >= wait + 30:
                data["status"] = DepositStatus.CONFIRMED.value
                wallet = self.ledger.get(record.account_id, WalletType.SPOT,
                                         data["currency"], now=now)
                self.ledger.apply(wallet, data["amount"], ZERO, "DEPOSIT", now)
                changed = True
        if changed:
            self.journal.mark("deposit", record.id, record)

    # --- withdrawals -------------------------------------------------------------------
    def withdraw(self, account_id: int, amount: Decimal, method: int,
                 attributes: dict[str, str], client_order_id: str | None,
                 now: float) -> dict[str, Any]:
        """Validate and hold a withdrawal request."""
        try:
            net = NETWORK_BY_ID.get(int(method))
        except (TypeError, ValueError):
            net = None
        if net is None:
            raise SimError.field("method", "unknown withdrawal method")
        amount = Decimal(amount)
        if amount <= 0:
            raise SimError.field("amount", "must be positive")
        if amount != amount.quantize(Decimal("1e-8")):
            raise SimError.field("amount", "at most 8 decimals")
        if amount < net.min_withdraw:
            raise SimError.field("amount", f"below the minimum {net.min_withdraw}")
        if amount > net.max_withdraw:
            raise SimError.field("amount", f"above the maximum {net.max_withdraw}")
        attributes = dict(attributes or {})
        for key, value in attributes.items():
            check_text("attributes", str(key), 64)
            check_text("attributes", str(value))
        if client_order_id:
            check_text("client_order_id", client_order_id, 64)
        address = str(attributes.get("address") or "")
        if not address:
            raise SimError.field("attributes", "address is required")
        if not net.valid_address(address):
            raise SimError.field(
                "attributes",
                f"address is not a valid {net.network} address "
                f"(starts with {net.address_prefix!r}, {net.address_len} characters)")
        if net.memo and not str(attributes.get("memo") or "").strip():
            raise SimError.field("attributes", "memo is required on this network")
        fee = self.fee_for(net, amount)
        wallet = self.ledger.get(account_id, WalletType.SPOT, net.currency, now=now)
        if amount + fee > wallet.available:
            raise SimError.field(
                "amount", f"insufficient balance: {amount + fee} {net.currency} needed "
                          f"(fee {fee}), {wallet.available} available")
        if client_order_id:
            for other in self.journal.records_of("withdrawal", account_id):
                if other.data.get("client_order_id") == client_order_id:
                    raise SimError.field("client_order_id", "already used")
        self.ledger.apply(wallet, ZERO, amount + fee, "WITHDRAW_HOLD", now)
        record = self.journal.add_record("withdrawal", account_id, now, {
            "id": 0, "amount": amount, "fee_amount": fee, "currency": net.currency,
            "fee_currency": net.currency, "status": WithdrawalStatus.NEW.value,
            "tx_hash": None, "date": rfc3339(now), "network": net.network,
            "method": net.method_id, "address": address,
            "memo": attributes.get("memo"), "client_order_id": client_order_id,
        })
        self.moving[("withdrawal", record.id)] = record
        return dict(record.data)

    @staticmethod
    def fee_for(net: NetworkSpec, amount: Decimal) -> Decimal:
        """Flat fee plus the rate part."""
        return net.fee_amount + (amount * net.fee_rate).quantize(Decimal("1e-8"))

    def _withdrawal_step(self, record: Record, now: float) -> None:
        data = record.data
        status = WithdrawalStatus(data["status"])
        if status not in WITHDRAW_STAGES or status is WithdrawalStatus.DONE:
            return
        stage = min(int((now - record.ts) / STAGE_SECONDS), len(WITHDRAW_STAGES) - 1)
        target = WITHDRAW_STAGES[stage]
        if target is status:
            return
        net = NETWORK_BY_ID[data["method"]]
        refuse = data["address"][len(net.address_prefix):].lower().startswith("refuse")
        wallet = self.ledger.get(record.account_id, WalletType.SPOT, data["currency"],
                                    now=now)
        held = data["amount"] + data["fee_amount"]
        if target is WithdrawalStatus.DONE and refuse:
            self.ledger.apply(wallet, ZERO, -held, "WITHDRAW_REFUSED", now)
            data["status"] = WithdrawalStatus.REFUSED.value
        elif target is WithdrawalStatus.DONE:
            # The amount leaves the exchange; the fee stays, with the house.
            self.ledger.apply(wallet, -held, -held, "WITHDRAW", now)
            if data["fee_amount"]:
                house = self.ledger.get(HOUSE_ID, WalletType.SPOT,
                                           data["currency"], now=now)
                self.ledger.apply(house, data["fee_amount"], ZERO, "FEE", now)
            data["status"] = WithdrawalStatus.DONE.value
            data["tx_hash"] = _tx_hash("withdraw", record.id, data["address"])
        else:
            data["status"] = target.value
        self.journal.mark("withdrawal", record.id, record)


    # --- life --------------------------------------------------------------------------
    def step(self, now: float) -> None:
        """Move every unfinished deposit and withdrawal along."""
        for (kind, rid), record in list(self.moving.items()):
            if kind == "deposit":
                self._deposit_step(record, now)
            else:
                self._withdrawal_step(record, now)
            if record.data["status"] in FINAL[kind]:
                del self.moving[(kind, rid)]

    def seed_demo_history(self, account_id: int) -> None:
        """Give a demo account one confirmed deposit in its history."""
        now = self._clock()
        record = self.journal.add_record("deposit", account_id, now - 3600, {
            "id": 0, "amount": Decimal(100_000), "currency": "USDT",
            "status": DepositStatus.CONFIRMED.value,
            "tx_hash": _tx_hash("deposit", account_id, "demo"),
            "date": rfc3339(now - 3600), "network": "TRC20", "method": 3,
            "confirmations": 20, "required_confirmations": 20,
        })
        assert record.data["status"] in FINAL["deposit"]
