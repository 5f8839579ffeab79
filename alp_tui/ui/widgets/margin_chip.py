"""The header's margin chip: the worst margin wallet's level in its band's colour, and how far
the selected pair's price is from a liquidation, in per cent.

``margin 1.444 cross · liq −8.3%`` — coloured by the ``[margin]`` bands (safe, warning, near
liquidation) through the CSS classes ``-safe``, ``-warning``, ``-danger`` and ``-none``. Hidden
until the loans have been read (and without API keys).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from alp_tui.services.format import format_decimal, format_percent
from alp_tui.services.margin_alerts import MarginBand
from alp_tui.services.margin_math import PriceSide
from alp_tui.session.events import AccountSnapshot

__all__ = ["BAND_CLASSES", "MarginChip", "chip_text"]

BAND_CLASSES = {MarginBand.NO_DEBT: "-none", MarginBand.SAFE: "-safe",
                MarginBand.WARNING: "-warning", MarginBand.DANGER: "-danger"}


def chip_text(snapshot: AccountSnapshot) -> tuple[str, MarginBand] | None:
    """The chip's words and band for ``snapshot`` (None: nothing to show yet)."""
    if "loans" not in snapshot.known:
        return None
    worst = snapshot.worst
    if worst is None or worst.level is None:
        return "margin: no debt", MarginBand.NO_DEBT
    text = f"margin {format_decimal(worst.level, 3)} {worst.wallet.label}"  # 1.497 < 1.5
    nearest = min(snapshot.liquidation, key=lambda d: d.percent, default=None)
    if nearest is not None:
        sign = "−" if nearest.side is PriceSide.FALLS else "+"
        text += f" · liq {sign}{format_percent(nearest.percent, 1)}"
    return text, worst.band


class MarginChip(Static):
    """One line: the worst margin level and the distance to liquidation (see module doc)."""

    DEFAULT_CSS = """
    MarginChip { width: auto; height: 1; padding: 0 1; display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.band: MarginBand | None = None
        self.text = ""

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Redraw from ``snapshot`` (only when the words or the band changed)."""
        shown = chip_text(snapshot)
        text, band = shown if shown is not None else ("", None)
        if (text, band) == (self.text, self.band):
            return
        self.text, self.band = text, band
        for cls in BAND_CLASSES.values():
            self.set_class(band is not None and BAND_CLASSES[band] == cls, cls)
        self.display = shown is not None
        self.update(Text(text))
