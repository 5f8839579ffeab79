"""The alert engine: price, margin, liquidation, fill and stream alerts, free of any UI.

Each ``check_*`` method takes the latest reading and answers the alerts to raise now; each
kind fires once per crossing and stays quiet until the reading went back past its line by
the hysteresis (the margin bands' rule, :class:`MarginAlertTracker`, applied to prices and
liquidation distances too). The session publishes what it answers and hands it to
:class:`AlertCommand`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from alp_tui.api.enums import WalletType
from alp_tui.api.models import PairInfo, Ticker
from alp_tui.config import AlertsConfig, PriceAlertConfig
from alp_tui.services.format import format_decimal, format_exact, format_significant
from alp_tui.services.margin_alerts import MarginAlertTracker, MarginBand, MarginThresholds
from alp_tui.services.margin_math import MarginSnapshot
from alp_tui.session.events import AccountSnapshot, AlertFired, AlertKind, FillEvent


@dataclass(frozen=True, slots=True)
class PriceRule:
    """Alert when ``pair`` is at or above ``level`` (``above``) or at or below it."""

    pair: str
    level: Decimal
    above: bool

    @classmethod
    def from_config(cls, item: PriceAlertConfig) -> PriceRule:
        """From one ``[[alerts.price]]``."""
        if item.above is not None:
            return cls(item.pair, Decimal(item.above), True)
        return cls(item.pair, Decimal(str(item.below)), False)

    def to_config(self) -> PriceAlertConfig:
        """Back to its ``[[alerts.price]]`` form (for saving)."""
        side = "above" if self.above else "below"
        return PriceAlertConfig(pair=self.pair, **{side: f"{self.level.normalize():f}"})

    @property
    def label(self) -> str:
        """``BTC_USDT ≥ 100,000`` (the level as typed, grouped)."""
        return f"{self.pair} {'≥' if self.above else '≤'} {format_exact(self.level)}"


class AlertEngine:
    """Decides when an alert fires. One instance per session."""

    def __init__(self, config: AlertsConfig | None = None,
                 thresholds: MarginThresholds | None = None) -> None:
        self.config = config or AlertsConfig()
        self.rules: list[PriceRule] = [PriceRule.from_config(p) for p in self.config.price]
        self._price_hyst = Decimal(str(self.config.price_hysteresis_pct)) / 100
        self._liq_pct = Decimal(str(self.config.liquidation_pct))
        self.margin = MarginAlertTracker(thresholds or MarginThresholds())
        self._price_tripped: set[PriceRule] = set()
        self._liq_tripped: set[tuple[object, str]] = set()
        self._stream_lost_at: float | None = None
        self._stream_fired = False
        self.stream_checks = 0  # looks at the stream so far (tests wait on it)

    # --- price --------------------------------------------------------------------------
    def add_rule(self, rule: PriceRule) -> bool:
        """Add a price alert (False when the same one exists); it is checked from the next
        price on, so a level already passed fires at once."""
        if rule in self.rules:
            return False
        self.rules.append(rule)
        return True

    def remove_rule(self, rule: PriceRule) -> bool:
        """Remove a price alert; False when there was none."""
        if rule not in self.rules:
            return False
        self.rules.remove(rule)
        self._price_tripped.discard(rule)
        return True

    def check_prices(self, tickers: Mapping[str, Ticker],
                     pairs: Mapping[str, PairInfo] | None = None) -> list[AlertFired]:
        """The price alerts whose level the last price is at or beyond (at start too);
        their text gives prices at the pair's precision (``pairs``) when it is known."""
        out = []
        for rule in self.rules:
            ticker = tickers.get(rule.pair)
            if ticker is None or not ticker.last or ticker.last <= 0:
                continue
            last = ticker.last
            beyond = last >= rule.level if rule.above else last <= rule.level
            if rule in self._price_tripped:
                gap = rule.level * self._price_hyst
                back = last < rule.level - gap if rule.above else last > rule.level + gap
                if back:
                    self._price_tripped.discard(rule)
                continue
            if beyond:
                self._price_tripped.add(rule)
                word = "above" if rule.above else "below"
                info = (pairs or {}).get(rule.pair)

                def price(value: Decimal, info: PairInfo | None = info) -> str:
                    return (format_significant(value) if info is None
                            else format_decimal(value, info.price_precision))

                out.append(AlertFired(
                    AlertKind.PRICE, f"{rule.pair} at {price(last)}: {word} "
                    f"{price(rule.level)}", rule.pair))
        return out

    # --- margin and liquidation ---------------------------------------------------------
    def check_account(self, snapshot: AccountSnapshot) -> list[AlertFired]:
        """Margin bands crossed downwards, and prices come within the liquidation
        distance (``liquidation_pct``)."""
        out = []
        margin = snapshot.margin
        if margin is None or not margin.complete:
            return out
        levels = {w.wallet: w.level for w in snapshot.levels}
        for alert in self.margin.update(levels, now=margin.at):
            pair = alert.wallet.pair or ""
            out.append(AlertFired(AlertKind.MARGIN, alert.message, pair,
                                  danger=alert.band is MarginBand.DANGER, at=alert.at))
        out += self._check_liquidation(margin)
        return out

    def _check_liquidation(self, margin: MarginSnapshot) -> list[AlertFired]:
        out = []
        hysteresis = max(Decimal(1), self._liq_pct / 5)  # per cent points back out
        seen: set[tuple[object, str]] = set()
        for pair in _exposed_pairs(margin):
            liquidation = self.margin.thresholds.liquidation
            for dist in margin.liquidation_distances(pair, liquidation):
                key = (dist.wallet, dist.pair)
                seen.add(key)
                if key in self._liq_tripped:
                    if dist.percent > self._liq_pct + hysteresis:
                        self._liq_tripped.discard(key)
                    continue
                if dist.percent <= self._liq_pct:
                    self._liq_tripped.add(key)
                    out.append(AlertFired(
                        AlertKind.LIQUIDATION,
                        f"{dist.wallet.label}: {dist.describe} — within "
                        f"{self._liq_pct.normalize():f} %", dist.pair, danger=True))
        self._liq_tripped &= seen  # a closed position starts armed again
        return out

    # --- fills and the stream ------------------------------------------------------------
    def check_fill(self, fill: FillEvent) -> list[AlertFired]:
        """Every fill and partial fill (unless ``fills = false``)."""
        if not self.config.fills:
            return []
        return [AlertFired(AlertKind.FILL, fill.text, fill.pair, at=fill.at)]

    def check_stream(self, delivering: bool | None, orders_open: bool,
                     now: float) -> list[AlertFired]:
        """``delivering``: the private stream's state (None: no private stream). Fires once
        (``danger``) when it has been lost longer than ``stream_lost_s`` while orders are
        open; when it delivers again after that, once more, calm (not ``danger``): the
        trader who was told it was lost is told the fills stream again."""
        self.stream_checks += 1
        if delivering is None or delivering:
            out = []
            if self._stream_fired and delivering and self._stream_lost_at is not None:
                out.append(AlertFired(
                    AlertKind.STREAM, f"Private stream back after "
                    f"{now - self._stream_lost_at:.0f} s: fills and order changes stream "
                    "again"))
            self._stream_lost_at = None
            self._stream_fired = False
            return out
        if self._stream_lost_at is None:
            self._stream_lost_at = now
        lost = now - self._stream_lost_at
        if self._stream_fired or not orders_open or lost < self.config.stream_lost_s:
            return []
        self._stream_fired = True
        return [AlertFired(AlertKind.STREAM, f"Private stream lost for {lost:.0f} s with "
                           "open orders: fills and order changes come by polling only",
                           danger=True)]


def _exposed_pairs(margin: MarginSnapshot) -> Iterable[str]:
    """Pairs whose price moves a margin wallet: each isolated wallet's pair, and for the
    cross wallet every currency it holds or owes against USDT."""
    pairs: list[str] = []
    known = {t.pair for t in margin.tickers}
    for key, pos in margin.positions().items():
        if key.wallet_type is WalletType.ISOLATED_MARGIN and key.pair:
            candidates = [key.pair]
        else:
            candidates = [f"{c}_USDT" for c in {*pos.holdings, *pos.debts} if c != "USDT"]
        for pair in candidates:
            if pair in known and pair not in pairs:
                pairs.append(pair)
    return pairs
