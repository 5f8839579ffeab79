"""Header: selected pair, last price and 24 h change, high/low/volume, the margin chip, mode,
connection."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.widgets import Static

from alp_tui.api.models import PairInfo, Ticker
from alp_tui.feed.state import FeedState, Freshness, format_age
from alp_tui.services.format import format_compact, format_decimal, format_signed_percent
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.account_display import AccountView
from alp_tui.ui.widgets.margin_chip import MarginChip
from alp_tui.ui.widgets.static_text import set_static_text

_CONN_STYLE = {
    "live": "green",
    "stale": "yellow",
    "paused": "yellow",
    "connecting": "cyan",
    "offline": "bold red",
    "error": "red",
    "STREAM": "green",  # the stream feed's badge (alp_tui/feed/stream_feed.py)
    "STREAM·POLL": "green",  # public data streamed, private data polled
    "POLLING": "yellow",
    "OFFLINE": "bold red",
}


# The freshest data's age is said only from here: live data (a stream frame a second,
# a 1 s poll) ticking "850ms", "1s" in the header recomposed the screen every second of a
# quiet market (issue #12, CPU at rest); an age worth a look is counted as before.
AGE_SAID_FROM_S = 5.0


def connection_summary(states: dict[str, FeedState], now: float,
                       badge: str | None = None) -> tuple[str, float | None]:
    """Overall connection word and the age of the freshest data among ``states``.

    ``badge`` (the stream feed's STREAM / STREAM·POLL / POLLING / OFFLINE) replaces the
    word; topics waiting out their own 429 are named after it with the seconds left
    (``live · paused: orders 2s``)."""
    ages = [a for s in states.values() if (a := s.age(now)) is not None]
    kinds = {s.effective(now) for s in states.values() if s.kind is not Freshness.DISABLED}
    paused = sorted(t for t, s in states.items() if s.effective(now) is Freshness.PAUSED)
    freshest = min(ages) if ages else None
    if Freshness.OFFLINE in kinds and Freshness.FRESH not in kinds:
        word = "offline"
    elif paused and len(paused) == sum(s.kind is not Freshness.DISABLED
                                       for s in states.values()):
        word = "paused"  # everything waits out a 429
    elif Freshness.FRESH in kinds:
        word = "live"
    elif Freshness.STALE in kinds:
        word = "stale"
    elif Freshness.ERROR in kinds or Freshness.OFFLINE in kinds:
        word = "error"
    else:
        word = "connecting"
    word = badge or word
    if paused and word != "paused":
        lefts = {t: math.ceil((states[t].resume_at or now) - now) for t in paused}
        waits = [f"{t} {lefts[t]}s" if lefts[t] > 0 else t for t in paused]
        word = f"{word} · paused: {', '.join(waits)}"
    return word, freshest


class _MarketLine(Static):
    """The market summary; its width changes with the margin chip beside it, so it asks
    the header to fit the figures again when it is resized."""

    def on_resize(self) -> None:
        """Refit the figures to the new width."""
        header = self.parent
        if isinstance(header, HeaderPane):
            header._paint_market()


class HeaderPane(AccountView, Horizontal):
    """The top line of the dashboard; state arrives through reactives set by the app, the
    account through :meth:`show_account`."""

    # repaint=False: the watchers paint the children that show them (and skip what did not
    # change); a repaint of the header itself would only redraw the same line again.
    pair: reactive[str] = reactive("", repaint=False)
    info: reactive[PairInfo | None] = reactive(None, always_update=True, repaint=False)
    ticker: reactive[Ticker | None] = reactive(None, always_update=True, repaint=False)
    mode: reactive[str] = reactive("live", repaint=False)
    public_only: reactive[bool] = reactive(False, repaint=False)
    connection: reactive[str] = reactive("connecting", repaint=False)
    data_age: reactive[float | None] = reactive(None, repaint=False)
    error_count: reactive[int] = reactive(0, repaint=False)

    def compose(self) -> ComposeResult:
        """Market summary on the left, badges on the right."""
        yield _MarketLine(id="header-market")
        yield MarginChip(id="header-margin")
        yield Static(id="header-conn")
        yield Static(id="header-badge")

    def on_mount(self) -> None:
        """First paint."""
        self._paint_market()
        self._paint_conn()
        self._paint_badge()

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """The margin chip: worst margin level, distance to liquidation for the pair."""
        try:
            chip = self.query_one(MarginChip)
        except NoMatches:  # not composed yet, or being removed
            return
        chip.show_account(snapshot)

    def show_margin_state(self, state: FeedState) -> None:
        """The margin topic's state: the chip says how old its level is once stale."""
        try:
            self.query_one(MarginChip).set_feed_state(state)
        except NoMatches:  # not composed yet, or being removed
            return

    def watch_pair(self) -> None:
        """A new pair: its old figures must go."""
        self._paint_market()

    def watch_info(self) -> None:
        """Precision known."""
        self._paint_market()

    def watch_ticker(self) -> None:
        """New prices."""
        self._paint_market()

    def watch_mode(self) -> None:
        """LIVE / DEMO / PAPER."""
        self._paint_badge()

    def watch_public_only(self) -> None:
        """Keys or not."""
        self._paint_badge()

    def watch_connection(self) -> None:
        """Connection word."""
        self._paint_conn()

    def watch_data_age(self) -> None:
        """Age of the freshest data."""
        self._paint_conn()

    def watch_error_count(self) -> None:
        """Errors in the log."""
        self._paint_conn()

    def _static(self, widget_id: str) -> Static | None:
        try:
            return self.query_one(f"#{widget_id}", Static)
        except NoMatches:  # not composed yet, or being removed
            return None

    def _paint_market(self) -> None:
        target = self._static("header-market")
        if target is None:
            return
        text = Text()
        text.append(f" {self.pair or '—'} ", style="bold")
        ticker = self.ticker if self.ticker and self.ticker.pair == self.pair else None
        places = self.info.price_precision if self.info else 2
        if ticker is None:
            text.append(" loading…", style="dim")
        elif not ticker.has_trades:
            text.append(" no trades", style="dim")
        else:
            change = ticker.change_percent
            colour = "green" if change and change > 0 else "red" if change and change < 0 else ""
            arrow = "▲" if change and change > 0 else "▼" if change and change < 0 else "■"
            text.append(f" {format_decimal(ticker.last, places)} ", style=f"bold {colour}")
            text.append(f"{arrow}{format_signed_percent(change)}", style=colour)
            base = self.info.base if self.info else ""
            figures = (("H", format_decimal(ticker.high, places)),
                       ("L", format_decimal(ticker.low, places)),
                       ("Vol", f"{format_compact(ticker.vol)} {base}".rstrip()))
            # Whole figures only, least important last: where the margin chip takes the
            # room, "Vol" is dropped rather than shown without its number.
            width = target.size.width or 10_000  # not laid out yet: all of them
            for label, value in figures:
                if text.cell_len + len(label) + len(value) + 3 > width:
                    break
                text.append(f"  {label} ", style="dim")
                text.append(value)
        set_static_text(target, text, layout=False)  # fixed size

    def _paint_conn(self) -> None:
        widget = self._static("header-conn")
        if widget is None:
            return
        word = self.connection
        style = _CONN_STYLE.get(word.split(" ")[0], "")
        text = Text()
        text.append("● ", style=style)
        text.append(word, style=style)
        if self.data_age is not None and self.data_age >= AGE_SAID_FROM_S:
            # right-aligned in 5 cells: the word's width stays put as the age ticks, so
            # the header is not laid out again every second
            text.append(f" {format_age(self.data_age):>5}", style="dim")
        if self.error_count:
            text.append(f"  ⚠ {self.error_count}", style="yellow")
        # width is auto: a layout pass only when the text's length changes
        set_static_text(widget, text)

    def _paint_badge(self) -> None:
        badge = self._static("header-badge")
        if badge is None:
            return
        label = self.mode.upper()
        if self.public_only:
            label += " · PUBLIC"
        set_static_text(badge, f" {label} ")
        # PAPER shares DEMO's colour: no real money either way.
        badge.set_class(self.mode in ("demo", "paper"), "-demo")
        badge.set_class(self.mode not in ("demo", "paper"), "-live")
