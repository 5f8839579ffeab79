"""Chart pane: plotext candlesticks with volume, built in a thread and cached.

The picture is a pure function of (canvas size, candles version, cursor, order lines,
interval, precision) — :class:`~alp_tui.ui.chart_render.ChartSpec`. A build (~10-30 ms)
runs in an exclusive thread worker; its result is cached per spec, so a repaint, an
identical poll or a return to an earlier size or cursor position costs no build at all.
The labelled last-price line is drawn over the build (:mod:`~alp_tui.ui.chart_overlay`)
at the live last price: a move costs no build, unless the price leaves the chart's range
(then one build widens it, at most once a second).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from alp_tui.api.enums import ChartInterval, OrderSide
from alp_tui.api.models import Candle, Order, PairInfo
from alp_tui.feed.state import FeedState
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.account_display import AccountView
from alp_tui.ui.chart_info import candle_info
from alp_tui.ui.chart_overlay import with_last_price
from alp_tui.ui.chart_render import (
    MIN_HEIGHT,
    MIN_WIDTH,
    ChartBuild,
    ChartSpec,
    OrderLine,
    build_chart,
    candle_at,
)
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.chart_canvas import ChartCanvas, ansi_to_strips
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.static_text import set_static_text

__all__ = ["INTERVAL_KEYS", "ChartPane"]

INTERVAL_KEYS: tuple[ChartInterval, ...] = (
    ChartInterval.FIVE_MIN,
    ChartInterval.FIFTEEN_MINS,
    ChartInterval.HALF_HOUR,
    ChartInterval.HOUR,
    ChartInterval.FOUR_HOURS,
    ChartInterval.DAY,
)
"""The intervals, shortest first: ``[`` and ``]`` step through them."""

_CACHE_SIZE = 24
LIVE_PRICE_MIN_S = 1.0
"""A live price beyond the chart's range rebuilds it (wider) at most this often."""


