"""The dashboard app: composition and wiring only. The session does the work.

Build it with :func:`create_app` (config, client factory, mode) so tests can point it at a
simulator. The account, the feed and the alerts live in :class:`alp_tui.session.Session`;
its events reach the panes through :class:`~alp_tui.ui.pane_router.PaneRouter`, alerts
through :class:`~alp_tui.ui.alert_delivery.AlertDelivery`, trading forms through
:class:`~alp_tui.ui.trading_ui.TradingUI`; palette entries are in ``ui/palette.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual.app import App
from textual.binding import BindingType
from textual.events import Resize
from textual.message import Message

from alp_tui.config import Config
from alp_tui.feed.poller import Sleep, TopicSpec, event_sleep
from alp_tui.session import Session, SessionEvent, TopicData, TopicStateChanged
from alp_tui.session.client import client_factory_for, has_credentials
from alp_tui.ui.alert_delivery import AlertDelivery
from alp_tui.ui.alert_keys import open_add_alert
from alp_tui.ui.commands import DashboardCommands, PaletteCommand
from alp_tui.ui.dashboard import DashboardScreen
from alp_tui.ui.fatal import exit_without_locals
from alp_tui.ui.gc_policy import settle_collector
from alp_tui.ui.intents import INTERVALS, Intents
from alp_tui.ui.key_model import apply_keymap, keep_theme, request_quit
from alp_tui.ui.messages import ErrorLogged, FeedData, FeedStateChanged, SessionNews
from alp_tui.ui.order_keys import open_quick_order
from alp_tui.ui.palette import APP_BINDINGS, FOCUS_TARGETS, palette
from alp_tui.ui.pane_router import PaneRouter
from alp_tui.ui.panes.base import DataPane, mounted_panes
from alp_tui.ui.panes.header import HeaderPane
from alp_tui.ui.panes.markets import MarketsPane
from alp_tui.ui.trading_ui import TRADING_BINDINGS, TradingUI
from alp_tui.ui.widgets.ticks import every_second

Mode = Literal["live", "demo", "paper"]
ClientFactory = Callable[[], Any]
__all__ = ["FOCUS_TARGETS", "INTERVALS", "AlpApp", "create_app"]


class AlpApp(App[int]):
    """The ALP.COM dashboard."""

    TITLE = "alp-tui"
    CSS_PATH = ["app.tcss", "trading.tcss", "margin.tcss"]
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS, *TRADING_BINDINGS]

    def __init__(
        self,
        config: Config,
        client_factory: ClientFactory,
        *,
        mode: Mode = "live",
        config_path: Path | None = None,
        has_credentials: bool = False,
        clock: Callable[[], float] = time.monotonic, sleep: Sleep = event_sleep,
        topics: Callable[[Any], list[TopicSpec]] | None = None,
        start_feed: bool = True, stream: bool = False,
    ) -> None:
        super().__init__()
        self.config = config
        self.mode: Mode = mode
        self.config_path = config_path
        self.has_credentials = has_credentials
        self._start_feed = start_feed
        # Streaming is off unless asked for (the CLI asks; tests and snapshots poll).
        self.session = Session(config, client_factory, has_credentials=has_credentials,
                               clock=clock, sleep=sleep, topics=topics, stream=stream,
                               config_path=config_path)
        self.router = PaneRouter(self)
        self.trading_ui = TradingUI(self)
        self.alert_delivery = AlertDelivery(self)
        self.intents = Intents(self)
        self._header: HeaderPane | None = None
        self._markets: MarketsPane | None = None
        self.set_class(mode in ("demo", "paper"), "-demo")
        if mode == "demo":
            self.title = "alp-tui — DEMO (simulated exchange)"
        elif mode == "paper":
            self.title = "alp-tui — PAPER (live prices, paper money)"

    # The session's parts, by their old names (tests, health screen, cli).
    client = property(lambda self: self.session.client)
    feed = property(lambda self: self.session.feed)
    stream_feed = property(lambda self: self.session.stream_feed)
    trading = property(lambda self: self.session.trading)
    errors = property(lambda self: self.session.errors)
    stats = property(lambda self: self.session.stats)
    market = property(lambda self: self.session.market)
    topic_states = property(lambda self: self.session.topic_states)
    interval = property(lambda self: self.session.interval)

    @property
    def journal_path(self) -> Path | str | None:
        """Where the trading journal lives (None: the XDG data dir); set before mount."""
        return self.session._journal_path

    @journal_path.setter
    def journal_path(self, path: Path | str | None) -> None:
        self.session._journal_path = path

    # --- composition ------------------------------------------------------------------
    def get_default_screen(self) -> DashboardScreen:
        """The dashboard screen composes the panes (``ui/dashboard.py``)."""
        return DashboardScreen(self)

    def data_panes(self, topic: str | None = None) -> list[DataPane]:
        """Mounted data panes, optionally only those of ``topic`` (see mounted_panes)."""
        return mounted_panes(self.main, topic)

    @property
    def header_pane(self) -> HeaderPane:
        """The header (kept from mount: safe to touch while the app shuts down)."""
        if self._header is None:
            self._header = self.main.query_one(HeaderPane)
        return self._header

    @property
    def markets_pane(self) -> MarketsPane:
        """The markets pane (kept from mount)."""
        if self._markets is None:
            self._markets = self.main.query_one(MarketsPane)
        return self._markets

    @property
    def main(self) -> DashboardScreen:
        """The dashboard screen (queries go there even while a modal is open)."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        return screen  # type: ignore[return-value]

    # --- lifecycle --------------------------------------------------------------------
    async def dashboard_mounted(self) -> None:
        """Once the dashboard screen is up: theme, header, then the session."""
        if self.config.dashboard.theme in self.available_themes:
            self.theme = self.config.dashboard.theme
        keep_theme(self)
        apply_keymap(self)
        header = self.header_pane
        header.mode = self.mode
        header.public_only = not self.has_credentials
        header.pair = self.market.selected
        self.session.subscribe(self._session_event)
        self.errors.add_listener(lambda e: self._to_main(ErrorLogged(e.topic, e.message)))
        self.intents.layout(self.size.width, self.size.height)
        every_second(self, self.router.beat)  # prices and ages, on the status lines' beat
        self._restore_collector = settle_collector()  # startup done: see gc_policy
        self.main.query_one("#markets-table").focus()
        self.intents.push_interval()
        if self._start_feed:
            await self.start_feed()

    async def start_feed(self) -> None:
        """Start the session: open the client, poll and stream."""
        await self.session.start()
        self.main.hand_in()
        self.update_active_topics()

    async def on_unmount(self) -> None:
        """Stop the session (tasks, stream, client)."""
        getattr(self, "_restore_collector", lambda: None)()
        await self.session.aclose()

    def _fatal_error(self) -> None:
        """Exit with a traceback that shows no local variables (a frame may hold a secret;
        overrides Textual's private hook of the same name)."""
        exit_without_locals(self)

    # --- session → screen -------------------------------------------------------------
    def _session_event(self, event: SessionEvent) -> None:
        """Each event becomes a message to the dashboard screen, which routes it."""
        if isinstance(event, TopicData):
            message: Message = FeedData(event.topic, event.params, event.data)
        elif isinstance(event, TopicStateChanged):
            message = FeedStateChanged(event.topic, event.state)
        else:
            message = SessionNews(event)
        self._to_main(message)

    def _to_main(self, message: Message) -> None:
        # The session runs until on_unmount: events arriving once the screens are gone
        # are dropped (a traceback on the way out would be all the trader sees).
        if self.screen_stack:
            self.main.post_message(message)

    def update_active_topics(self) -> None:
        """Tell the session what is on screen."""
        self.main.update_active_topics()

    def on_resize(self, event: Resize) -> None:
        """Compact and wide layouts."""
        self.intents.layout(event.size.width, event.size.height)

    # --- user intents (carried out by self.intents / self.trading_ui) -----------------
    def select_pair(self, pair: str) -> None:
        """Make ``pair`` the selected pair everywhere."""
        self.intents.select_pair(pair)

    def set_book_grouping(self, grouped: bool) -> None:
        """Ask the exchange for a price-grouped book (or not)."""
        self.session.set_params(grouped=grouped)

    @property
    def selected_level(self) -> tuple[Any, Any] | None:
        """The book level picked for an order: the book's own selection."""
        books = self.data_panes("orderbook")
        return getattr(books[0], "selected", None) if books else None

    def open_order_form(self, side: str, price: Any = None) -> Any:
        """The order form for the selected pair (None when it cannot open)."""
        return self.trading_ui.open_order_form(side, price)

    def action_quick_order(self) -> None:
        """``:``: the quick-order line."""
        open_quick_order(self)

    def action_trade(self, side: str) -> None:
        """``b`` / ``s``: the order form, priced at the picked book level if any."""
        self.trading_ui.trade(side, self.selected_level)

    def action_withdraw(self, currency: str | None = None) -> None:
        """``w``: withdraw the selected currency."""
        self.trading_ui.withdraw(currency)

    def action_help(self) -> None:
        """Show the key map."""
        self.intents.help()

    def action_health(self) -> None:
        """Show the API-health view."""
        self.intents.health()

    def action_errors(self) -> None:
        """Show the error log."""
        self.intents.errors()

    def action_alerts(self) -> None:
        """Show the alert log."""
        self.intents.alerts()

    def action_add_price_alert(self) -> None:
        """``A`` / ``a``: add a price alert (at the book's selected level, else last)."""
        open_add_alert(self)

    def action_refresh(self) -> None:
        """Refresh every shown pane now."""
        self.session.refresh_now()

    def action_retry_auth(self) -> None:
        """Resume private polling after an auth stop."""
        if self.feed is not None:
            self.session.retry_auth()
            self.notify("Retrying authentication…")

    def action_interval(self, step: int) -> None:
        """Next / previous chart interval."""
        self.intents.step_interval(step)

    def action_focus_pane(self, name: str) -> None:
        """Move the focus to a pane."""
        self.intents.focus_pane(name)

    def action_request_quit(self) -> None:
        """``q``: quit, asking first while orders are open or a form has input."""
        request_quit(self)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Every action, for the command palette."""
        return palette(self)


def create_app(config: Config, *, client_factory: ClientFactory | None = None,
               base_url: str | None = None, api_key: str | None = None,
               api_secret: str | None = None, mode: Mode = "live",
               config_path: Path | None = None, **kwargs: Any) -> AlpApp:
    """Build the app. Give a ``client_factory`` (returns an async-context-manager client), or
    ``base_url`` / credentials (default: the config's exchange) for an :class:`AlpClient`."""
    if client_factory is None:
        client_factory, keys = client_factory_for(config, base_url=base_url, api_key=api_key,
                                                  api_secret=api_secret, mode=mode)
    else:
        keys = has_credentials(config, api_key, api_secret)
    return AlpApp(config, client_factory, mode=mode, config_path=config_path,
                  has_credentials=keys, **kwargs)
