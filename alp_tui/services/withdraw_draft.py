"""Withdrawal drafts: a withdrawal form checked against its method, and what it costs
(fee on top of the amount, or taken out of it). Pure and textual-free."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from functools import lru_cache
from typing import Any

from alp_tui.services.format import format_decimal, format_exact, quantum
from alp_tui.services.order_types import WITHDRAW_PRECISION, parse_decimal

log = logging.getLogger(__name__)


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


class Shown:
    """Amounts of one currency as the withdrawal shows them: at its display ``places``
    (the exchange's 8-decimal grid, trailing zeros trimmed, when no pair lists it), never
    promising more than is there: what is available rounds down, what it costs rounds up."""

    def __init__(self, places: int | None) -> None:
        self.places = places

    def _at(self, value: Decimal, rounding: str, trim: bool) -> str:
        if self.places is None:
            return format_exact(value, WITHDRAW_PRECISION)
        text = format_decimal(value, self.places, rounding=rounding)
        if trim and "." in text:  # a network's fee and limits: ``0.0002``, not ``0.000200``
            text = text.rstrip("0").rstrip(".")
        return text

    def down(self, value: Decimal, *, trim: bool = False) -> str:
        """An amount there is (available, arrives, left after): rounded down."""
        return self._at(value, ROUND_DOWN, trim)

    def up(self, value: Decimal, *, trim: bool = False) -> str:
        """An amount it costs (fee, what the balance pays, a minimum): rounded up."""
        return self._at(value, ROUND_UP, trim)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` compiled, or None when Python cannot (the server's may be written for
    another engine, e.g. a JavaScript ``(?<name>...)``): said once per pattern, the cache
    remembers the failure."""
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        log.warning("withdraw attribute regex %r does not compile in Python (%s): "
                    "that attribute is sent unchecked", pattern[:200], exc)
        return None


def attribute_problem(attr: Any, value: str, network: str) -> str | None:
    """Why ``value`` does not fit ``attr`` (a ``MethodAttribute``) by the ``regex`` the
    server gives for it, or None: no regex, or one Python cannot compile (then it is not
    checked, the exchange still is). The regex is searched, as a web form tests it: its own
    ``^``/``$`` anchors decide whether the whole value must match."""
    pattern = getattr(attr, "regex", None)
    if not isinstance(pattern, str) or not pattern:
        return None
    compiled = _compiled(pattern)
    if compiled is None or compiled.search(value):
        return None
    # The field shows what was typed; the error says what is wrong, never repeats it.
    return f"Not a valid {network} {attr.key}: check it was copied whole"


def max_withdraw(method: Any, available_amount: Decimal, places: int | None) -> Decimal | None:
    """The largest amount on the ``places`` grid whose debit (with the fee when it comes
    on top) fits in ``available_amount`` and the method's maximum; None when none does."""
    step = quantum(WITHDRAW_PRECISION if places is None else places)
    if fee_is_included(method):
        amount = available_amount.quantize(step, rounding=ROUND_DOWN)
    else:
        rate = method.fee_rate or Decimal(0)
        amount = ((available_amount - method.fee_amount) / (1 + rate)).quantize(
            step, rounding=ROUND_DOWN)
        while amount > 0 and amount + withdraw_fee(method.fee_amount, rate,
                                                   amount) > available_amount:
            amount -= step  # the fee is rounded on its own grid: step back until it fits
    if method.max_withdraw is not None:
        amount = min(amount, method.max_withdraw.quantize(step, rounding=ROUND_DOWN))
    return amount if amount > 0 else None


def build_withdraw(method: Any, amount_text: str, attributes: dict[str, str],
                   available_amount: Decimal | None,
                   places: int | None = None) -> tuple[WithdrawDraft | None, dict[str, str]]:
    """Validate a withdrawal form against its method (a ``WithdrawMethod``).

    Errors are keyed ``amount``, ``method`` or ``attr-<key>``; every attribute the method
    lists is required, one word, and matches the attribute's ``regex`` when the server
    gives one (:func:`attribute_problem`). The fee comes on top of the amount unless the
    method includes it (:func:`fee_is_included`). ``places``: the currency's display
    decimals; the amount may have no more, so what is sent is exactly what the confirm
    shows (None: the exchange's 8-decimal grid).
    """
    errors: dict[str, str] = {}
    if method is None:
        return None, {"method": "Choose a network"}
    if not getattr(method, "is_enabled", True):
        errors["method"] = f"{method.network} withdrawals are disabled"
    shown = Shown(places)
    parsed = parse_decimal(amount_text, WITHDRAW_PRECISION if places is None else places,
                           label="Amount")
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
            errors["amount"] = f"Minimum is {shown.up(method.min_withdraw)} {method.currency}"
        elif method.max_withdraw is not None and amount > method.max_withdraw:
            errors["amount"] = (f"Maximum is {shown.down(method.max_withdraw)} "
                                f"{method.currency}")
        elif included and amount <= fee:
            errors["amount"] = (f"The fee {shown.up(fee)} {method.currency} comes out of the "
                                "amount: nothing would arrive")
        elif available_amount is not None and debit > available_amount:
            with_fee = "" if included else f" with the fee {shown.up(fee)}"
            errors["amount"] = (f"Needs {shown.up(debit)} {method.currency}{with_fee}; "
                                f"{shown.down(available_amount)} available")
    clean: dict[str, str] = {}
    for attr in method.attributes:
        value = attributes.get(attr.key, "").strip()
        if not value:
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} is required"
        elif len(value) > 256 or any(ch.isspace() for ch in value):
            errors[f"attr-{attr.key}"] = f"{attr.key.capitalize()} must be one word, no spaces"
        elif problem := attribute_problem(attr, value, method.network):
            errors[f"attr-{attr.key}"] = problem
        else:
            clean[attr.key] = value
    if errors or amount is None:
        return None, errors
    return WithdrawDraft(method.id, method.currency, method.network, amount, fee, clean,
                         fee_included=included), {}