class ChartPane(AccountView, DataPane):
    """Candles of the selected pair with volume, a time axis, the last price and own orders.

    Keys: ``[`` / ``]`` (the app's) step the interval (5m 15m 30m 1h 4h 1d); an interval
    chosen here posts :class:`ChartPane.IntervalChanged`. When focused, ←/→ move a cursor
    whose candle's OHLCV shows in the info line (a click on a candle puts the cursor there);
    ``escape`` drops the cursor.
    """

    topic: ClassVar[str] = "chart"

    can_focus = True

    # No digit keys here: 1-5 focus the panes everywhere, the chart included; the interval
    # steps with [ and ] (the app's keys) or a palette entry.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor(-1)", "◂ Candle", id="chart.cursor_left",
                tooltip="Move the cursor one candle back (shows its OHLCV)"),
        Binding("right", "cursor(1)", "Candle ▸", id="chart.cursor_right",
                tooltip="Move the cursor one candle forward"),
        Binding("escape", "clear_cursor", "No cursor", id="chart.cursor_clear", show=False,
                tooltip="Hide the candle cursor"),
    ]  # fmt: skip

    interval: reactive[ChartInterval] = reactive(ChartInterval.HOUR)
    """The candle interval shown (set it directly to follow the config; keys post a message)."""

    cursor_time: reactive[int | None] = reactive(None)
    """Open time of the candle under the cursor, or None for no cursor."""

    class IntervalChanged(Message):
        """The user chose another interval; the feed should fetch its candles."""

        def __init__(self, pane: ChartPane, interval: ChartInterval) -> None:
            super().__init__()
            self.pane = pane
            self.interval = interval

        @property
        def control(self) -> ChartPane:
            """The pane that posted the message."""
            return self.pane

    def __init__(self, *, columns_per_candle: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns_per_candle = columns_per_candle
        """Columns each candle gets (1 = densest; never less)."""
        self._candles: tuple[Candle, ...] = ()
        self._loaded = False
        self._data_version = 0
        self._order_lines: tuple[OrderLine, ...] = ()
        self._cache: OrderedDict[tuple[object, ...], tuple[ChartBuild, list[Strip]]] = OrderedDict()
        self._wanted: tuple[object, ...] | None = None
        self._shown: ChartBuild | None = None
        self._feed_state: FeedState | None = None
        self._live_price: Decimal | None = None
        self._range_price: Decimal | None = None  # a live price the range must include
        self._live_built_at = float("-inf")
        self._live_timer: Any = None
        self._strips: list[Strip] = []  # the shown build's lines, without the price line
        self.build_count = 0
        """Builds run so far (tests and benchmarks read it)."""

    def compose(self) -> ComposeResult:
        """Info line, chart canvas, status line."""
        yield Static("", id="chart-info", markup=False)
        yield ChartCanvas(id="chart-canvas")
        yield PaneStatus("", id="chart-status")

    def on_mount(self) -> None:
        """Draw titles and the empty state (or data given before mounting)."""
        if self._feed_state is not None:
            self.query_one(PaneStatus).state = self._feed_state
        self._update_titles()
        self._refresh_info()
        self._request_build()

    @property
    def canvas(self) -> ChartCanvas:
        """The widget holding the chart picture."""
        return self.query_one(ChartCanvas)

    @property
    def candles(self) -> tuple[Candle, ...]:
        """The candles held, oldest first."""
        return self._candles

    @property
    def shown_build(self) -> ChartBuild | None:
        """The build on screen (None while there is none)."""
        return self._shown

    # ------------------------------------------------------------------ DataPane contract

    def set_pair(self, pair: PairInfo) -> None:
        """Switch pair: the old candles, cursor and order lines go at once."""
        super().set_pair(pair)
        self._order_lines = ()
        self._live_price = self._range_price = None
        self._clear_candles()
        self._update_titles()

    def set_feed_state(self, state: FeedState) -> None:
        """Show where the candles' data stands (kept until mounted)."""
        self._feed_state = state
        super().set_feed_state(state)

    def show_data(self, data: Sequence[Candle]) -> None:
        """Show candles (any order; duplicates by time keep the last). Unchanged data is free."""
        by_time = {c.time: c for c in data}
        candles = tuple(by_time[t] for t in sorted(by_time))
        self._loaded = True
        if candles != self._candles:
            self._candles = candles
            self._data_version += 1
            self._range_price = None  # new candles: their own range, widened if need be
            if self.cursor_time is not None and self.cursor_time not in by_time:
                self.cursor_time = None
        self._refresh_info()
        self._request_build()

    # ------------------------------------------------------------------ live price

    def set_last_price(self, price: Decimal | None) -> None:
        """The selected pair's live last price (the header's): the labelled last-price line
        follows it between candle polls, drawn over the built chart (no build) when it
        moved at the pair's precision. A price beyond the chart's range rebuilds it wider,
        at most once per :data:`LIVE_PRICE_MIN_S`."""
        if price is None or price <= 0:
            return
        if self.pair is not None:
            price = price.quantize(Decimal(1).scaleb(-self.pair.price_precision))
        if price == self._live_price:
            return
        self._live_price = price
        build = self._shown
        if build is not None and build.price_row(price) is not None:
            self._draw()
        else:
            self._widen()

    def _widen(self) -> None:
        """Rebuild with the live price inside the range (at most once a second)."""
        if self._live_price is None or self._range_price == self._live_price:
            return
        if self._live_timer is not None:
            return  # the pending rebuild takes the latest price
        wait = self._live_built_at + LIVE_PRICE_MIN_S - time.monotonic()
        if wait <= 0:
            self._live_due()
        else:
            self._live_timer = self.set_timer(wait, self._live_due)

    def _live_due(self) -> None:
        self._live_timer = None
        self._live_built_at = time.monotonic()
        self._range_price = self._live_price
        self._request_build()

    @property
    def last_price(self) -> Decimal | None:
        """The live last price the line follows (None: the last candle's close)."""
        return self._live_price

    # ------------------------------------------------------------------ own orders

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Draw the selected pair's open orders as lines."""
        self.set_own_orders(snapshot.open_orders)

    def set_order_lines(
        self, lines: Iterable[OrderLine | tuple[OrderSide, Decimal] | Decimal]
    ) -> None:
        """Draw these prices as horizontal lines: buy orders cyan, sell orders magenta, bare
        prices (side unknown) blue. Prefer :meth:`set_own_orders`, which knows the sides."""
        new_lines: list[OrderLine] = []
        for line in lines:
            if isinstance(line, OrderLine):
                new_lines.append(line)
            elif isinstance(line, Decimal):
                new_lines.append(OrderLine(None, line))
            else:
                new_lines.append(OrderLine(line[0], line[1]))
        new = tuple(sorted(new_lines, key=lambda ln: (ln.side.value if ln.side else "", ln.price)))
        if new != self._order_lines:
            self._order_lines = new
            self._request_build()

    def set_own_orders(self, orders: Iterable[Order]) -> None:
        """Draw the current pair's open orders with a price as lines."""
        pair = self.pair.name if self.pair else None
        self.set_order_lines(
            OrderLine(o.side, o.price)
            for o in orders
            if o.price is not None and o.status.is_open and (pair is None or o.pair == pair)
        )

    @property
    def order_lines(self) -> tuple[OrderLine, ...]:
        """The order lines drawn."""
        return self._order_lines

    # ------------------------------------------------------------------ keys

    def action_interval(self, minutes: int) -> None:
        """Switch to the ``minutes`` interval and tell the feed."""
        interval = ChartInterval(minutes)
        if interval is self.interval:
            return
        self.interval = interval
        self.post_message(self.IntervalChanged(self, interval))

    def watch_interval(self, old: ChartInterval, new: ChartInterval) -> None:
        """Another interval: its candles are not loaded yet."""
        if old is not new:
            self._clear_candles()
        self._update_titles()

    def action_cursor(self, delta: int) -> None:
        """Move the candle cursor (the first press starts on the last candle)."""
        if not self._candles:
            return
        times = [c.time for c in self._candles]
        if self.cursor_time is None or self.cursor_time not in times:
            index = len(times) - 1
        else:
            index = times.index(self.cursor_time) + delta
        first = self._shown.first if self._shown is not None else 0
        index = max(first, min(len(times) - 1, index))
        self.cursor_time = times[index]

    def on_click(self, event: events.Click) -> None:
        """A click on the chart puts the cursor on that candle."""
        offset = event.get_content_offset(self.canvas)
        build = self._shown
        if offset is None or build is None:
            return
        index = candle_at(build, offset.x)
        if index is not None and index < len(self._candles):
            self.focus()
            self.cursor_time = self._candles[index].time

    def action_clear_cursor(self) -> None:
        """Hide the cursor."""
        self.cursor_time = None

    def watch_cursor_time(self, _value: int | None) -> None:
        """Show the candle's OHLCV and redraw the cursor line."""
        self._refresh_info()
        self._request_build()

    def cursor_candle(self) -> Candle | None:
        """The candle under the cursor, or None."""
        if self.cursor_time is None:
            return None
        return next((c for c in self._candles if c.time == self.cursor_time), None)

    # ------------------------------------------------------------------ building

    def on_resize(self, _event: events.Resize) -> None:
        """A new size needs a picture of that size (maybe cached) and maybe a shorter info."""
        self.call_after_refresh(self._request_build)
        self.call_after_refresh(self._refresh_info)

    def _clear_candles(self) -> None:
        self._candles = ()
        self._range_price = None
        self._loaded = False
        self._data_version += 1
        self.cursor_time = None
        if self.is_mounted:
            self._refresh_info()
            self._request_build()

    def _spec(self) -> ChartSpec | None:
        if not self.is_mounted:
            return None
        size = self.canvas.content_size
        pair = self.pair
        cursor = None
        if self.cursor_time is not None:
            cursor = next(
                (i for i, c in enumerate(self._candles) if c.time == self.cursor_time), None
            )
        return ChartSpec(
            width=size.width,
            height=size.height,
            candles=self._candles,
            data_version=self._data_version,
            price_precision=pair.price_precision if pair else 8,
            amount_precision=pair.amount_precision if pair else 8,
            interval_minutes=self.interval.value,
            cursor=cursor,
            order_lines=self._order_lines,
            columns_per_candle=self.columns_per_candle,
            last_price=self._range_price,
            draw_last=False,
        )

    def _request_build(self) -> None:
        spec = self._spec()
        if spec is None:
            return
        if not spec.candles:
            self._wanted = None
            self._show_message(self._empty_text())
            return
        if spec.width < MIN_WIDTH or spec.height < MIN_HEIGHT:
            self._wanted = None
            self._show_message("enlarge the pane to see the chart")
            return
        key = spec.key()
        if key == self._wanted:
            return
        self._wanted = key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self._show(*cached)
            return
        self._build(spec)

    @work(thread=True, exclusive=True, group="chart-build", exit_on_error=False)
    def _build(self, spec: ChartSpec) -> None:
        """Build ``spec`` off the event loop and hand the result back."""
        if get_current_worker().is_cancelled:
            return
        build = build_chart(spec)
        strips = ansi_to_strips(build.ansi, spec.width)
        self.build_count += 1
        try:
            self.app.call_from_thread(self._built, spec.key(), build, strips)
        except RuntimeError:  # the app is shutting down
            pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed build says so in the canvas instead of leaving an old picture."""
        worker = event.worker
        if worker.group == "chart-build" and event.state is WorkerState.ERROR:
            self._wanted = None
            self._show_message(f"the chart could not be drawn: {worker.error}")

    def _built(self, key: tuple[object, ...], build: ChartBuild, strips: list[Strip]) -> None:
        self._cache[key] = (build, strips)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        if key == self._wanted:
            self._show(build, strips)

    def _show(self, build: ChartBuild, strips: list[Strip]) -> None:
        self._shown = build
        self._strips = strips
        self._draw()
        self._refresh_info()
        live = self._live_price
        if live is not None and build.price_row(live) is None:
            self._widen()

    def _draw(self) -> None:
        """The shown build with the last-price line: the live price, else the last close."""
        build = self._shown
        if build is None:
            return
        price = self._live_price
        if price is None and self._candles:
            price = self._candles[-1].close
        places = self.pair.price_precision if self.pair else 8
        lines = self._strips if price is None else with_last_price(self._strips, build,
                                                                   price, places)
        self.canvas.show_lines(lines)

    def _show_message(self, text: str) -> None:
        self._shown = None
        self.canvas.show_message(text)

    def _empty_text(self) -> str:
        if not self._loaded:
            name = f"{self.pair.name} " if self.pair else ""
            return f"loading {name}{self.interval.label} candles…"
        return "no candles yet"

    # ------------------------------------------------------------------ text lines

    def _update_titles(self) -> None:
        if not self.is_mounted:
            return
        name = self.pair.name if self.pair else ""
        self.border_title = f"Chart {name} {self.interval.label}".replace("  ", " ").strip()
        parts = []
        for iv in INTERVAL_KEYS:
            label = iv.label
            parts.append(f"[b reverse] {label} [/]" if iv is self.interval else f" {label} ")
        self.border_subtitle = "".join(parts) + "  \\[ ] interval"
        status = self.query_one(PaneStatus)
        status.title = self.interval.label
        status.state = status.state

    def info_text(self) -> str:
        """The info line's plain text: the cursor's (or last) candle's OHLCV."""
        return self._info().plain

    def _refresh_info(self) -> None:
        if self.is_mounted:
            # the same line again (a candle poll with nothing new) is not drawn again
            set_static_text(self.query_one("#chart-info", Static), self._info(), layout=False)

    def _info(self) -> Text:
        """The OHLCV line of the cursor's (or the last) candle, fitted to the width."""
        candle = self.cursor_candle()
        label = "cursor" if candle is not None else "last"
        if candle is None and self._candles:
            candle = self._candles[-1]
        width = self.query_one("#chart-info").size.width if self.is_mounted else 0
        return candle_info(candle, label, self.interval, self.pair,
                           self._shown.notes if self._shown is not None else (), width)
