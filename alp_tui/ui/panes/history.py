"""History tabs: orders, account trades, operations, deposits, withdrawals and the journal.

Each tab shows a 30-day window (``[`` back, ``]`` forward), filtered by pair or currency
(``f``), reloaded with ``r`` and exported as shown with ``e``. Data comes through the
trading service in a worker; an answer for a window or filter no longer shown is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from alp_tui.api.models import PairInfo
from alp_tui.services.csv_export import export_rows
from alp_tui.services.format import currency_places, format_decimal, format_exact
from alp_tui.services.market import MarketService
from alp_tui.services.trading import TradingService, describe_error
from alp_tui.ui.pane_inputs import UsesMarket, UsesTrading
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.widgets.pane_status import PaneStatus

WINDOW = timedelta(days=30)
LATEST_SLACK = timedelta(minutes=1)

TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": ("Orders", ("Time", "Pair", "Side", "Type", "Price", "Amount", "Filled",
                          "Status", "Id")),
    "trades": ("Trades", ("Time", "Pair", "Side", "Price", "Amount", "Fee", "Fee ccy",
                          "Role")),
    "activity": ("Operations", ("Time", "Type", "Currency", "Wallet", "Change", "Balance",
                                "Reserve change")),
    "deposits": ("Deposits", ("Time", "Currency", "Amount", "Status", "Tx")),
    "withdrawals": ("Withdrawals", ("Time", "Currency", "Amount", "Fee", "Status", "Tx")),
    "journal": ("Journal", ("Time", "Kind", "Request", "State", "Result")),
}
PAIR_FILTERED = ("orders", "trades")


def _t(value: datetime | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, tz=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _sent(request: dict[str, Any]) -> str:
    """A journaled request as it was sent, amounts and prices exact but grouped
    (``amount=1,000.123456 limit_price=80,000``); ids and words as they are."""
    return " ".join(f"{key}={_grouped(value) if _is_money(key) else value}"
                    for key, value in request.items())


def _is_money(key: str) -> bool:
    return "amount" in key or "price" in key


def _grouped(value: Any) -> str:
    try:
        return format_exact(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)  # not a number (an older entry's word): as written


def _d(value: Decimal | None) -> str:
    """A currency amount on the exchange's 8-decimal grid, with separators, no trailing
    zeros (fees, balance changes, deposits, withdrawals)."""
    return "" if value is None else format_exact(value)


def _plain(cell: str) -> str:
    """A number as a CSV cell: without thousands separators, so the file parses back."""
    bare = cell.replace(",", "")
    return bare if "," in cell and _is_number(bare) else cell


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _side(side: Any) -> str:
    return getattr(side, "word", "") if side is not None else ""


class Money:
    """Formats prices and amounts at a pair's precision when the pair is known."""

    def __init__(self, pairs: dict[str, PairInfo], *, exact: bool = False) -> None:
        self.pairs = pairs
        # exact: currency amounts as the exchange gave them (a CSV export keeps every digit)
        self.places = {} if exact else currency_places(pairs.values())

    def of(self, currency: str | None, value: Decimal | None) -> str:
        """An amount of ``currency`` at its display precision (fees, balance changes,
        deposits, withdrawals); exact when no pair lists the currency."""
        places = self.places.get(currency or "")
        if places is None or value is None:
            return _d(value)
        return format_decimal(value, places)

    def fee(self, currency: str | None, value: Decimal | None) -> str:
        """A fee, as :meth:`of` but rounded up: what it cost is never shown less."""
        places = self.places.get(currency or "")
        if places is None or value is None:
            return _d(value)
        return format_decimal(value, places, rounding=ROUND_UP)

    def price(self, pair: str, value: Decimal | None) -> str:
        """A price at the pair's price precision (exact text if the pair is unknown)."""
        info = self.pairs.get(pair)
        if info is None or value is None:
            return _d(value)
        return format_decimal(value, info.price_precision)

    def amount(self, pair: str, value: Decimal | None) -> str:
        """A base amount at the pair's amount precision."""
        info = self.pairs.get(pair)
        if info is None or value is None:
            return _d(value)
        return format_decimal(value, info.amount_precision)


