"""Margin-level bands and threshold-crossing alerts, free of any UI.

A margin wallet's *margin level* (equity over debt, see :mod:`alp_tui.services.margin`)
falls as the market moves against it; the exchange liquidates below its maintenance level.
This module sorts a level into a band (safe / warning / near liquidation) and detects when
a wallet *crosses* a threshold downwards, so the UI can ring the bell once per crossing
rather than on every poll. A threshold re-arms only after the level has climbed back above
it by a hysteresis margin, so a level wobbling around the line does not alert again and
again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from alp_tui.api.enums import WalletType

log = logging.getLogger(__name__)


class MarginBand(StrEnum):
    """How close a wallet is to liquidation."""

    NO_DEBT = "no debt"
    SAFE = "safe"
    WARNING = "warning"
    DANGER = "near liquidation"


@dataclass(frozen=True, slots=True)
class MarginThresholds:
    """Where the bands start, as margin levels (equity / debt).

    ``warning`` and ``danger`` are the alert lines; ``liquidation`` is the exchange's
    maintenance level (shown for reference, used by the distance-to-liquidation figure);
    ``hysteresis`` is how far above a line the level must climb before that line can alert
    again.
    """

    warning: Decimal = Decimal("1.5")
    danger: Decimal = Decimal("1.2")
    liquidation: Decimal = Decimal("1.1")
    hysteresis: Decimal = Decimal("0.05")

    def __post_init__(self) -> None:
        if not self.warning > self.danger > self.liquidation > 0:
            raise ValueError(
                "margin thresholds must satisfy warning > danger > liquidation > 0; got "
                f"warning={self.warning}, danger={self.danger}, liquidation={self.liquidation}"
            )
        if self.hysteresis < 0:
            raise ValueError(f"margin hysteresis must not be negative; got {self.hysteresis}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> MarginThresholds:
        """Build from a config table such as ``[margin]`` (``warning_level``,
        ``danger_level``, ``liquidation_level``, ``alert_hysteresis``); missing keys keep
        their defaults. Raises ``ValueError`` naming the key for a value that is not a
        number."""
        values = values or {}
        defaults = cls()
        keys = {
            "warning": "warning_level",
            "danger": "danger_level",
            "liquidation": "liquidation_level",
            "hysteresis": "alert_hysteresis",
        }
        kwargs: dict[str, Decimal] = {}
        for attr, key in keys.items():
            raw = values.get(key, getattr(defaults, attr))
            try:
                kwargs[attr] = raw if isinstance(raw, Decimal) else Decimal(str(raw))
            except (InvalidOperation, ValueError):
                raise ValueError(f"{key} must be a number; got {raw!r}") from None
        return cls(**kwargs)

    def band(self, level: Decimal | None) -> MarginBand:
        """The band of ``level``; ``None`` (no debt) is :attr:`MarginBand.NO_DEBT`."""
        if level is None:
            return MarginBand.NO_DEBT
        if level < self.danger:
            return MarginBand.DANGER
        if level < self.warning:
            return MarginBand.WARNING
        return MarginBand.SAFE


def thresholds_from_config(config: Any) -> MarginThresholds:
    """The lines of a config's ``[margin]`` section (an :class:`alp_tui.config.Config`);
    the defaults, with a warning logged, when a value is not a number."""
    section = getattr(config, "margin", None)
    if section is None:
        return MarginThresholds()
    values = section.model_dump() if hasattr(section, "model_dump") else dict(section)
    try:
        return MarginThresholds.from_mapping(values)
    except ValueError as exc:
        log.warning("margin thresholds: %s; using the defaults", exc)
        return MarginThresholds()


@dataclass(frozen=True, slots=True)
class WalletKey:
    """Names one margin wallet: the cross wallet, or one isolated wallet per pair."""

    wallet_type: WalletType
    pair: str | None = None

    @property
    def label(self) -> str:
        """``cross`` or ``isolated BTC_USDT``."""
        if self.wallet_type is WalletType.ISOLATED_MARGIN:
            return f"isolated {self.pair or '?'}"
        if self.wallet_type is WalletType.CROSS_MARGIN:
            return "cross"
        return self.wallet_type.value.lower()


@dataclass(frozen=True, slots=True)
class MarginAlert:
    """A wallet's margin level fell through a threshold."""

    wallet: WalletKey
    level: Decimal
    threshold: Decimal
    band: MarginBand
    at: datetime

    @property
    def message(self) -> str:
        """One sentence for the banner and the log."""
        what = "near liquidation" if self.band is MarginBand.DANGER else "at warning level"
        return (
            f"Margin {self.wallet.label}: level {self.level:.3f} fell below "
            f"{self.threshold} — {what}."
        )


@dataclass(slots=True)
class MarginAlertTracker:
    """Remembers which thresholds each wallet is below and reports new crossings.

    Feed it every fresh reading with :meth:`update`; it answers the alerts to raise now
    (at most one per wallet per reading: the most severe line crossed). A line is armed
    while the level is at or above it; it fires when the level drops below it and stays
    silent until the level is back above ``line + hysteresis``. Wallets that no longer have
    debt are forgotten (a new loan starts armed).
    """

    thresholds: MarginThresholds = field(default_factory=MarginThresholds)
    _tripped: dict[WalletKey, set[str]] = field(default_factory=dict)

    def update(
        self,
        levels: Mapping[WalletKey, Decimal | None],
        now: datetime | None = None,
    ) -> list[MarginAlert]:
        """Take the current level of every margin wallet; return the new crossings."""
        now = now or datetime.now(UTC)
        alerts: list[MarginAlert] = []
        for wallet in list(self._tripped):
            if levels.get(wallet) is None:
                del self._tripped[wallet]
        for wallet, level in levels.items():
            if level is None:
                continue
            tripped = self._tripped.setdefault(wallet, set())
            fired: MarginAlert | None = None
            for name, line in (("warning", self.thresholds.warning),
                               ("danger", self.thresholds.danger)):
                if name in tripped:
                    if level >= line + self.thresholds.hysteresis:
                        tripped.discard(name)
                elif level < line:
                    tripped.add(name)
                    band = MarginBand.DANGER if name == "danger" else MarginBand.WARNING
                    fired = MarginAlert(wallet, level, line, band, now)
            if fired is not None:
                alerts.append(fired)
        return alerts

    def tripped(self, wallet: WalletKey) -> frozenset[str]:
        """The lines ``wallet`` is currently below (``warning``, ``danger``)."""
        return frozenset(self._tripped.get(wallet, ()))
