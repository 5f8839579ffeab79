"""Margin arithmetic, validation and alert hysteresis (no UI, no network)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Balance, Loan, Ticker
from alp_tui.services.margin import (
    LoanRequest,
    MarginRequestError,
    MarginSnapshot,
    PriceSide,
    TransferRequest,
    preview_close,
    preview_repay,
)
from alp_tui.services.margin_alerts import (
    MarginAlertTracker,
    MarginBand,
    MarginThresholds,
    WalletKey,
)

CROSS = WalletKey(WalletType.CROSS_MARGIN)
ISO = WalletKey(WalletType.ISOLATED_MARGIN, "BTC_USDT")


def _ticker(pair: str, last: str) -> Ticker:
    return Ticker(pair=pair, last=D(last), vol=D(1), high=D(last), low=D(last), timestamp=D(1))


def _bal(cur: str, amount: str, wallet: WalletType, pair: str | None = None) -> Balance:
    return Balance(balance=D(amount), reserve=D(0), currency=cur, wallet_type=wallet, pair=pair)


def _loan(i: int, cur: str, borrowed: str, interest: str, wallet: WalletType,
          pair: str | None = None) -> Loan:
    return Loan(id=i, borrowed=D(borrowed), interest=D(interest), currency=cur,
                wallet_type=wallet, pair=pair)


def _long_btc_snapshot(price: str = "40000") -> MarginSnapshot:
    # 1000 USDT own + 2000 USDT borrowed, all in BTC at 40000 → 0.075 BTC
    return MarginSnapshot(
        loans=(_loan(1, "USDT", "2000", "0", WalletType.ISOLATED_MARGIN, "BTC_USDT"),),
        balances=(
            _bal("BTC", "0.075", WalletType.ISOLATED_MARGIN, "BTC_USDT"),
            _bal("USDT", "5000", WalletType.SPOT),
        ),
        tickers=(_ticker("BTC_USDT", price), _ticker("ETH_USDT", "2000")),
    )


def test_level_and_liquidation_price_for_a_long() -> None:
    snap = _long_btc_snapshot()
    pos = snap.positions()[ISO]
    assert pos.assets_usdt == D("3000")
    assert pos.level == D("1.5")
    (dist,) = snap.liquidation_distances("BTC_USDT", D("1.1"))
    assert dist.side is PriceSide.FALLS
    # 0.075 p = 1.1 × 2000 → p = 29333.33…
    assert dist.liquidation_price.quantize(D("0.01")) == D("29333.33")
    later = _long_btc_snapshot(str(dist.liquidation_price))
    assert later.positions()[ISO].level.quantize(D("0.0001")) == D("1.1000")


def test_liquidation_price_for_a_short_in_cross() -> None:
    snap = MarginSnapshot(
        loans=(_loan(1, "BTC", "0.1", "0.001", WalletType.CROSS_MARGIN),),
        balances=(_bal("USDT", "8000", WalletType.CROSS_MARGIN),),
        tickers=(_ticker("BTC_USDT", "40000"),),
    )
    (dist,) = snap.liquidation_distances("BTC_USDT", D("1.1"))
    assert dist.side is PriceSide.RISES
    assert dist.liquidation_price > D(40000)
    assert "rises to" in dist.describe


def test_no_distance_when_pair_does_not_matter() -> None:
    snap = _long_btc_snapshot()
    assert snap.liquidation_distances("ETH_USDT", D("1.1")) == []


def test_repay_preview_pays_interest_first() -> None:
    loans = [_loan(1, "USDT", "100", "2.5", WalletType.CROSS_MARGIN)]
    p = preview_repay(loans, D("10"))
    assert (p.interest_paid, p.principal_paid) == (D("2.5"), D("7.5"))
    assert (p.interest_left, p.principal_left) == (D("0"), D("92.5"))
    small = preview_repay(loans, D("1"))
    assert (small.interest_left, small.principal_left) == (D("1.5"), D("100"))
    assert preview_repay(loans, D("200")).excess == D("97.5")


def test_close_preview_buys_what_is_short() -> None:
    snap = MarginSnapshot(
        loans=(_loan(1, "BTC", "0.1", "0", WalletType.ISOLATED_MARGIN, "BTC_USDT"),),
        balances=(_bal("USDT", "8000", WalletType.ISOLATED_MARGIN, "BTC_USDT"),
                  _bal("BTC", "0.02", WalletType.ISOLATED_MARGIN, "BTC_USDT")),
        tickers=(_ticker("BTC_USDT", "40000"),),
    )
    prev = preview_close(snap, ISO)
    (leg,) = prev.legs
    assert (leg.sell, leg.sell_currency, leg.get, leg.get_currency) == (
        D("3200"), "USDT", D("0.08"), "BTC")
    assert leg.describe == "BUY 0.08 BTC to repay (≈ 3,200.00 USDT)"
    assert prev.repays == {"BTC": D("0.1")}
    assert not prev.uncovered


def test_cross_close_reads_as_the_trade_it_is() -> None:
    """Cross margin names no pair: a BTC debt covered from USDT is a BUY of BTC (it read
    ``SELL 13699.686 USDT for ≈ 0.15 BTC``), a USDT debt covered from BTC a SELL of BTC."""
    from alp_tui.services.margin_math import CloseLeg

    buy = CloseLeg(D("13699.686"), "USDT", D("0.15"), "BTC")
    assert buy.describe == "BUY 0.15 BTC to repay (≈ 13,699.69 USDT)"
    sell = CloseLeg(D("0.05860001050996489366147802434"), "BTC", D("5342.65496021"), "USDT")
    assert sell.describe == "SELL 0.05860001 BTC for ≈ 5,342.65 USDT to repay"


def test_request_validation_reports_every_field() -> None:
    with pytest.raises(MarginRequestError) as info:
        TransferRequest.build(wallet_type="ISOLATED_MARGIN", direction="UP", amount="-1",
                              currency="")
    assert set(info.value.field_errors) == {"pair", "direction", "amount", "currency"}
    with pytest.raises(MarginRequestError) as info:
        LoanRequest.build(wallet_type="SPOT", amount="abc", currency="BTC")
    assert set(info.value.field_errors) == {"wallet_type", "amount"}
    with pytest.raises(MarginRequestError) as info:
        LoanRequest.build(wallet_type="ISOLATED_MARGIN", pair="btc/usdt", amount="1",
                          currency="ETH")
    assert "currency" in info.value.field_errors
    ok = LoanRequest.build(wallet_type="MARGIN_CROSS", amount="0.5", currency="btc")
    assert (ok.wallet, ok.amount, ok.currency) == (CROSS, D("0.5"), "BTC")


def test_bands_and_thresholds_from_config() -> None:
    t = MarginThresholds.from_mapping({"warning_level": 2, "danger_level": "1.3"})
    assert t.band(None) is MarginBand.NO_DEBT
    assert t.band(D(3)) is MarginBand.SAFE
    assert t.band(D("1.9")) is MarginBand.WARNING
    assert t.band(D("1.2")) is MarginBand.DANGER
    with pytest.raises(ValueError, match="warning_level"):
        MarginThresholds.from_mapping({"warning_level": "lots"})
    with pytest.raises(ValueError):
        MarginThresholds.from_mapping({"warning_level": 1})


def test_alerts_fire_once_per_crossing_with_hysteresis() -> None:
    tracker = MarginAlertTracker(MarginThresholds())  # warning 1.5, danger 1.2, hyst 0.05
    assert tracker.update({ISO: D("2")}) == []
    (alert,) = tracker.update({ISO: D("1.45")})
    assert alert.band is MarginBand.WARNING and "isolated BTC_USDT" in alert.message
    assert tracker.update({ISO: D("1.49")}) == []
    assert tracker.update({ISO: D("1.52")}) == []  # not above 1.55 yet: still tripped
    assert tracker.update({ISO: D("1.48")}) == []
    assert tracker.update({ISO: D("1.56")}) == []  # re-armed
    (again,) = tracker.update({ISO: D("1.1")})  # both lines at once → the severe one
    assert again.band is MarginBand.DANGER
    assert tracker.tripped(ISO) == {"warning", "danger"}
    assert tracker.update({ISO: None}) == []  # loan repaid: forgotten
    assert tracker.tripped(ISO) == frozenset()
