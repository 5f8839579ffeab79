"""Constants of the ALP.COM v3 API, valued as they travel on the wire.

The reference names some constants by their SDK names (``BUY``, ``MARGIN_CROSS``,
``GOOD_TILL_CANCEL``); the wire carries other values (``BID``, ``CROSS_MARGIN``, ``GTC``).
Each enum's value is the wire value, and each accepts the reference name as an alias so
callers may pass either.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Any

# Reference (SDK) names and misspellings that mean a wire value, per enum.
_ALIASES: dict[str, dict[str, str]] = {
    "OrderSide": {"BUY": "BID", "SELL": "ASK", "ASC": "ASK"},
    "WalletType": {"MARGIN_CROSS": "CROSS_MARGIN", "MARGIN_ISOLATED": "ISOLATED_MARGIN"},
    "OrderStatus": {"PARTIAL_CANCELED": "PARTIAL_CANCELLED", "CANCELED": "CANCELLED"},
    "LoanType": {"AUTO": "LOAN_AUTO", "MANUAL": "LOAN_MANUAL"},
    "WithdrawalStatus": {"CANCELLED": "CANCELED"},
    "TimeInForce": {
        "GOOD_TILL_CANCEL": "GTC",
        "IMMEDIATE_OR_CANCEL": "IOC",
        "ALL_OR_NONE": "AON",
        "FILL_OR_KILL": "FOK",
    },
}


class _WireEnum(StrEnum):
    """A string enum whose lookup also accepts reference-name aliases, case-insensitively."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        key = value.strip().upper()
        aliases = _ALIASES.get(cls.__name__, {})
        key = aliases.get(key, key)
        for member in cls:
            if member.value == key or member.name == key:
                return member
        return None

    @classmethod
    def parse(cls, value: object, field: str = "value") -> _WireEnum:
        """Return the member for ``value`` (wire value, name or alias) or raise ValueError
        naming the field and the allowed values."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"{field} must be one of {allowed}; got {value!r}") from None


class OrderSide(_WireEnum):
    """Order side: ``BID`` (buy) or ``ASK`` (sell)."""

    BID = "BID"
    ASK = "ASK"

    @property
    def word(self) -> str:
        """The side in a trader's words: BUY or SELL."""
        return "BUY" if self is OrderSide.BID else "SELL"


class WalletType(_WireEnum):
    """Wallet type on the wire."""

    SPOT = "SPOT"
    CROSS_MARGIN = "CROSS_MARGIN"
    ISOLATED_MARGIN = "ISOLATED_MARGIN"
    FUNDING = "FUNDING"

    @property
    def is_margin(self) -> bool:
        """True for the cross and isolated margin wallets."""
        return self in (WalletType.CROSS_MARGIN, WalletType.ISOLATED_MARGIN)


class OrderType(_WireEnum):
    """Order type."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LIMIT = "STOP_LIMIT"
    STOP_MARKET = "STOP_MARKET"


class OrderStatus(_WireEnum):
    """Order status; the later edition's ``PARTIAL_CANCELED`` reads as PARTIAL_CANCELLED."""

    UNDEFINED = "UNDEFINED"
    PENDING = "PENDING"
    OPEN = "OPEN"
    CANCELLED = "CANCELLED"
    PARTIAL_CANCELLED = "PARTIAL_CANCELLED"
    PARTIAL_FILLED = "PARTIAL_FILLED"
    FILLED = "FILLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self in (OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIAL_FILLED)


class TimeInForce(_WireEnum):
    """Time in force."""

    GTC = "GTC"
    IOC = "IOC"
    AON = "AON"
    FOK = "FOK"
    UNDEFINED_TIME_IN_FORCE = "UNDEFINED_TIME_IN_FORCE"


class SideEffect(_WireEnum):
    """Side effect of an order on a margin wallet."""

    NO_SIDE_EFFECT = "NO_SIDE_EFFECT"
    AUTO_BORROW = "AUTO_BORROW"
    AUTO_REPLAY = "AUTO_REPLAY"


class StopOperator(_WireEnum):
    """Stop trigger comparison against the last trade price."""

    GTE = "GTE"
    LTE = "LTE"


class LoanType(_WireEnum):
    """Loan type."""

    LOAN_AUTO = "LOAN_AUTO"
    LOAN_MANUAL = "LOAN_MANUAL"


class MarginDirection(_WireEnum):
    """Margin transfer direction: ADD moves spot → margin, SUB margin → spot."""

    ADD = "ADD"
    SUB = "SUB"


class _OpenWireEnum(_WireEnum):
    """A wire enum whose list is known to drift (the reference's own example shows a status
    its list lacks): a value not listed is kept as sent, upper-cased, instead of refused.
    Only for values shown, never for values the app decides on."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        member = super()._missing_(value)
        if member is None and isinstance(value, str) and value.strip():
            text = value.strip().upper()
            member = str.__new__(cls, text)
            member._name_ = text
            member._value_ = text
        return member


class DepositStatus(_OpenWireEnum):
    """Deposit status."""

    PENDING = "PENDING"
    MODERATION = "MODERATION"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


class WithdrawalStatus(_OpenWireEnum):
    """Withdrawal status (the reference's example also shows ``COMPLETED``)."""

    NEW = "NEW"
    CONFIRMED = "CONFIRMED"
    VERIFIED = "VERIFIED"
    MODERATION = "MODERATION"
    APPROVED = "APPROVED"
    SUSPENDED = "SUSPENDED"
    DONE = "DONE"
    REFUSED = "REFUSED"
    CANCELED = "CANCELED"
    COMPLETED = "COMPLETED"


class ChartInterval(int, Enum):
    """Candle interval; the wire value is the number of minutes."""

    ONE_MIN = 1
    FIVE_MIN = 5
    FIFTEEN_MINS = 15
    HALF_HOUR = 30
    HOUR = 60
    FOUR_HOURS = 240
    DAY = 1440

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            text = value.strip().upper()
            if text == "1D":
                return cls.DAY
            if text.isdigit():
                return cls(int(text))
            for member in cls:
                if member.name == text:
                    return member
        return None

    @property
    def label(self) -> str:
        """Short label: 5m, 1h, 1d."""
        minutes = self.value
        if minutes % 1440 == 0:
            return f"{minutes // 1440}d"
        if minutes % 60 == 0:
            return f"{minutes // 60}h"
        return f"{minutes}m"

    @property
    def seconds(self) -> int:
        """Length of one candle in seconds."""
        return self.value * 60


def normalize_pair(name: str) -> str:
    """Read ``BTC/USDT``, ``btc_usdt`` or ``BTC-USDT`` as ``BTC_USDT``."""
    return name.strip().upper().replace("/", "_").replace("-", "_")
