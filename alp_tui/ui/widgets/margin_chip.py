"""The header's margin chip: the worst margin wallet's level in its band's colour, and how far
the selected pair's price is from a liquidation, in per cent.

``margin 1.444 cross · liq −8.3%`` — coloured by the ``[margin]`` bands (safe, warning, near
liquidation) through the CSS classes ``-safe``, ``-warning``, ``-danger`` and ``-none``. Hidden
until the loans have been read (and without API keys).

Once the margin topic is stale (no good reading for three polls, or failing: the exchange
froze), the chip says how old its level is, ``margin 1.444 cross · 32s old``, dimmed
(``-stale``), like the panes' status lines; the age counts on the app's once-a-second beat.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from alp_tui.feed.state import FeedState, Freshness, format_age
from alp_tui.services.format import format_decimal, format_percent
from alp_tui.services.margin_alerts import MarginBand
from alp_tui.services.margin_math import PriceSide
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.widgets.ticks import every_second

__all__ = ["BAND_CLASSES", "MarginChip", "chip_text", "stale_age"]

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


def stale_age(state: FeedState | None, now: float | None = None) -> float | None:
    """How old the data of a topic in ``state`` is, once it is no longer fresh (stale,
    failing, paused); None while fresh, loading or before any good answer."""
    if state is None or state.effective(now) in (Freshness.FRESH, Freshness.LOADING,
                                                 Freshness.DISABLED):
        return None
    return state.age(now)


class MarginChip(Static):
    """One line: the worst margin level and the distance to liquidation (see module doc)."""

    DEFAULT_CSS = """
    MarginChip { width: auto; height: 1; padding: 0 1; display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.band: MarginBand | None = None
        self.text = ""  # as shown, with the age when stale
        self._level: tuple[str, MarginBand] | None = None  # the account's words and band
        self._state: FeedState | None = None  # the margin topic's

    def on_mount(self) -> None:
        """The age counts on the app's once-a-second beat (no timer of its own)."""
        every_second(self, self._paint)

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Redraw from ``snapshot`` (only when the words or the band changed)."""
        self._level = chip_text(snapshot)
        self._paint()

    def set_feed_state(self, state: FeedState) -> None:
        """The margin topic's state: stale or failing, the chip says how old it is."""
        self._state = state
        self._paint()

    def _paint(self) -> None:
        shown = self._level
        text, band = shown if shown is not None else ("", None)
        age = stale_age(self._state) if shown is not None else None
        if age is not None:
            text += f" · {format_age(age)} old"
        if (text, band) == (self.text, self.band):
            return
        self.text, self.band = text, band
        for cls in BAND_CLASSES.values():
            self.set_class(band is not None and BAND_CLASSES[band] == cls, cls)
        self.set_class(age is not None, "-stale")
        self.display = shown is not None
        self.update(Text(text))
