"""Withdrawal drafts: a withdrawal form checked against its method, and what it costs
(fee on top of the amount, or taken out of it). Pure and textual-free."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alp_tui.services.format import quantum
from alp_tui.services.order_types import WITHDRAW_PRECISION, parse_decimal, plain


@dataclass(frozen=True)
class WithdrawDraft:
    """A validated withdrawal: what will be sent, and what it costs.

    ``fee_included``: the network takes its fee out of the amount (the address receives
    amount − fee and the balance loses the amount) instead of on top of it (the address
    receives the amount and the balance loses amount + fee, the simulator's way).
    """

    method_id: int
    currency: str
    network: str
    amount: Decimal
    fee: Decimal
    attributes: dict[str, str]
    fee_included: bool = False

    @property
    def total(self) -> Decimal:
        """What leaves the balance: the amount, plus the fee when it comes on top."""
        return self.amount if self.fee_included else self.amount + self.fee

    @property
    def received(self) -> Decimal:
        """What arrives at the address."""
        return self.amount - self.fee if self.fee_included else self.amount

    def balance_after(self, available_amount: Decimal) -> Decimal:
        """The available balance once the withdrawal is requested."""
        return available_amount - self.total


def fee_is_included(method: Any) -> bool:
    """True when ``method`` (a ``WithdrawMethod``) takes its fee out of the amount: the
    exchange says so with a ``fee_included`` flag; without one the fee comes on top."""
    flag = getattr(method, "fee_included", False)
    if isinstance(flag, str):
        return flag.strip().lower() in ("1", "true", "yes")
    return bool(flag)


def withdraw_fee(fee_amount: Decimal, fee_rate: Decimal, amount: Decimal) -> Decimal:
    """Fixed fee plus the rate on the amount, to 8 decimals."""
    return (fee_amount + amount * fee_rate).quantize(quantum(WITHDRAW_PRECISION))


def build_withdraw(method: Any, amount_text: str, attributes: dict[str, str],
                   available_amount: Decimal | None) -> tuple[WithdrawDraft | None,
                                                             dict[str, str]]:
    """Validate a withdrawal form against its method (a ``WithdrawMethod``).

    Errors are keyed ``amount``, ``method`` or ``attr-<key>``; every attribute the method
    lists is required. The fee comes on top of the amount unless the method includes it
    (:func:`fee_is_included`).
    """
    errors: dict[str, str] = {}
    if method is None:
        return None, {"method": "Choose a network"}
    if not getattr(method, "is_enabled", True):
        errors["method"] = f"{method.network} withdrawals are disabled"
    parsed = parse_decimal(amount_text, WITHDRAW_PRECISION, label="Amount")
    amount: Decimal | None = None
    fee = Decimal(0)
    included = fee_is_included(method)
    if isinstance(parsed, str):
        errors["amount"] = parsed
    else:
        amount = parsed
        fee = withdraw_fee(method.fee_amount, method.fee_rate, amount)
        debit = amount if included else amount + fee
        if method.min_withdraw is not None and amount < method.min_withdraw:
            errors["amount"] = f"Minimum is {plain(method.min_withdraw)} {method.currency}"
        elif method.max_withdraw is not None and amount > method.max_withdraw:
            errors["amount"] = f"Maximum is {plain(method.max_withdraw)} {method.currency}"
        elif included and amount <= fee:
            errors["amount"] = (f"The fee {plain(fee)} {method.currency} comes out of the "
                                "amount: nothing would arrive")
        elif available_amount is not None and debit > available_amount:
            with_fee = "" if included else f" with the fee {plain(fee)}"
            errors["amount"] = (f"Needs {plain(debit)} {method.currency}{with_fee}; "
                                f"{plain(available_amount)} available")
    clean: dict[str, str] = {}
    for attr in method.attributes:
        value = attributes.get(attr.key, "").strip()
        if not value:
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} is required"
        elif len(value) > 256 or any(ch.isspace() for ch in value):
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} must be one word, no spaces"
        else:
            clean[attr.key] = value
    if errors or amount is None:
        return None, errors
    return WithdrawDraft(method.id, method.currency, method.network, amount, fee, clean,
                         fee_included=included), {}
