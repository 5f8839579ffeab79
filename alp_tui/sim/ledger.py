"""Wallets, reserves and the operation history.

Every balance change goes through :meth:`Ledger.apply`, which refuses anything that would
make a balance or reserve negative or a reserve exceed its balance, and writes one activity
record per change for user accounts. Money only ever moves between wallets (market makers,
the fee collector and the margin lender are accounts too), so the sum of every currency
over all wallets is conserved; deposits and withdrawals are the only flows across the
border and are recorded as such.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alp_tui.api.enums import WalletType

ZERO = Decimal(0)
_ISOLATED = WalletType.ISOLATED_MARGIN

# System accounts: the house collects fees and backs liquidations; the lender funds
# margin loans; the maker and the taker are market life. Users start at USER_ID_START.
HOUSE_ID = 1
LENDER_ID = 2
MAKER_ID = 3
TAKER_ID = 4
USER_ID_START = 1001
SYSTEM_ACCOUNTS = frozenset({HOUSE_ID, LENDER_ID, MAKER_ID, TAKER_ID})
# Market life's accounts are refunded on every start and never stored.
EPHEMERAL_ACCOUNTS = frozenset({MAKER_ID, TAKER_ID})

WalletKey = tuple[int, WalletType, str, str | None]


_last_stamp: list[Any] = [None, None]


def rfc3339(ts: float | None) -> str | None:
    """Unix seconds as an RFC 3339 UTC string with microseconds (None stays None)."""
    if ts is None:
        return None
    # One call stamps many rows with the same time: remember the last conversion.
    if _last_stamp[0] == ts:
        return _last_stamp[1]
    text = datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")
    _last_stamp[0], _last_stamp[1] = ts, text
    return text


class LedgerError(AssertionError):
    """An internal invariant would break (a bug, never a user error)."""


class Record:
    """A history row: activity, account trade, margin operation, deposit, withdrawal...

    ``data`` is the JSON-ready dict the API answers with; ``ts`` is kept beside it for
    time filters. Records are persisted as they are.
    """

    __slots__ = ("account_id", "data", "id", "kind", "ts")

    def __init__(self, kind: str, id: int, account_id: int, ts: float,
                 data: dict[str, Any]) -> None:
        self.kind = kind
        self.id = id
        self.account_id = account_id
        self.ts = ts
        self.data = data


class ActivityRow:
    """One activity record, kept compact: most are never read, so the API dict is built
    only when asked for (``data``)."""

    __slots__ = ("account_id", "balance", "balance_delta", "currency", "id", "reserve",
                 "reserve_delta", "ts", "type", "wallet_id", "wallet_type")

    kind = "activity"

    def __init__(self, id: int, wallet: Wallet, kind: str, ts: float, balance: Decimal,
                 balance_delta: Decimal, reserve: Decimal, reserve_delta: Decimal) -> None:
        self.id = id
        self.account_id = wallet.account_id
        self.wallet_id = wallet.id
        self.currency = wallet.currency
        self.wallet_type = wallet.wallet_type
        self.type = kind
        self.ts = ts
        self.balance = balance
        self.balance_delta = balance_delta
        self.reserve = reserve
        self.reserve_delta = reserve_delta

    @property
    def data(self) -> dict[str, Any]:
        """The row ``GET /accounts/activity`` answers with."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "wallet_id": self.wallet_id,
            "type": self.type,
            "balance": self.balance,
            "balance_delta": self.balance_delta,
            "balance_end": self.balance + self.balance_delta,
            "reserve": self.reserve,
            "reserve_delta": self.reserve_delta,
            "reserve_end": self.reserve + self.reserve_delta,
            "currency": self.currency,
            "wallet_type": self.wallet_type.value,
            "date": rfc3339(self.ts),
        }


