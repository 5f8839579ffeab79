"""Properties of the margin arithmetic and of the alert tracker (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Balance, Loan, Ticker
from alp_tui.services.margin import MarginSnapshot, PriceSide
from alp_tui.services.margin_alerts import MarginAlertTracker, MarginThresholds, WalletKey

ISO = WalletKey(WalletType.ISOLATED_MARGIN, "BTC_USDT")
amounts = st.decimals(min_value=D("0.001"), max_value=D("100"), places=3)
prices = st.decimals(min_value=D("100"), max_value=D("100000"), places=2)
usd = st.decimals(min_value=D("0.1"), max_value=D("10000"), places=2)


def _snapshot(price: D, btc: D, usdt: D, btc_debt: D, usdt_debt: D) -> MarginSnapshot:
    wt = WalletType.ISOLATED_MARGIN
    balances = tuple(Balance(balance=amount, reserve=D(0), currency=cur, wallet_type=wt,
                             pair="BTC_USDT")
                     for cur, amount in (("BTC", btc), ("USDT", usdt)) if amount)
    loans = tuple(Loan(id=i, borrowed=amount, interest=D(0), currency=cur, wallet_type=wt,
                       pair="BTC_USDT")
                  for i, (cur, amount) in enumerate((("BTC", btc_debt), ("USDT", usdt_debt)))
                  if amount)
    ticker = Ticker(pair="BTC_USDT", last=price, vol=D(1), high=price, low=price,
                    timestamp=D(1))
    return MarginSnapshot(loans, balances, (ticker,))


@settings(max_examples=200, deadline=None)
@given(price=prices, btc=amounts, usdt=usd, btc_debt=amounts, usdt_debt=usd)
def test_level_at_the_liquidation_price_is_the_line(
    price: D, btc: D, usdt: D, btc_debt: D, usdt_debt: D
) -> None:
    line = D("1.1")
    snap = _snapshot(price, btc, usdt, btc_debt, usdt_debt)
    for dist in snap.liquidation_distances("BTC_USDT", line):
        at = _snapshot(dist.liquidation_price, btc, usdt, btc_debt, usdt_debt)
        level = at.positions()[ISO].level
        assert level is not None and abs(level - line) < D("1e-12")
        # a small step further past the line is below it, a step back is above
        step = dist.liquidation_price * D("0.001")
        past = dist.liquidation_price + (-step if dist.side is PriceSide.FALLS else step)
        back = dist.liquidation_price + (step if dist.side is PriceSide.FALLS else -step)
        assert _snapshot(past, btc, usdt, btc_debt, usdt_debt).positions()[ISO].level < line
        assert _snapshot(back, btc, usdt, btc_debt, usdt_debt).positions()[ISO].level > line


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=D("0.5"), max_value=D("3"), places=3), max_size=60))
def test_one_alert_per_crossing(levels: list[D]) -> None:
    """Against a plain model: a line fires when the level drops below it while armed,
    and re-arms only at line + hysteresis; one alert per reading, the most severe."""
    t = MarginThresholds()
    tracker = MarginAlertTracker(t)
    armed = {"warning": True, "danger": True}
    lines = {"warning": t.warning, "danger": t.danger}
    for level in levels:
        fired = []
        for name, line in lines.items():
            if armed[name] and level < line:
                armed[name] = False
                fired.append(name)
            elif not armed[name] and level >= line + t.hysteresis:
                armed[name] = True
        alerts = tracker.update({ISO: level})
        assert len(alerts) == (1 if fired else 0)
        if fired:
            assert alerts[0].threshold == lines[fired[-1]]
