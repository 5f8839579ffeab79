"""The dashboard screen: the panes' layout, and the messages between panes and session.

The app's default screen. It composes header, markets, book, trades, chart and the account
tabs; session events posted to it go to the panes through its
:class:`~alp_tui.ui.pane_router.PaneRouter`; messages bubbling up from the panes (pair
chosen, watchlist, grouping, chart interval, an order asked from the book, an action
done) are carried out by the app's :class:`~alp_tui.ui.intents.Intents` and trading UI.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent

from alp_tui.api.enums import ChartInterval
from alp_tui.session import AccountSnapshot, AlertFired, ConnectionChanged, Notice
from alp_tui.session.topics import PUBLIC_TOPICS
from alp_tui.ui.messages import (
    ErrorLogged,
    FeedData,
    FeedStateChanged,
    PairChosen,
    SessionNews,
    WatchToggled,
)
from alp_tui.ui.pane_inputs import hand_in
from alp_tui.ui.panes.account_area import AccountArea
from alp_tui.ui.panes.header import HeaderPane
from alp_tui.ui.panes.markets import MarketsPane
from alp_tui.ui.panes.registry import MARKET_SLOTS, make_pane
from alp_tui.ui.widgets.displayed import displayed

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any


class DashboardScreen(Screen[Any]):
    """Header; markets | book + trades | chart; account tabs; footer."""

    def __init__(self, alp: AlpApp) -> None:
        super().__init__(id="_default")
        self.alp = alp

    def compose(self) -> ComposeResult:
        """The panes (account panes are placeholders without keys)."""
        yield HeaderPane(id="header")
        with Horizontal(id="main"):
            yield MarketsPane(id="markets")
            orderbook, chart, trades = (make_pane(slot) for slot in MARKET_SLOTS)
            with Vertical(id="book-column"):
                yield orderbook
                yield trades
            yield chart
        yield AccountArea(has_credentials=self.alp.has_credentials)
        yield Footer()

    async def on_mount(self) -> None:
        """The panes are composed: they get the session's parts; the app may start it."""
        self.hand_in()
        await self.alp.dashboard_mounted()

    def hand_in(self) -> None:
        """Give the panes the session's parts they ask for (again once it has started:
        its trading and margin services exist from then on)."""
        hand_in(self, self.alp.session, paper=self.alp.mode == "paper")

    # --- session → panes ----------------------------------------------------------------
    @on(FeedData)
    def _feed_data(self, message: FeedData) -> None:
        message.stop()
        self.alp.router.feed_data(message)

    @on(FeedStateChanged)
    def _feed_state(self, message: FeedStateChanged) -> None:
        message.stop()
        self.alp.router.route_state(message.topic, message.state)

    @on(SessionNews)
    def _session_news(self, message: SessionNews) -> None:
        message.stop()
        event, app = message.event, self.alp
        if isinstance(event, AccountSnapshot):
            app.router.account(event)
        elif isinstance(event, AlertFired):
            app.alert_delivery.deliver(event)
        elif isinstance(event, Notice):
            app.notify(event.text, title=event.title, timeout=20,
                       severity=event.severity)  # type: ignore[arg-type]
            if event.severity in ("warning", "error"):  # the toast goes; F3 keeps it
                app.session.errors.add("notice", event.severity, event.text)
        elif isinstance(event, ConnectionChanged):
            app.router.tick_header()

    @on(ErrorLogged)
    def _count_errors(self, message: ErrorLogged) -> None:
        message.stop()
        self.alp.header_pane.error_count = len(self.alp.session.errors)

    # --- what is on screen --------------------------------------------------------------
    @on(TabbedContent.TabActivated, "#account-tabs")
    def _tab_activated(self) -> None:
        self.update_active_topics()

    def update_active_topics(self) -> None:
        """Tell the session what is on screen: market panes shown, the open account tab."""
        shown = {t for t in PUBLIC_TOPICS if any(displayed(p) for p in self.alp.data_panes(t))}
        self.alp.session.show(shown | self.query_one(AccountArea).shown_topics())

    # --- panes → session ----------------------------------------------------------------
    @on(PairChosen)
    def _pair_chosen(self, message: PairChosen) -> None:
        self.alp.intents.select_pair(message.pair)

    @on(WatchToggled)
    def _watch_toggled(self, message: WatchToggled) -> None:
        self.alp.intents.toggle_watch(message.pair)

    def on_order_book_pane_grouping_toggled(self, message: Any) -> None:
        """The book pane asks for a grouped (or ungrouped) book."""
        self.alp.session.set_params(grouped=bool(message.grouped))

    def on_chart_pane_interval_changed(self, message: Any) -> None:
        """The chart pane switched interval itself."""
        if message.interval != self.alp.session.interval:
            self.alp.session.set_params(interval=ChartInterval(message.interval).value)

    def on_order_book_pane_order_requested(self, message: Any) -> None:
        """``b`` / ``s`` on a book level: the form with that price."""
        message.stop()
        if message.pair == self.alp.session.market.selected:
            self.alp.trading_ui.open_order_form(message.side, price=message.price)
            self.alp.trading_ui.forget_level()

    def on_account_changed(self, message: Any) -> None:
        """A form or pane says it acted: the session it acted through has re-read the
        account already (asking again while that read is out would read it twice)."""
        message.stop()