class Wallet:
    """One account's holding of one currency in one wallet (isolated margin: per pair)."""

    __slots__ = ("account_id", "balance", "currency", "id", "pair", "reserve", "updated_at",
                 "wallet_type")

    def __init__(self, id: int, account_id: int, wallet_type: WalletType, currency: str,
                 pair: str | None, updated_at: float) -> None:
        self.id = id
        self.account_id = account_id
        self.wallet_type = wallet_type
        self.currency = currency
        self.pair = pair
        self.balance = ZERO
        self.reserve = ZERO
        self.updated_at = updated_at

    @property
    def available(self) -> Decimal:
        """Balance not held by orders or withdrawals."""
        return self.balance - self.reserve

    @property
    def key(self) -> WalletKey:
        """The ledger's key for this wallet."""
        return (self.account_id, self.wallet_type, self.currency, self.pair)

    def public(self) -> dict[str, Any]:
        """The row ``GET /accounts/balances`` answers with."""
        row: dict[str, Any] = {
            # A zero that came out of arithmetic may print as 0E-8; answer a plain 0.
            "balance": self.balance if self.balance else ZERO,
            "reserve": self.reserve if self.reserve else ZERO,
            "currency": self.currency,
            "wallet_type": self.wallet_type.value,
            "last_update_at": rfc3339(self.updated_at),
            "account_id": self.account_id,
        }
        if self.pair is not None:
            row["pair"] = self.pair
        return row


class Ledger:
    """All wallets, with the change log of user accounts."""

    def __init__(self, next_id: Callable[[str], int],
                 on_change: Callable[[Wallet, Any], None]) -> None:
        self._next_id = next_id
        self._on_change = on_change
        self.wallets: dict[WalletKey, Wallet] = {}
        self.by_account: dict[int, list[Wallet]] = {}
        # Accounts without history (market makers, the house): their churn would only
        # fill memory.
        self.quiet_accounts: set[int] = set()
        self.activity: dict[int, list[Any]] = {}

    def get(self, account_id: int, wallet_type: WalletType, currency: str,
            pair: str | None = None, now: float = 0.0) -> Wallet:
        """The wallet, created empty on first use."""
        if wallet_type is not _ISOLATED:
            pair = None
        key = (account_id, wallet_type, currency, pair)
        wallet = self.wallets.get(key)
        if wallet is None:
            wallet = Wallet(self._next_id("wallet"), account_id, wallet_type, currency, pair,
                            now)
            self.add_wallet(wallet)
            self._on_change(wallet, None)  # a new (empty) wallet is state too
        return wallet

    def find(self, account_id: int, wallet_type: WalletType, currency: str,
             pair: str | None = None) -> Wallet | None:
        """The wallet if it exists."""
        if wallet_type is not WalletType.ISOLATED_MARGIN:
            pair = None
        return self.wallets.get((account_id, wallet_type, currency, pair))

    def add_wallet(self, wallet: Wallet) -> None:
        """Register an existing wallet (creation or loading)."""
        self.wallets[wallet.key] = wallet
        self.by_account.setdefault(wallet.account_id, []).append(wallet)

    def apply(self, wallet: Wallet, balance_delta: Decimal, reserve_delta: Decimal,
              kind: str, now: float) -> None:
        """Change a wallet's balance and reserve together, refusing anything negative."""
        balance = wallet.balance + balance_delta
        reserve = wallet.reserve + reserve_delta
        if balance < 0 or reserve < 0 or reserve > balance:
            raise LedgerError(
                f"{kind} on wallet {wallet.key}: balance {wallet.balance}{balance_delta:+} "
                f"reserve {wallet.reserve}{reserve_delta:+}")
        record = None
        if wallet.account_id not in self.quiet_accounts:
            record = ActivityRow(self._next_id("activity"), wallet, kind, now,
                                 wallet.balance, balance_delta, wallet.reserve, reserve_delta)
            self.activity.setdefault(wallet.account_id, []).append(record)
        wallet.balance = balance
        wallet.reserve = reserve
        wallet.updated_at = now
        self._on_change(wallet, record)

    def move(self, source: Wallet, target: Wallet, amount: Decimal, kind: str, now: float,
             from_reserve: bool = False) -> None:
        """Move ``amount`` between wallets (out of the source's reserve if asked)."""
        if amount == 0:
            return
        self.apply(source, -amount, -amount if from_reserve else ZERO, kind, now)
        self.apply(target, amount, ZERO, kind, now)

    def totals(self) -> dict[str, Decimal]:
        """Sum of every currency over all wallets (the conservation check)."""
        sums: dict[str, Decimal] = {}
        for wallet in self.wallets.values():
            sums[wallet.currency] = sums.get(wallet.currency, ZERO) + wallet.balance
        return sums
