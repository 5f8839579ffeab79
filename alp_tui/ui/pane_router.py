"""Session events → panes: which pane gets which data, and when.

The app posts each session event as a message; :class:`PaneRouter` hands it to the panes:
topic data to the panes of that topic (held back until the pair's precision is known),
feed states to their status lines, the account snapshot to every
:class:`~alp_tui.ui.account_display.AccountView` (header chip, balances, own orders on the
book and chart), the connection word to the header. Panes get state handed in; they never
reach back.
"""

from __future__ import annotations

import weakref
from typing import Any

from alp_tui.feed.state import FeedState
from alp_tui.services.market import MarketSnapshot
from alp_tui.session import AccountSnapshot
from alp_tui.ui.account_display import push_account
from alp_tui.ui.messages import FeedData
from alp_tui.ui.panes.chart import ChartPane
from alp_tui.ui.panes.header import connection_summary
from alp_tui.ui.panes.markets import MarketsPane

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any


class PaneRouter:
    """Routes the session's data to the dashboard's panes (one per app)."""

    def __init__(self, app: AlpApp) -> None:
        self.app = app
        self.session = app.session
        self._pending: dict[str, FeedData] = {}
        # What each pane was last handed: an answer equal to it is not handed again (the
        # stream's memory and the account watch repeat unchanged data every few seconds,
        # and a pane redraws whatever it is handed).
        self._shown: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._markets_shown: Any = None
        self._tickers: MarketSnapshot | None = None  # prices waiting for the beat
        self._account: AccountSnapshot | None = None  # the account waiting for the beat
        self._account_shown: AccountSnapshot | None = None

    # --- topic data ---------------------------------------------------------------------
    def feed_data(self, message: FeedData) -> None:
        """Show a topic's new data in its panes."""
        app, market = self.app, self.session.market
        if message.topic == "tickers":
            # Prices are shown on the once-a-second beat (at most a second late): the markets
            # table and the header's price then change in the frame the status lines' ages
            # take anyway, not in one of their own (issue #12, CPU at rest).
            self._tickers = message.data
            if self._markets_shown is None:
                self.show_prices()  # the first prices (and the pair's precision) at once
            return
        if "pair" in self._depends(message.topic) and message.params.pair != market.selected:
            return  # an answer for a pair no longer selected: never shown
        panes = app.data_panes(message.topic)
        if any(p.pair is None for p in panes):
            self._pending[message.topic] = message  # until the pair's precision is known
            return
        for pane in panes:
            # unchanged: nothing to redraw, unless the pane holds something of its own that
            # each answer may settle (open orders just placed or cancelled)
            if getattr(pane, "settled", True) and _same(self._shown.get(pane, _NOTHING),
                                                         message.data):
                continue
            if self._safe(pane, pane.show_data, message.data):
                self._shown[pane] = message.data

    def _safe(self, pane: Any, method: Any, data: Any) -> bool:
        try:
            method(data)
        except Exception as exc:  # a pane choking on odd data must not take the app down
            topic = getattr(pane, "topic", None) or type(pane).__name__
            self.session.errors.add(topic, "render", f"{type(exc).__name__}: {exc}")
            return False
        return True

    def _depends(self, topic: str) -> frozenset[str]:
        feed = self.session.feed
        if feed is None or topic not in feed.pollers:
            return frozenset()
        return feed.pollers[topic].spec.depends_on

    def _show_markets(self, snapshot: MarketSnapshot) -> None:
        app, market = self.app, self.session.market
        had_info = getattr(self, "_had_info", False)
        if market.pairs and market.selected not in market.pairs:
            wanted, fallback = market.selected, next(iter(market.pairs))
            app.notify(f"Unknown pair {wanted}; showing {fallback}", severity="warning")
            app.select_pair(fallback)
            return
        if not _same(self._markets_shown, snapshot):
            app.markets_pane.show_data(market)
            self._markets_shown = snapshot
        header = app.header_pane
        info = market.info()
        if header.info != info:  # (it repaints on every assignment: the ticker's is news)
            header.info = info
        header.ticker = ticker = market.ticker()
        for pane in app.data_panes("chart"):  # its last-price line follows the header's
            if isinstance(pane, ChartPane) and ticker is not None:
                pane.set_last_price(ticker.last)
        self._had_info = market.info() is not None
        if not had_info and self._had_info:
            self.push_pair()

    def push_pair(self) -> None:
        """The selected pair's limits to every pane; then what waited for them."""
        info = self.session.market.info()
        if info is None:
            return
        self._shown.clear()  # set_pair empties the panes: the next answers are news
        for pane in self.app.data_panes():
            if not isinstance(pane, MarketsPane):
                pane.set_pair(info)
        pending, self._pending = self._pending, {}
        for message in pending.values():
            if message.params.pair == self.session.market.selected:
                self.feed_data(message)
        self._account_shown = None  # the views just got a new pair: hand them it again
        self.account(self.session.account.snapshot)
        self.show_account()  # at once: own orders of the new pair on book and chart

    def pair_changed(self) -> None:
        """A new pair: data held back for the old one is dropped."""
        self._pending.clear()
        self._shown.clear()
        self._account_shown = None
        self._had_info = self.session.market.info() is not None

    # --- states, header, account --------------------------------------------------------
    def route_state(self, topic: str, state: FeedState) -> None:
        """A topic's freshness to its panes (and the header for tickers)."""
        for pane in self.app.data_panes(topic):
            pane.set_feed_state(state)
        if topic == "tickers":
            self.tick_header(age=False)  # the age follows on the once-a-second beat
        elif topic == "margin":
            self.app.header_pane.show_margin_state(state)  # the chip's age

    def beat(self) -> None:
        """Once a second (the app's beat): the prices that came since the last one, then
        the connection word and the data age."""
        if not self.app.screen_stack:
            return  # shutting down
        self.show_prices()
        self.show_account()
        self.tick_header()

    def show_prices(self) -> None:
        """The prices that came since the last beat, to the markets table and header now."""
        snapshot, self._tickers = self._tickers, None
        if snapshot is not None:
            self._show_markets(snapshot)

    def tick_header(self, *, age: bool = True) -> None:
        """The connection word and (``age``) the data age in the header."""
        if not self.app.screen_stack:
            return  # shutting down
        header = self.app.header_pane
        word, data_age = connection_summary(self.session.topic_states, self.session.clock(),
                                            self.session.badge())
        header.connection = word
        if age or header.data_age is None or data_age is None:
            header.data_age = data_age

    def account(self, snapshot: AccountSnapshot) -> None:
        """The account to every widget that shows it (header chip, balances, book marks,
        chart lines: each :class:`~alp_tui.ui.account_display.AccountView`), on the next
        beat (at most a second later): the session republishes it on every answer of the
        watch and on price moves, and each push redraws the balances."""
        self._account = snapshot

    def show_account(self) -> None:
        """The account that came since the last beat, to its views now (when it changed)."""
        snapshot, self._account = self._account, None
        if snapshot is None or _same(self._account_shown, snapshot):
            return
        self._account_shown = snapshot
        push_account(self.app.main, snapshot)


_NOTHING = object()


def _same(old: Any, new: Any) -> bool:
    """``new`` is the very data (or equal data) handed before."""
    if old is _NOTHING or old is None:
        return False
    try:
        return bool(old is new or old == new)
    except Exception:  # data that cannot be compared is news
        return False
