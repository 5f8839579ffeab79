"""The dashboard app: composition and wiring only. Data comes from the feed as messages.

Build it with :func:`create_app` (config, client factory, mode) so tests can point it at a
simulator. Flows live in ``alp_tui.services`` and ``alp_tui.feed``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent
from textual.worker import Worker, WorkerState

from alp_tui.api.enums import ChartInterval
from alp_tui.config import VALID_INTERVALS, Config, save_watchlist
from alp_tui.feed.poller import Feed, FeedParams, Sleep, TopicSpec, event_sleep
from alp_tui.feed.state import FeedState, Freshness
from alp_tui.feed.stats import EndpointStats, ErrorLog, LoggedError
from alp_tui.feed.stream_feed import StreamFeed, make_stream_feed
from alp_tui.feed.topics import PUBLIC_TOPICS, default_topics
from alp_tui.services.market import MarketService, MarketSnapshot, SortKey
from alp_tui.ui.account_display import ACCOUNT_TOPICS, AccountBridge, push_account
from alp_tui.ui.commands import DashboardCommands, PaletteCommand
from alp_tui.ui.key_model import (
    QUIT_BINDING,
    account_focus_target,
    apply_keymap,
    keep_theme,
    request_quit,
)
from alp_tui.ui.messages import ErrorLogged, FeedData, FeedStateChanged, PairChosen, WatchToggled
from alp_tui.ui.panes.account_area import AccountArea
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.header import HeaderPane, connection_summary
from alp_tui.ui.panes.markets import MarketsPane
from alp_tui.ui.panes.placeholder import NO_KEYS_HELP
from alp_tui.ui.panes.registry import MARKET_SLOTS, make_pane
from alp_tui.ui.screens.error_log import ErrorLogScreen
from alp_tui.ui.screens.health import HealthScreen
from alp_tui.ui.screens.help import HelpScreen, help_groups
from alp_tui.ui.trading_actions import TRADING_BINDINGS, TradingActions

Mode = Literal["live", "demo", "paper"]
ClientFactory = Callable[[], Any]
INTERVALS = [ChartInterval(v) for v in VALID_INTERVALS]
FOCUS_TARGETS = {"markets": "Markets", "orderbook": "Order book", "chart": "Chart",
                 "trades": "Trades", "account": "Account tabs"}


class AlpApp(TradingActions, App[int]):
    """The ALP.COM dashboard."""

    TITLE = "alp-tui"
    CSS_PATH = ["app.tcss", "trading.tcss", "margin.tcss"]
    COMMANDS = App.COMMANDS | {DashboardCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        QUIT_BINDING,
        Binding("question_mark", "help", "Help", id="app.help",
                tooltip="Show every key and mouse action"),
        Binding("f2", "health", "Health", id="app.health",
                tooltip="API health: latency, request rate, errors, data ages"),
        Binding("f3", "errors", "Errors", id="app.errors", tooltip="Recent errors"),
        Binding("f5", "refresh", "Refresh", id="app.refresh", tooltip="Refresh every pane now"),
        Binding("left_square_bracket", "interval(-1)", "Interval-", id="app.interval_prev",
                tooltip="Shorter chart candles", show=False),
        Binding("right_square_bracket", "interval(1)", "Interval+", id="app.interval_next",
                tooltip="Longer chart candles"),
        Binding("ctrl+r", "retry_auth", "Retry auth", id="app.retry_auth",
                tooltip="Resume account polling after an authentication failure", show=False),
        Binding("1", "focus_pane('markets')", "Markets", id="app.focus_markets",
                tooltip="Focus the markets pane", show=False),
        Binding("2", "focus_pane('orderbook')", "Book", id="app.focus_orderbook",
                tooltip="Focus the order book", show=False),
        Binding("3", "focus_pane('chart')", "Chart", id="app.focus_chart",
                tooltip="Focus the chart", show=False),
        Binding("4", "focus_pane('trades')", "Trades", id="app.focus_trades",
                tooltip="Focus the trades pane", show=False),
        Binding("5", "focus_pane('account')", "Account", id="app.focus_account",
                tooltip="Focus the account tabs", show=False),
        *TRADING_BINDINGS,
    ]

    def __init__(
        self,
        config: Config,
        client_factory: ClientFactory,
        *,
        mode: Mode = "live",
        config_path: Path | None = None,
        has_credentials: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = event_sleep,
        topics: Callable[[Any], list[TopicSpec]] | None = None,
        start_feed: bool = True,
        stream: bool = False,
    ) -> None:
        super().__init__()
        self.config = config
        self.mode: Mode = mode
        self.config_path = config_path
        self.has_credentials = has_credentials
        self._client_factory = client_factory
        self._clock = clock
        self._sleep = sleep
        self._topics = topics or (lambda client: default_topics(client, config.polling))
        self._start_feed = start_feed
        self.client: Any = None
        self.feed: Feed | None = None
        # WebSocket feed beside the pollers (see alp_tui/feed/stream_feed.py): streamed
        # panes stop polling while it delivers; the header shows STREAM/POLLING/OFFLINE.
        # Off unless asked for (the CLI asks; tests and snapshots stay poll-only).
        self._stream_enabled = stream
        self.stream_feed: StreamFeed | None = None
        self.stats = EndpointStats(clock)
        self.errors = ErrorLog()
        self.market = MarketService(config.dashboard.pair, config.dashboard.watchlist)
        self.account = AccountBridge.from_config(config, self.market.selected)
        self.interval = ChartInterval(config.dashboard.chart_interval)
        self.topic_states: dict[str, FeedState] = {}
        self._pending: dict[str, FeedData] = {}
        self._header: HeaderPane | None = None
        self._markets: MarketsPane | None = None
        self._stack = contextlib.AsyncExitStack()
        self.set_class(mode in ("demo", "paper"), "-demo")
        if mode == "demo":
            self.title = "alp-tui — DEMO (simulated exchange)"
        elif mode == "paper":
            self.title = "alp-tui — PAPER (live prices, paper money)"

    # --- composition ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Header; markets | book + trades | chart; account tabs; footer."""
        yield HeaderPane(id="header")
        with Horizontal(id="main"):
            yield MarketsPane(id="markets")
            orderbook, chart, trades = (make_pane(slot) for slot in MARKET_SLOTS)
            with Vertical(id="book-column"):
                yield orderbook
                yield trades
            yield chart
        yield AccountArea(has_credentials=self.has_credentials)
        yield Footer()

    def data_panes(self, topic: str | None = None) -> list[DataPane]:
        """Mounted data panes, optionally only those of ``topic``."""
        return [p for p in self.main.query(DataPane) if topic is None or p.topic == topic]

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
    def main(self) -> Screen[Any]:
        """The dashboard screen (queries go there even while a modal is open)."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    # --- lifecycle --------------------------------------------------------------------
    async def on_mount(self) -> None:
        """Theme, header, then the client and one feed worker per topic."""
        theme = self.config.dashboard.theme
        if theme in self.available_themes:
            self.theme = theme
        keep_theme(self)
        apply_keymap(self)
        self._header = self.main.query_one(HeaderPane)
        self._markets = self.main.query_one(MarketsPane)
        header = self.header_pane
        header.mode = self.mode
        header.public_only = not self.has_credentials
        header.pair = self.market.selected
        self.errors.add_listener(self._error_logged)
        self._apply_size(self.size.width, self.size.height)
        self.set_interval(1.0, self._tick_header)
        self.main.query_one("#markets-table").focus()
        self._push_interval()
        if self._start_feed:
            await self.start_feed()

    async def start_feed(self) -> None:
        """Open the client and start polling."""
        self.client = await self._stack.enter_async_context(self._client_factory())
        if notice := getattr(self.client, "token_cache_notice", None):
            self.notify(notice, severity="warning", timeout=20)
        self.start_trading()
        if hasattr(self.client, "add_observer"):
            self.client.add_observer(self.stats.observe)
        specs = self._topics(self.client)
        self.stream_feed = make_stream_feed(
            self.client, has_credentials=self.has_credentials, enabled=self._stream_enabled,
            on_update=lambda t, p, d: self.post_message(FeedData(t, p, d)),
            on_badge=lambda _badge: self.call_later(self._tick_header),
        )
        if self.stream_feed is not None:
            specs = self.stream_feed.wrap(specs)
        self.feed = Feed(
            specs,
            on_update=lambda t, p, d: self.post_message(FeedData(t, p, d)),
            on_state=lambda t, s: self.post_message(FeedStateChanged(t, s)),
            params=FeedParams(pair=self.market.selected, interval=self.interval.value),
            clock=self._clock,
            sleep=self._sleep,
            errors=self.errors,
            has_credentials=self.has_credentials,
        )
        for name, poller in self.feed.pollers.items():
            state = poller.state
            if state.kind is Freshness.DISABLED:
                state = state.failed(Freshness.DISABLED, "no API key")
            self._route_state(name, state)
        self.update_active_topics()
        for name, poller in self.feed.pollers.items():
            self.run_worker(poller.run(), name=f"feed:{name}", group="feed",
                            exit_on_error=False)
        if self.stream_feed is not None:
            self._stack.push_async_callback(self.stream_feed.aclose)  # before the client
            await self.stream_feed.start()

    def _fatal_error(self) -> None:
        """Exit after an unhandled exception with a traceback that shows no local
        variables: Textual's default shows them, and a frame may hold the API secret, a
        token or a signature. (Overrides Textual's private hook of the same name.)"""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        """Close the client."""
        await self._stack.aclose()

    def _error_logged(self, item: LoggedError) -> None:
        self.post_message(ErrorLogged(item.topic, item.message))

    # --- feed → panes -----------------------------------------------------------------
    @on(FeedData)
    def _feed_data(self, message: FeedData) -> None:
        if not self.screen_stack:
            return  # shutting down
        if message.topic in ACCOUNT_TOPICS:
            snap = self.account.take(message.topic, message.data)
            if snap is not None:
                push_account(self.main, snap)
        if message.topic == "tickers":
            self._show_markets(message.data)
            return
        if "pair" in self._depends(message.topic) and message.params.pair != self.market.selected:
            return  # an answer for a pair no longer selected: never shown
        panes = self.data_panes(message.topic)
        if any(p.pair is None for p in panes):
            self._pending[message.topic] = message  # until the pair's precision is known
            return
        for pane in panes:
            self._safe_show(pane, message.data)

    def _safe_show(self, pane: DataPane, data: Any) -> None:
        try:
            pane.show_data(data)
        except Exception as exc:  # a pane choking on odd data must not take the app down
            self.errors.add(pane.topic, "render", f"{type(exc).__name__}: {exc}")

    def _depends(self, topic: str) -> frozenset[str]:
        if self.feed is None or topic not in self.feed.pollers:
            return frozenset()
        return self.feed.pollers[topic].spec.depends_on

    def _show_markets(self, snapshot: MarketSnapshot) -> None:
        had_info = self.market.info() is not None
        self.market.apply(snapshot)
        if self.market.pairs and self.market.selected not in self.market.pairs:
            wanted = self.market.selected
            fallback = next(iter(self.market.pairs))
            self.notify(f"Unknown pair {wanted}; showing {fallback}", severity="warning")
            self.select_pair(fallback)
            return
        self.markets_pane.show_data(self.market)
        header = self.header_pane
        header.info = self.market.info()
        header.ticker = self.market.ticker()
        if not had_info and self.market.info() is not None:
            self._push_pair()

    def _push_pair(self) -> None:
        info = self.market.info()
        if info is None:
            return
        for pane in self.data_panes():
            if not isinstance(pane, MarketsPane):
                pane.set_pair(info)
        push_account(self.main, self.account.snapshot)  # own orders of this pair
        pending, self._pending = self._pending, {}
        for message in pending.values():
            if message.params.pair == self.market.selected:
                self._feed_data(message)

    @on(FeedStateChanged)
    def _feed_state(self, message: FeedStateChanged) -> None:
        if not self.screen_stack:
            return  # shutting down
        self._route_state(message.topic, message.state)

    def _route_state(self, topic: str, state: FeedState) -> None:
        if state.kind is Freshness.DISABLED and not state.error:
            state = state.failed(Freshness.DISABLED, "no API key")
        self.topic_states[topic] = state
        for pane in self.data_panes(topic):
            pane.set_feed_state(state)
        if topic == "tickers":
            self._tick_header()

    def _tick_header(self) -> None:
        if not self.screen_stack:
            return  # shutting down
        header = self.header_pane
        badge = self.stream_feed.badge().value if self.stream_feed is not None else None
        word, age = connection_summary(self.topic_states, self._clock(), badge)
        header.connection = word
        header.data_age = age

    @on(ErrorLogged)
    def _count_errors(self, _message: ErrorLogged) -> None:
        if not self.screen_stack:
            return  # shutting down
        self.header_pane.error_count = len(self.errors)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.errors.add(event.worker.name or "worker", "crash", f"{error!r}")

    # --- user intents -----------------------------------------------------------------
    @on(PairChosen)
    def _pair_chosen(self, message: PairChosen) -> None:
        self.select_pair(message.pair)

    def select_pair(self, pair: str) -> None:
        """Make ``pair`` the selected pair everywhere; old data is dropped at once."""
        self.market.selected = pair
        self.account.set_pair(pair)
        self._pending.clear()
        header = self.header_pane
        header.pair = pair
        header.info = self.market.info()
        header.ticker = self.market.ticker()
        markets = self.markets_pane
        markets.selected = pair
        if self.feed is not None:
            self.feed.set_params(pair=pair)
        self._push_pair()

    @on(WatchToggled)
    def _watch_toggled(self, message: WatchToggled) -> None:
        watched = self.market.toggle_watch(message.pair)
        self.markets_pane.show_data(self.market)
        self.notify(f"{message.pair} {'pinned to' if watched else 'removed from'} the watchlist")
        self.save_watchlist(list(self.market.watchlist))

    @work(thread=True, exclusive=True, group="config", exit_on_error=False)
    def save_watchlist(self, watchlist: list[str]) -> None:
        """Write the watchlist back to the config file (not in demo without a file)."""
        if self.config_path is None:
            return
        try:
            save_watchlist(self.config_path, watchlist)
        except Exception as exc:
            self.call_from_thread(self.notify, f"Could not save the watchlist: {exc}",
                                  severity="error")

    def set_chart_interval(self, interval: ChartInterval) -> None:
        """Switch the chart's candle interval."""
        self.interval = interval
        self._push_interval()
        if self.feed is not None:
            self.feed.set_params(interval=interval.value)
        self.notify(f"Chart interval {interval.label}", timeout=2)

    def _push_interval(self) -> None:
        for chart in self.data_panes("chart"):
            if hasattr(chart, "interval"):
                chart.interval = self.interval  # type: ignore[attr-defined]

    def set_book_grouping(self, grouped: bool) -> None:
        """Ask the exchange for a price-grouped book (or not)."""
        if self.feed is not None:
            self.feed.set_params(grouped=grouped)

    # Messages of the market panes, handled by name so this module needs no import of them.
    def on_order_book_pane_grouping_toggled(self, message: Any) -> None:
        """The book pane asks for a grouped (or ungrouped) book."""
        self.set_book_grouping(bool(message.grouped))

    @property
    def selected_level(self) -> tuple[Any, Any] | None:
        """The book level picked for an order: the book's own selection, so Esc, a pair
        switch and a form that used it (they clear it) leave no stale price behind."""
        books = self.data_panes("orderbook")
        return getattr(books[0], "selected", None) if books else None

    def on_chart_pane_interval_changed(self, message: Any) -> None:
        """The chart pane switched interval itself."""
        if message.interval != self.interval:
            self.interval = ChartInterval(message.interval)
            if self.feed is not None:
                self.feed.set_params(interval=self.interval.value)

    @on(TabbedContent.TabActivated, "#account-tabs")
    def _tab_activated(self) -> None:
        self.update_active_topics()

    def update_active_topics(self) -> None:
        """Poll only what is on screen: market panes and the open account tab."""
        if self.feed is None:
            return
        active = {"tickers"}
        for topic in PUBLIC_TOPICS:
            if any(_shown(p) for p in self.data_panes(topic)):
                active.add(topic)
        active |= self.main.query_one(AccountArea).shown_topics()
        if "chart" in active:
            active.add("orders")  # open orders draw lines on the chart
        self.feed.set_active_topics(active)

    def on_resize(self, event: Resize) -> None:
        """Compact and wide layouts."""
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.set_class(width < 130, "-narrow")  # the markets table fits its columns itself
        self.set_class(height < 40, "-short")
        self.set_class(width >= 200, "-wide")
        self.set_class(height >= 60, "-tall")

    # --- actions ----------------------------------------------------------------------
    def action_help(self) -> None:
        """Show the key map."""
        self.push_screen(HelpScreen(help_groups(self)))

    def action_health(self) -> None:
        """Show the API-health view."""
        if self.feed is not None:
            self.push_screen(HealthScreen(self.feed, self.stats, time.time))

    def action_errors(self) -> None:
        """Show the error log."""
        self.push_screen(ErrorLogScreen(self.errors))

    def action_refresh(self) -> None:
        """Refresh every shown pane now."""
        if self.feed is not None:
            self.feed.refresh_now()

    def action_retry_auth(self) -> None:
        """Resume private polling after an auth stop."""
        if self.feed is not None:
            self.feed.retry_auth()
            self.notify("Retrying authentication…")

    def action_interval(self, step: int) -> None:
        """Next / previous chart interval."""
        index = INTERVALS.index(self.interval) if self.interval in INTERVALS else 3
        self.set_chart_interval(INTERVALS[(index + step) % len(INTERVALS)])

    def action_focus_pane(self, name: str) -> None:
        """Move the focus to a pane."""
        target: Widget | None
        if name == "markets":
            target = self.main.query_one("#markets-table")
        elif name == "account":
            target = account_focus_target(self)
        else:
            panes = self.data_panes(name)
            target = panes[0] if panes else None
            if target is not None and not target.focusable:
                target = next((w for w in target.query("*") if w.focusable), target)
        if target is not None:
            target.focus()

    def action_request_quit(self) -> None:
        """``q``: quit, asking first while orders are open or a form has input."""
        request_quit(self)

    def action_select_pair(self, pair: str) -> None:
        """Select ``pair`` (palette)."""
        self.select_pair(pair)

    # --- palette ----------------------------------------------------------------------
    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Every action, for the command palette."""
        yield PaletteCommand("Help: keys and mouse", "Show the key map", self.action_help, True)
        yield PaletteCommand("API health", "Latency, request rate, errors per endpoint",
                             self.action_health, True)
        yield PaletteCommand("Error log", "Recent errors", self.action_errors, True)
        yield PaletteCommand("Refresh now", "Refresh every pane", self.action_refresh, True)
        yield PaletteCommand("Retry authentication", "Resume account polling",
                             self.action_retry_auth)
        yield PaletteCommand(
            f"Watchlist: toggle {self.market.selected}", "Pin or unpin the selected pair",
            lambda: self.post_message(WatchToggled(self.market.selected)), True,
        )
        for name, label in FOCUS_TARGETS.items():
            yield PaletteCommand(f"Focus: {label}", f"Move the focus to {label.lower()}",
                                 lambda n=name: self.action_focus_pane(n))
        for interval in INTERVALS:
            yield PaletteCommand(f"Chart interval: {interval.label}",
                                 f"{interval.value}-minute candles",
                                 lambda i=interval: self.set_chart_interval(i))
        for key in SortKey:
            yield PaletteCommand(f"Sort markets by {key.label}", "Sort the markets pane",
                                 lambda k=key: self.markets_pane.sort_by(k))
        for theme in sorted(self.available_themes):
            yield PaletteCommand(f"Theme: {theme}", "Change the colours",
                                 lambda t=theme: setattr(self, "theme", t))
        watch = set(self.market.watchlist)
        for pair in sorted(self.market.names, key=lambda p: (p not in watch, p)):
            yield PaletteCommand(f"Pair: {pair}", f"Switch every pane to {pair}",
                                 lambda p=pair: self.select_pair(p), pair in watch)
        yield from self.trading_palette_commands()
        yield PaletteCommand("Quit", "Leave the dashboard", self.exit)


def _shown(widget: Widget) -> bool:
    node: Any = widget
    while node is not None and isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def no_keys_help() -> str:
    """What the account panes say without keys (for other modules' panes)."""
    return NO_KEYS_HELP


def create_app(
    config: Config,
    *,
    client_factory: ClientFactory | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    mode: Mode = "live",
    config_path: Path | None = None,
    **kwargs: Any,
) -> AlpApp:
    """Build the app. Give a ``client_factory`` (returns an async-context-manager client), or
    ``base_url`` / credentials (default: the config's exchange) for an :class:`AlpClient`."""
    key = api_key if api_key is not None else config.exchange.api_key
    secret = api_secret
    if secret is None:
        secret = config.exchange.resolve_secret() if config.exchange.has_credentials else ""
    has_credentials = bool(key and secret)
    if client_factory is None:
        from alp_tui.api.client import AlpClient
        from alp_tui.api.token_cache import default_token_cache_dir

        url = base_url or config.exchange.base_url
        # Live tokens are cached on disk (0600) like the secret in the config file; a
        # secret kept off disk (api_secret_cmd) keeps its tokens in memory too.
        from_cmd = secret and not config.exchange.api_secret.get_secret_value()
        cache = default_token_cache_dir() if mode == "live" and not from_cmd else None

        def new_client() -> Any:
            return AlpClient(
                url, key or None, secret or None, config.exchange.timeout_s,
                allow_insecure=config.exchange.allow_insecure, token_cache_path=cache,
            )

        # Built now, so an unusable URL (or keys over plain http to a remote host) is
        # refused here with a RequestError the CLI turns into exit 2, not a crash later.
        ready = [new_client()]

        def client_factory() -> Any:
            return ready.pop() if ready else new_client()
    return AlpApp(config, client_factory, mode=mode, config_path=config_path,
                  has_credentials=has_credentials, **kwargs)