def row_for(kind: str, item: Any, m: Money) -> tuple[str, ...]:
    """One table row of ``kind`` for ``item``."""
    if kind == "orders":
        return (_t(item.date or item.open_at), item.pair, _side(item.side), item.type.value,
                m.price(item.pair, item.price), m.amount(item.pair, item.amount),
                m.amount(item.pair, item.amount_filled), item.status.value, str(item.id))
    if kind == "trades":
        return (_t(item.date), item.pair, _side(item.side), m.price(item.pair, item.price),
                m.amount(item.pair, item.amount), m.fee(item.fee_currency, item.fee_amount),
                item.fee_currency or "",
                "maker" if item.is_maker else "taker")
    if kind == "activity":
        c = item.currency
        return (_t(item.date), item.type, c, item.wallet_type.value,
                m.of(c, item.balance_delta), m.of(c, item.balance_end),
                m.of(c, item.reserve_delta))
    if kind == "deposits":
        return (_t(item.date), item.currency, m.of(item.currency, item.amount),
                item.status.value,
                item.tx_hash or "")
    if kind == "withdrawals":
        return (_t(item.date), item.currency, m.of(item.currency, item.amount),
                m.fee(item.fee_currency or item.currency, item.fee_amount),
                item.status.value, item.tx_hash or "")
    if kind == "journal":
        result = item.error or ("" if item.response is None else str(item.response))
        return (_t(item.ts), item.kind, _sent(item.request), item.state.value, result[:120])
    raise ValueError(f"unknown history kind {kind!r}")


