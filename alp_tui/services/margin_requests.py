"""Margin requests, validated and typed, before anything is sent.

The margin forms hand raw field values to :meth:`TransferRequest.build` /
:meth:`LoanRequest.build`; every problem comes back at once as a
:class:`MarginRequestError` whose ``field_errors`` name the form fields, so the form can
mark each of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from alp_tui.api.enums import LoanType, MarginDirection, WalletType, normalize_pair
from alp_tui.services.margin_alerts import WalletKey

MAX_DECIMALS = 8


class MarginRequestError(Exception):
    """A margin request that was refused, before sending or by the exchange.

    ``field_errors`` maps a form field (``amount``, ``currency``, ``wallet_type``, ``pair``,
    ``direction``) to what is wrong with it; ``message`` is one sentence for the whole
    form. ``sent`` tells whether the request reached the exchange; ``unknown`` that its
    answer never came, so it may or may not have been done (the form sends nothing more).
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, str] | None = None,
        sent: bool = False,
        forbidden: bool = False,
        unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})
        self.sent = sent
        self.forbidden = forbidden
        self.unknown = unknown

    def __str__(self) -> str:
        return self.message


def parse_amount(raw: object, field_name: str = "amount") -> Decimal:
    """Read a positive decimal amount; raise :class:`MarginRequestError` naming the field."""
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise MarginRequestError(
            "Enter a number.", field_errors={field_name: "not a number"}
        ) from None
    if not value.is_finite():
        raise MarginRequestError("Enter a number.", field_errors={field_name: "not a number"})
    if value <= 0:
        raise MarginRequestError(
            "The amount must be above zero.", field_errors={field_name: "must be above zero"}
        )
    if -value.as_tuple().exponent > MAX_DECIMALS:  # type: ignore[operator]
        raise MarginRequestError(
            "Too many decimals.",
            field_errors={field_name: f"at most {MAX_DECIMALS} decimals"},
        )
    return value


def parse_wallet(wallet_type: WalletType | str, pair: str | None) -> WalletKey:
    """The margin wallet a form names; raises :class:`MarginRequestError` naming the field."""
    errors: dict[str, str] = {}
    try:
        wt = WalletType.parse(wallet_type, "wallet_type")
    except ValueError:
        raise MarginRequestError(
            "Choose a margin wallet.", field_errors={"wallet_type": "choose cross or isolated"}
        ) from None
    if not wt.is_margin:
        errors["wallet_type"] = "must be the cross or an isolated margin wallet"
    norm_pair = normalize_pair(pair) if pair else None
    if wt is WalletType.ISOLATED_MARGIN and not norm_pair:
        errors["pair"] = "an isolated wallet needs its pair"
    if norm_pair and "_" not in norm_pair:
        errors["pair"] = "must look like BTC_USDT"
    if errors:
        raise MarginRequestError("Check the wallet.", field_errors=errors)
    return WalletKey(wt, norm_pair if wt is WalletType.ISOLATED_MARGIN else None)


def _currency(raw: str | None, wallet: WalletKey) -> str:
    currency = (raw or "").strip().upper()
    if not currency:
        raise MarginRequestError("Choose a currency.", field_errors={"currency": "required"})
    if wallet.pair and currency not in wallet.pair.split("_"):
        raise MarginRequestError(
            f"{currency} is not traded in {wallet.pair}.",
            field_errors={"currency": f"must be one of {wallet.pair.replace('_', ', ')}"},
        )
    return currency


class _Errors:
    """Collects field errors from several checks so a form shows them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def run(self, check: Any) -> Any:
        try:
            return check()
        except MarginRequestError as exc:
            self.fields.update(exc.field_errors)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            if len(self.fields) == 1:
                name, text = next(iter(self.fields.items()))
                message = f"{name.replace('_', ' ').capitalize()}: {text}."
            else:
                message = "Check the highlighted fields."
            raise MarginRequestError(message, field_errors=self.fields)


def _direction(raw: MarginDirection | str) -> MarginDirection:
    try:
        return MarginDirection.parse(raw, "direction")  # type: ignore[return-value]
    except ValueError:
        raise MarginRequestError(
            "Choose a direction.",
            field_errors={"direction": "ADD (spot → margin) or SUB (margin → spot)"},
        ) from None


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """Move ``amount`` of ``currency`` between spot and a margin wallet (ADD: into margin)."""

    wallet: WalletKey
    direction: MarginDirection
    amount: Decimal
    currency: str
    note: str | None = None

    @classmethod
    def build(
        cls,
        *,
        wallet_type: WalletType | str,
        direction: MarginDirection | str,
        amount: object,
        currency: str | None,
        pair: str | None = None,
        note: str | None = None,
    ) -> TransferRequest:
        """Validate raw form values; raises :class:`MarginRequestError` with every
        field's problem."""
        errors = _Errors()
        wallet = errors.run(lambda: parse_wallet(wallet_type, pair))
        dirn = errors.run(lambda: _direction(direction))
        value = errors.run(lambda: parse_amount(amount))
        cur = errors.run(lambda: _currency(currency, wallet or WalletKey(WalletType.CROSS_MARGIN)))
        errors.raise_if_any()
        return cls(wallet, dirn, value, cur, (note or "").strip() or None)


@dataclass(frozen=True, slots=True)
class LoanRequest:
    """Borrow or repay ``amount`` of ``currency`` in a margin wallet."""

    wallet: WalletKey
    amount: Decimal
    currency: str
    loan_type: LoanType = LoanType.LOAN_MANUAL

    @classmethod
    def build(
        cls,
        *,
        wallet_type: WalletType | str,
        amount: object,
        currency: str | None,
        pair: str | None = None,
    ) -> LoanRequest:
        """Validate raw form values; raises :class:`MarginRequestError` with every
        field's problem."""
        errors = _Errors()
        wallet = errors.run(lambda: parse_wallet(wallet_type, pair))
        value = errors.run(lambda: parse_amount(amount))
        cur = errors.run(lambda: _currency(currency, wallet or WalletKey(WalletType.CROSS_MARGIN)))
        errors.raise_if_any()
        return cls(wallet, value, cur)
