"""What the simulated exchange lists: currencies, pairs, the fee schedule and the
deposit / withdrawal methods. Static data plus small helpers; no state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal
ZERO = Decimal(0)


@dataclass(frozen=True)
class CurrencySpec:
    """A listed currency; ``precision`` is the number of decimals balances use."""

    short_name: str
    sign: str
    name: str
    precision: int = 8


@dataclass(frozen=True)
class PairSpec:
    """A trading pair: precisions, order-size limits and where its market starts."""

    name: str
    base: str
    quote: str
    amount_precision: int
    price_precision: int
    minimum_order_size: Decimal
    maximum_order_size: Decimal
    minimum_order_value: Decimal
    start_price: Decimal
    # Volatility per sqrt(second) of the simulated fair price (log scale).
    volatility: float = 1.5e-4
    price_tick: Decimal = field(init=False)
    amount_step: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_tick", D(1).scaleb(-self.price_precision))
        object.__setattr__(self, "amount_step", D(1).scaleb(-self.amount_precision))

    def public(self) -> dict[str, object]:
        """The row ``GET /pairs`` answers with."""
        return {
            "name": self.name,
            "currency1": self.base,
            "currency2": self.quote,
            "amount_precision": self.amount_precision,
            "price_precision": self.price_precision,
            "maximum_order_size": self.maximum_order_size,
            "minimum_order_size": self.minimum_order_size,
            "minimum_order_value": self.minimum_order_value,
        }


CURRENCIES: tuple[CurrencySpec, ...] = (
    CurrencySpec("USDT", "₮", "Tether USD", 8),
    CurrencySpec("USDC", "$", "USD Coin", 8),
    CurrencySpec("BTC", "₿", "Bitcoin", 8),
    CurrencySpec("ETH", "Ξ", "Ethereum", 8),
    CurrencySpec("SOL", "◎", "Solana", 8),
    CurrencySpec("XRP", "✕", "XRP", 8),
    CurrencySpec("LTC", "Ł", "Litecoin", 8),
    CurrencySpec("DOGE", "Ð", "Dogecoin", 8),
    CurrencySpec("TRX", "T", "TRON", 8),
    CurrencySpec("BNB", "B", "BNB", 8),
    CurrencySpec("ADA", "₳", "Cardano", 8),
    CurrencySpec("DOT", "●", "Polkadot", 8),
    CurrencySpec("AVAX", "A", "Avalanche", 8),
    CurrencySpec("LINK", "⬡", "Chainlink", 8),
)
CURRENCY_BY_NAME = {c.short_name: c for c in CURRENCIES}


def _pair(base: str, quote: str, amount_prec: int, price_prec: int, min_size: str,
          max_size: str, min_value: str, price: str, vol: float = 1.5e-4) -> PairSpec:
    return PairSpec(f"{base}_{quote}", base, quote, amount_prec, price_prec, D(min_size),
                    D(max_size), D(min_value), D(price), vol)


# Prices are late-2026-plausible; precisions follow what the big venues use for each.
PAIRS: tuple[PairSpec, ...] = (
    _pair("BTC", "USDT", 6, 2, "0.00001", "100", "5", "91250.00"),
    _pair("ETH", "USDT", 5, 2, "0.0001", "2000", "5", "3045.50", 1.80e-04),
    _pair("SOL", "USDT", 3, 2, "0.01", "50000", "5", "142.35", 2.40e-04),
    _pair("XRP", "USDT", 1, 4, "1", "5000000", "5", "2.2140", 2.40e-04),
    _pair("LTC", "USDT", 3, 2, "0.01", "20000", "5", "88.40", 2.10e-04),
    _pair("DOGE", "USDT", 0, 5, "10", "20000000", "5", "0.15820", 2.70e-04),
    _pair("TRX", "USDT", 0, 5, "10", "20000000", "5", "0.27850", 1.80e-04),
    _pair("BNB", "USDT", 3, 2, "0.001", "5000", "5", "905.20", 1.80e-04),
    _pair("ADA", "USDT", 1, 4, "1", "5000000", "5", "0.4550", 2.40e-04),
    _pair("DOT", "USDT", 2, 3, "0.1", "500000", "5", "2.850", 2.40e-04),
    _pair("AVAX", "USDT", 2, 3, "0.1", "200000", "5", "14.300", 2.40e-04),
    _pair("LINK", "USDT", 2, 3, "0.1", "200000", "5", "13.200", 2.40e-04),
    _pair("BTC", "USDC", 6, 2, "0.00001", "100", "5", "91240.00"),
    _pair("ETH", "USDC", 5, 2, "0.0001", "2000", "5", "3045.10", 1.80e-04),
    _pair("SOL", "USDC", 3, 2, "0.01", "50000", "5", "142.30", 2.40e-04),
    _pair("XRP", "USDC", 1, 4, "1", "5000000", "5", "2.2135", 2.40e-04),
    _pair("LTC", "USDC", 3, 2, "0.01", "20000", "5", "88.35", 2.10e-04),
    _pair("DOGE", "USDC", 0, 5, "10", "20000000", "5", "0.15815", 2.70e-04),
    _pair("BNB", "USDC", 3, 2, "0.001", "5000", "5", "905.00", 1.80e-04),
    _pair("ETH", "BTC", 4, 6, "0.001", "2000", "0.0001", "0.033380", 1.20e-04),
    _pair("LTC", "BTC", 2, 8, "0.01", "20000", "0.0001", "0.00096900", 1.20e-04),
)
PAIR_BY_NAME = {p.name: p for p in PAIRS}

def quote_usd_rate(currency: str) -> Decimal:
    """Rough USD value of a quote currency at listing prices (for sizing activity)."""
    if currency in ("USDT", "USDC"):
        return D(1)
    spec = PAIR_BY_NAME.get(f"{currency}_USDT")
    return spec.start_price if spec is not None else D(1)


# Default fee schedule: the entry with the highest priority that matches applies.
DEFAULT_TAKER_FEE = D("0.002")
DEFAULT_MAKER_FEE = D("0.001")


@dataclass(frozen=True)
class FeeEntry:
    """One row of the fee schedule (``pair`` None = every pair)."""

    taker_fee_rate: Decimal
    maker_fee_rate: Decimal
    priority: int
    pair: str | None = None

    def public(self, account_id: int) -> dict[str, object]:
        """The row ``GET /accounts/feeinfo`` answers with."""
        return {
            "account_id": account_id,
            # A list, as the reference shows (the official client rejects null).
            "active_once": [],
            "taker_fee_rate": self.taker_fee_rate,
            "maker_fee_rate": self.maker_fee_rate,
            # Fees are taken in the currency received, so no single one: an empty string,
            # since the official client's model needs a string here.
            "fee_currency": "",
            "priority": self.priority,
            "currency": None,
            "pair": self.pair,
            "is_active": True,
        }


FEE_SCHEDULE: tuple[FeeEntry, ...] = (
    FeeEntry(DEFAULT_TAKER_FEE, DEFAULT_MAKER_FEE, 0),
    # A promotion so the fee pane has more than one row: zero maker fee on ETH_BTC.
    FeeEntry(D("0.0015"), D("0"), 10, "ETH_BTC"),
)
ZERO_FEES = FeeEntry(D(0), D(0), 100)


def fee_rates(pair: str, schedule: tuple[FeeEntry, ...] = FEE_SCHEDULE) -> FeeEntry:
    """The entry that applies to ``pair``: the matching one with the highest priority."""
    best: FeeEntry | None = None
    for entry in schedule:
        if entry.pair not in (None, pair):
            continue
        if best is None or entry.priority > best.priority:
            best = entry
    assert best is not None
    return best


# --- funding methods -----------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSpec:
    """A network a currency travels on, with its address format and withdrawal terms."""

    method_id: int
    currency: str
    network: str
    address_prefix: str
    address_len: int
    confirmations: int
    fee_amount: Decimal
    min_withdraw: Decimal
    max_withdraw: Decimal
    min_deposit: Decimal
    max_deposit: Decimal
    memo: bool = False
    fee_rate: Decimal = ZERO

    def address_for(self, account_id: int) -> str:
        """The account's deterministic deposit address on this network."""
        digest = hashlib.sha256(f"{account_id}:{self.currency}:{self.network}".encode()).hexdigest()
        body_len = max(self.address_len - len(self.address_prefix), 8)
        return self.address_prefix + digest[:body_len]

    def valid_address(self, address: str) -> bool:
        """A loose format check: prefix and length, like a wallet would do."""
        return (address.startswith(self.address_prefix)
                and len(address) == self.address_len
                and address.isalnum())


