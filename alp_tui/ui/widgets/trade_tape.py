"""The public trades tape: a line-API widget, newest trade on top, buys green, sells red.

Each trade's line is rendered once and cached by trade id, so an update that brings two
new trades formats and styles two lines; the rest come from the cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from alp_tui.api.models import PairInfo, PublicTrade
from alp_tui.services.format import format_decimal
from alp_tui.ui.widgets.lines import StripCache, component_fg, message_line

__all__ = ["TradeTape"]

BUY_MARK = "▲"
SELL_MARK = "▼"
MAX_TRADES = 500
_STRIP_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Column layout: ``HH:MM:SS  ▲price      amount``."""

    width: int
    price_width: int
    amount_width: int
    show_time: bool

    @property
    def price_start(self) -> int:
        """Column of the side mark (the price follows it)."""
        return 10 if self.show_time else 0


class TradeTape(Widget):
    """Recent public trades, newest first, as many as fit the height."""

    COMPONENT_CLASSES = {
        "trade-tape--header",
        "trade-tape--time",
        "trade-tape--buy",
        "trade-tape--sell",
        "trade-tape--message",
    }

    DEFAULT_CSS = """
    TradeTape {
        height: 1fr;
        width: 1fr;
    }
    TradeTape > .trade-tape--header { color: $text-muted; text-style: bold; }
    TradeTape > .trade-tape--time { color: $text-muted; }
    TradeTape > .trade-tape--buy { color: $success; }
    TradeTape > .trade-tape--sell { color: $error; }
    TradeTape > .trade-tape--message { color: $text-muted; text-style: italic; }
    """

    def __init__(
        self,
        *,
        max_trades: int = MAX_TRADES,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_trades = max_trades
        self._pair: PairInfo | None = None
        self._trades: list[PublicTrade] = []
        self._ids: set[int] = set()
        self._loaded = False
        self._waiting_text = "waiting for trades…"
        self._strips = StripCache(_STRIP_CACHE_SIZE)
        self._version = 0
        self._geometry_key: tuple[int, int, int] | None = None
        self._geometry_cached: _Geometry | None = None
        self.strips_rendered = 0
        """Trade lines rendered so far (cache misses; tests and benchmarks read it)."""

    # ------------------------------------------------------------------ feeding

    def set_pair(self, pair: PairInfo) -> None:
        """Drop the previous pair's trades at once."""
        self._pair = pair
        self._trades = []
        self._ids = set()
        self._loaded = False
        self._waiting_text = f"waiting for {pair.name} trades…"
        self._strips.clear()
        self._version += 1
        self.refresh()

    def add_trades(self, trades: Iterable[PublicTrade]) -> int:
        """Add the trades not seen yet (other pairs' are ignored); returns how many."""
        pair = self._pair.name if self._pair else None
        new = [t for t in trades if t.id not in self._ids and (pair is None or t.pair == pair)]
        first_answer = not self._loaded
        self._loaded = True
        if not new:
            if first_answer:
                self.refresh()  # "no trades yet"
            return 0
        merged = sorted((*new, *self._trades), key=_newest_first)
        dropped = merged[self.max_trades :]
        self._trades = merged[: self.max_trades]
        self._ids.update(t.id for t in new)
        self._ids.difference_update(t.id for t in dropped)
        self._version += 1
        self.refresh()
        return len(new)

    @property
    def trades(self) -> list[PublicTrade]:
        """Trades held, newest first."""
        return self._trades

    # ------------------------------------------------------------------ layout

    def visible_trades(self) -> list[PublicTrade]:
        """Trades on screen, top first (the header takes the first line)."""
        return self._trades[: max(0, self.size.height - 1)]

    def row_texts(self) -> list[str]:
        """Plain text of the visible lines (for tests)."""
        return [self.render_line(y).text for y in range(self.size.height)]

    def _geometry(self, width: int) -> _Geometry:
        key = (self._version, width, self.size.height)
        if self._geometry_key != key:
            self._geometry_cached = self._compute_geometry(width)
            self._geometry_key = key
        assert self._geometry_cached is not None
        return self._geometry_cached

    def _compute_geometry(self, width: int) -> _Geometry:
        pp, ap = self._precisions()
        shown = self.visible_trades()
        price_width = max((len(format_decimal(t.price, pp)) for t in shown), default=5)
        amount_width = max((len(format_decimal(t.amount, ap)) for t in shown), default=6)
        show_time = width >= 10 + 1 + price_width + 1 + amount_width  # time, mark, price, gap
        return _Geometry(width, max(price_width, 5), max(amount_width, 6), show_time)

    def _precisions(self) -> tuple[int, int]:
        if self._pair is None:
            return 8, 8
        return self._pair.price_precision, self._pair.amount_precision

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        """Theme or CSS changed: cached strips carry old colours."""
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        """Header on line 0, then one trade per line."""
        width = self.size.width
        base = self.rich_style
        if not self._trades:
            text = "no trades yet" if self._loaded else self._waiting_text
            return message_line(self, y, text, base + self._fg("trade-tape--message"))
        geometry = self._geometry(width)
        if y == 0:
            return self._header(geometry, base)
        index = y - 1
        if index >= len(self._trades):
            return Strip.blank(width, base)
        trade = self._trades[index]
        return self._strips.get((trade.id, geometry),
                                lambda: self._render_trade(trade, geometry, base))

    def _fg(self, name: str) -> Style:
        return component_fg(self, name)

    def _header(self, g: _Geometry, base: Style) -> Strip:
        quote = self._pair.quote if self._pair else ""
        base_ccy = self._pair.base if self._pair else ""
        line = [" "] * g.width
        if g.show_time:
            _put(line, 0, "Time")
        # titles with their currencies when they fit, at least one space apart
        price_x = g.price_start + 1
        for price, amount in ((f"Price {quote}".strip(), f"Amount {base_ccy}".strip()),
                              (f"Price {quote}".strip(), "Amount"), ("Price", "Amount")):
            if price_x + len(price) < g.width - len(amount):
                break
        _put(line, price_x, price)
        _put(line, g.width - len(amount), amount)
        style = base + self._fg("trade-tape--header")
        return Strip([Segment("".join(line), style)], g.width)

    def _render_trade(self, trade: PublicTrade, g: _Geometry, base: Style) -> Strip:
        self.strips_rendered += 1
        pp, ap = self._precisions()
        side = self._fg("trade-tape--buy" if trade.is_buy else "trade-tape--sell")
        price = f"{BUY_MARK if trade.is_buy else SELL_MARK}{format_decimal(trade.price, pp)}"
        amount = format_decimal(trade.amount, ap)
        segments: list[Segment] = []
        x = 0
        if g.show_time:
            when = datetime.fromtimestamp(float(trade.timestamp)).strftime("%H:%M:%S")
            segments.append(Segment(f"{when}  ", base + self._fg("trade-tape--time")))
            x = 10
        segments.append(Segment(price, base + side))
        x += len(price)
        pad = max(1, g.width - x - len(amount))
        segments.append(Segment(" " * pad, base))
        segments.append(Segment(amount, base + side))
        return Strip(segments).crop(0, g.width).extend_cell_length(g.width, base)


def _newest_first(trade: PublicTrade) -> tuple[object, ...]:
    return (-trade.timestamp, -trade.id)


def _put(line: list[str], start: int, text: str) -> None:
    for i, ch in enumerate(text):
        x = start + i
        if 0 <= x < len(line):
            line[x] = ch