class HistoryPane(UsesMarket, UsesTrading, DataPane):
    """Topic ``history`` (the selected pair's recent orders) plus on-demand tabs, loaded
    through the trading service handed in (constructor or :meth:`use_trading`); prices and
    amounts at the precisions of the market handed in with :meth:`use_market`."""

    topic = "history"

    BINDINGS = [
        Binding("left_square_bracket", "window(-1)", "30 days back", id="history.back",
                tooltip="Show the 30 days before the current window"),
        Binding("right_square_bracket", "window(1)", "30 days on", id="history.forward",
                tooltip="Show the next 30 days (up to now)"),
        Binding("f", "filter", "Filter", id="history.filter",
                tooltip="Filter by pair (orders, trades) or currency (others)"),
        Binding("r", "reload", "Reload", id="history.reload", tooltip="Fetch this tab again"),
        Binding("e", "export", "Export CSV", id="history.export",
                tooltip="Write the rows shown to a CSV file"),
    ]

    def __init__(self, service: TradingService | None = None, *,
                 export_dir: str | None = None, now: Callable[[], datetime] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.export_dir = export_dir
        self._market: MarketService | None = None
        self._now = now or (lambda: datetime.now(tz=UTC))
        self.window_end: datetime | None = None  # None: the latest 30 days, ending now
        self.filters: dict[str, str] = {}
        self._shown: dict[str, list[tuple[str, ...]]] = {k: [] for k in TABS}
        self._exact: dict[str, list[tuple[str, ...]]] = {}  # the shown rows, amounts exact
        self._token: dict[str, tuple[Any, ...]] = {}

    def compose(self) -> ComposeResult:
        """Status line with the window, a filter box, and one table per tab."""
        with Horizontal(classes="pane-bar"):
            yield PaneStatus("History")
            yield Static(id="history-info", classes="pane-info")
        filter_box = Input(placeholder="filter: pair or currency, Enter to apply",
                           id="history-filter")
        filter_box.display = False
        yield filter_box
        with TabbedContent(id="history-tabs", initial="hist-orders"):
            for kind, (title, columns) in TABS.items():
                with TabPane(title, id=f"hist-{kind}"):
                    table: DataTable[Any] = DataTable(id=f"hist-table-{kind}",
                                                      cursor_type="row", zebra_stripes=True)
                    table.add_columns(*columns)
                    yield table
        yield Static(id="history-result", classes="pane-result")

    def on_mount(self) -> None:
        """Show the window."""
        self._refresh_info()

    # --- helpers ----------------------------------------------------------------------

    @property
    def active_kind(self) -> str:
        """The tab shown."""
        active = self.query_one("#history-tabs", TabbedContent).active or "hist-orders"
        return active.removeprefix("hist-")

    def window(self) -> tuple[datetime, datetime]:
        """The [start, end) shown."""
        if self.window_end is not None:
            return self.window_end - WINDOW, self.window_end
        # The latest window reaches a minute past now: the wire's times are whole seconds,
        # and what happened this very second must not fall outside it.
        end = self._now() + LATEST_SLACK
        return end - WINDOW, end

    def use_trading(self, service: TradingService | None) -> None:
        """Load the tabs through ``service`` (None: no keys; the tabs say so)."""
        self.service = service

    def use_market(self, market: MarketService) -> None:
        """Format every pair's prices and amounts at ``market``'s precisions."""
        self._market = market

    def _service(self) -> TradingService | None:
        return self.service

    def _money(self) -> Money:
        pairs: dict[str, PairInfo] = {}
        if self._market is not None:
            pairs.update(self._market.pairs)
        if self.pair is not None:
            pairs.setdefault(self.pair.name, self.pair)
        return Money(pairs)

    def _refresh_info(self) -> None:
        start, end = self.window()
        kind = self.active_kind
        filt = self.filters.get(kind, "")
        latest = " (latest)" if self.window_end is None else ""
        text = f"{start:%Y-%m-%d} → {end:%Y-%m-%d}{latest}"
        if filt:
            text += f" · {filt}"
        text += f" · {len(self._shown.get(kind, []))} rows · [ ] window · f filter · e export"
        self.query_one("#history-info", Static).update(text)

    def _result(self, text: str | Text) -> None:
        self.query_one("#history-result", Static).update(text)
        self.query_one("#history-result", Static).display = bool(str(text))

    def _fill(self, kind: str, rows: list[tuple[str, ...]]) -> None:
        table = self.query_one(f"#hist-table-{kind}", DataTable)
        if rows == self._shown.get(kind):
            return
        table.clear()
        table.add_rows(rows)
        self._shown[kind] = rows
        self._exact.pop(kind, None)
        self._refresh_info()

    # --- DataPane contract ------------------------------------------------------------

    def set_pair(self, pair: PairInfo) -> None:
        """The orders tab follows the selected pair unless filtered otherwise."""
        changed = self.pair is None or self.pair.name != pair.name
        super().set_pair(pair)
        if changed and not self.filters.get("orders"):
            self._fill("orders", [])

    def show_data(self, data: Any) -> None:
        """The feed's latest orders of the selected pair: shown in the orders tab when it
        shows the latest window with no other filter."""
        if self.window_end is not None or self.filters.get("orders"):
            return
        money = self._money()
        rows = [row_for("orders", o, money)
                for o in sorted(data, key=lambda o: o.id, reverse=True)]
        self._fill("orders", rows)

    # --- loading ----------------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#history-tabs")
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        self._refresh_info()
        if self.active_kind != "orders" or self.window_end is not None:
            self.load(self.active_kind)

    def load(self, kind: str) -> None:
        """Fetch ``kind`` for the current window and filter."""
        start, end = self.window()
        filt = self.filters.get(kind, "") or None
        if kind == "orders" and filt is None and self.pair is not None:
            filt = self.pair.name
        token = (start, end, filt)
        self._token[kind] = token
        if kind == "journal":
            self._load_journal(token)
            return
        service = self._service()
        if service is None:
            self._result(Text("History needs an API key and secret in the config.",
                              style="yellow"))
            return
        self._result(Text(f"Loading {TABS[kind][0].lower()}…", style="cyan"))
        self._load_worker(kind, token)

    @work(group="history", exit_on_error=False)
    async def _load_worker(self, kind: str, token: tuple[Any, ...]) -> None:
        service = self._service()
        assert service is not None
        start, end, filt = token
        pair = filt if kind in PAIR_FILTERED else None
        currency = filt if kind not in PAIR_FILTERED else None
        try:
            items = await service.history(kind, start, end, pair=pair, currency=currency)
        except Exception as exc:
            if self._token.get(kind) == token:
                self._result(Text(f"Could not load: {describe_error(exc)}", style="red"))
            return
        if self._token.get(kind) != token:
            return  # the window or filter moved on while this was loading
        money, exact = self._money(), Money(self._money().pairs, exact=True)
        both = sorted(((row_for(kind, item, money), row_for(kind, item, exact))
                       for item in items), key=lambda r: r[0][0], reverse=True)
        self._fill(kind, [shown for shown, _ in both])
        self._exact[kind] = [row for _, row in both]
        self._result("")

    def _load_journal(self, token: tuple[Any, ...]) -> None:
        service = self._service()
        if service is None:
            self._fill("journal", [])
            return
        self._journal_worker(service, token)

    @work(group="history-journal", exclusive=True, exit_on_error=False)
    async def _journal_worker(self, service: TradingService, token: tuple[Any, ...]) -> None:
        # A SQLite read off the UI thread: 30 days of a busy journal (5,000 entries) took
        # ~95 ms to read and lay out, a frozen screen on each tab switch or window move.
        start, end, filt = token
        money = self._money()

        def read() -> list[tuple[str, ...]]:
            entries = service.journal.entries(since=start.timestamp(),
                                              until=end.timestamp())
            rows = [row_for("journal", e, money) for e in entries]
            return [r for r in rows if filt.upper() in r[2].upper()] if filt else rows

        try:
            rows = await asyncio.to_thread(read)
        except Exception as exc:  # a journal that cannot be read: said, not a crash
            if self._token.get("journal") == token:
                self._result(Text(f"Could not read the journal: {exc}", style="red"))
            return
        if self._token.get("journal") == token:  # not moved on while reading
            self._fill("journal", rows)

    # --- actions ----------------------------------------------------------------------

    def action_window(self, step: int) -> None:
        """Move the window 30 days back or forward (never past now)."""
        now = self._now()
        end = (self.window_end or now + LATEST_SLACK) + WINDOW * step
        self.window_end = None if end >= now else end
        self._refresh_info()
        self.load(self.active_kind)

    def action_reload(self) -> None:
        """Fetch the shown tab again."""
        self.load(self.active_kind)

    def action_filter(self) -> None:
        """Show the filter box for the shown tab."""
        box = self.query_one("#history-filter", Input)
        box.value = self.filters.get(self.active_kind, "")
        box.display = True
        box.focus()

    @on(Input.Submitted, "#history-filter")
    def _filter_set(self, event: Input.Submitted) -> None:
        event.stop()
        kind = self.active_kind
        value = event.value.strip().upper().replace("/", "_")
        if value:
            self.filters[kind] = value
        else:
            self.filters.pop(kind, None)
        event.input.display = False
        self.query_one(f"#hist-table-{kind}", DataTable).focus()
        self._refresh_info()
        self.load(kind)

    def action_export(self) -> None:
        """Write the shown rows of the active tab to CSV."""
        kind = self.active_kind
        rows = self._exact.get(kind) or self._shown.get(kind, [])
        plain = [tuple(_plain(cell) for cell in row) for row in rows]
        try:
            path = export_rows(f"{kind}", TABS[kind][1], plain, directory=self.export_dir)
        except OSError as exc:
            self._result(Text(f"Export failed: {exc.strerror or exc}", style="red"))
            return
        self._result(Text(f"Exported {len(rows)} rows to {path}", style="green"))