def _net(method_id: int, currency: str, network: str, prefix: str, length: int, conf: int,
         fee: str, min_w: str, max_w: str, min_d: str, max_d: str, memo: bool = False
         ) -> NetworkSpec:
    return NetworkSpec(method_id, currency, network, prefix, length, conf, D(fee), D(min_w),
                       D(max_w), D(min_d), D(max_d), memo)


NETWORKS: tuple[NetworkSpec, ...] = (
    _net(1, "BTC", "BTC", "bc1q", 42, 2, "0.0002", "0.001", "50", "0.0001", "1000"),
    _net(2, "ETH", "ERC20", "0x", 42, 12, "0.002", "0.01", "1000", "0.001", "10000"),
    _net(3, "USDT", "TRC20", "T", 34, 20, "1", "10", "1000000", "1", "10000000"),
    _net(4, "USDT", "ERC20", "0x", 42, 12, "5", "20", "1000000", "1", "10000000"),
    _net(5, "USDC", "ERC20", "0x", 42, 12, "5", "20", "1000000", "1", "10000000"),
    _net(6, "SOL", "SOL", "So", 44, 1, "0.01", "0.1", "100000", "0.01", "1000000"),
    _net(7, "XRP", "XRP", "r", 34, 1, "0.2", "20", "10000000", "1", "100000000", memo=True),
    _net(8, "LTC", "LTC", "ltc1q", 43, 6, "0.001", "0.01", "50000", "0.001", "100000"),
    _net(9, "DOGE", "DOGE", "D", 34, 20, "5", "50", "50000000", "10", "100000000"),
    _net(10, "TRX", "TRC20", "T", 34, 20, "1", "10", "50000000", "1", "100000000"),
    _net(11, "BNB", "BEP20", "0x", 42, 15, "0.0005", "0.01", "10000", "0.001", "100000"),
    _net(12, "ADA", "ADA", "addr1", 58, 15, "1", "10", "10000000", "1", "100000000"),
    _net(13, "DOT", "DOT", "1", 48, 1, "0.1", "1", "1000000", "0.1", "10000000"),
    _net(14, "AVAX", "AVAXC", "0x", 42, 12, "0.01", "0.1", "1000000", "0.01", "10000000"),
    _net(15, "LINK", "ERC20", "0x", 42, 12, "0.3", "1", "1000000", "0.1", "10000000"),
)
NETWORK_BY_ID = {n.method_id: n for n in NETWORKS}


def networks_for(currency: str) -> list[NetworkSpec]:
    """The networks ``currency`` can be deposited or withdrawn on."""
    return [n for n in NETWORKS if n.currency == currency]


class Listing:
    """What an exchange lists: its pairs, currencies and fee schedule (the catalog's unless
    given; paper mode lists the live exchange's)."""

    def __init__(self, pairs: Sequence[PairSpec] | None = None,
                 currencies: Sequence[CurrencySpec] | None = None,
                 fee_schedule: Sequence[FeeEntry] | None = None) -> None:
        self.pairs: tuple[PairSpec, ...] = tuple(PAIRS if pairs is None else pairs)
        self.pair_by_name = {p.name: p for p in self.pairs}
        self.currencies: tuple[CurrencySpec, ...] = tuple(
            CURRENCIES if currencies is None else currencies)
        self.currency_by_name = {c.short_name: c for c in self.currencies}
        self.fee_schedule: tuple[FeeEntry, ...] = tuple(
            FEE_SCHEDULE if fee_schedule is None else fee_schedule)
