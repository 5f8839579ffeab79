"""Balances per wallet and currency, valued in USDT, with what each margin wallet owes and
the net equity (assets − debt) as the total."""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from alp_tui.api.models import Balance, Loan, PairInfo, Ticker
from alp_tui.services.format import currency_places, format_decimal
from alp_tui.services.market import MarketService
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.account_display import AccountView
from alp_tui.ui.pane_inputs import UsesMarket
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.fit_columns import Column, FitsColumns, FittedTable, fit_pieces
from alp_tui.ui.panes.table_rows import cursor_row_key
from alp_tui.ui.widgets.displayed import displayed
from alp_tui.ui.widgets.lines import set_border_subtitle
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.static_text import set_static_text

COLUMNS = (Column("wallet", "Wallet", 0), Column("currency", "Currency", 0),
           Column("total", "Total", 0, right=True), Column("debt", "Debt", 1, right=True),
           Column("available", "Available", 2, right=True),
           Column("reserve", "Reserve", 4, right=True),
           Column("value", "Value USDT", 3, right=True))
"""Debt beside the total; in the strip the columns of higher rank go first when narrow."""
WALLET_LABELS = {"SPOT": "spot", "CROSS_MARGIN": "cross", "ISOLATED_MARGIN": "isolated"}
VALUE_CCY = "USDT"
_STABLE = {"USDT": Decimal(1)}
# The Value column follows the account's prices (the ones its total uses) at most this
# often on price moves alone, and at once with new amounts: a value redrawn redraws the
# whole table (~10 ms; every second it was a fifth of the dashboard's CPU at rest).
REVALUE_S = 10.0


class BalancesPane(FitsColumns, AccountView, UsesMarket, DataPane):
    """Topic ``balances`` (a list of :class:`Balance`), valued in USDT at the last prices
    of the market handed in with :meth:`use_market` (or given with :meth:`set_tickers`).
    :meth:`show_account` hands in the loans (the Debt column, debt per margin wallet) and
    the net equity (the total)."""

    topic = "balances"
    clock: Callable[[], float] = staticmethod(time.monotonic)

    BINDINGS = [
        Binding("z", "toggle_zero", "Hide zero", id="balances.toggle_zero",
                tooltip="Hide or show currencies with a zero balance"),
    ]

    def __init__(self, *, pairs: list[PairInfo] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hide_zero = True
        self._balances: list[Balance] = []
        self._read = False  # a first answer came: an empty list is then a real zero
        self._prices: dict[str, Decimal] = {}
        self._precision: dict[str, int] = {}
        self._pairs: dict[str, PairInfo] = {}
        self._table: FittedTable | None = None
        self._account: AccountSnapshot | None = None
        self._rates: dict[str, Decimal] = {}  # what the rows are valued at (the account's)
        self._valued_at = -math.inf
        self._market: MarketService | None = None
        self._total_due = False  # the total changed while the pane was not displayed
        if pairs:
            self.set_pairs(pairs)

    def compose(self) -> ComposeResult:
        """Status line with the portfolio total, then the table."""
        with Horizontal(classes="pane-bar"):
            yield PaneStatus("Balances")
            yield Static(id="balances-total", classes="pane-info")
        yield DataTable(id="balances-table", cursor_type="row", zebra_stripes=True)

    def fitted_tables(self) -> list[FittedTable]:
        """The balances table (columns fitted to the pane in the strip)."""
        if self._table is None and self.children:
            self._table = FittedTable(self.query_one("#balances-table", DataTable), COLUMNS,
                                      fitted=self.fit_columns, changed=operator.ne)
        return [self._table] if self._table is not None else []

    # --- inputs -----------------------------------------------------------------------

    def set_pair(self, pair: PairInfo) -> None:
        """Balances are account-wide; the pair only teaches us precisions."""
        super().set_pair(pair)
        self.set_pairs([pair])

    def set_pairs(self, pairs: list[PairInfo]) -> None:
        """Display precision per currency, learned from the pairs (all learned so far, by
        the same rule as the dialogs: a pair learned later may refine a currency)."""
        self._pairs.update((p.name, p) for p in pairs)
        self._precision = currency_places(self._pairs.values())

    def set_tickers(self, data: Any) -> None:
        """Prices for valuing holdings: a list of :class:`Ticker` or an object with
        ``tickers`` (and optionally ``pairs``)."""
        tickers = getattr(data, "tickers", data) or []
        pairs = getattr(data, "pairs", None)
        if pairs:
            self.set_pairs(list(pairs))
        prices: dict[str, Decimal] = {}
        for t in tickers:
            if not isinstance(t, Ticker) or not t.has_trades:
                continue
            base, _, quote = t.pair.partition("_")
            if quote == VALUE_CCY:
                prices[base] = t.last
            elif base == VALUE_CCY and t.last > 0:
                prices.setdefault(quote, 1 / t.last)
        traded = [t for t in tickers if isinstance(t, Ticker) and t.has_trades]
        for t in traded:  # a quote currency with no USDT pair, through a shared base:
            base, _, quote = t.pair.partition("_")  # USDC = BTC_USDT / BTC_USDC
            if quote not in prices and base in prices and t.last > 0 and quote != VALUE_CCY:
                prices[quote] = prices[base] / t.last
        for t in traded:  # e.g. X_USDC valued through USDC
            base, _, quote = t.pair.partition("_")
            if base not in prices and quote in prices:
                prices[base] = t.last * prices[quote]
        self._prices = prices
        self._render_rows()

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """The account: loans for the Debt column, net equity for the total, and the prices
        the total used for the Value column (at most every :data:`REVALUE_S` on price
        moves alone: a value redrawn redraws the whole table, ~10 ms)."""
        old = self._account
        self._account = snapshot
        revalued = (not self._rates or self.clock() - self._valued_at >= REVALUE_S) and \
            self._take_rates()
        if revalued or old is None or (old.loans, old.net_equity, old.known) != (
                snapshot.loans, snapshot.net_equity, snapshot.known):
            self._render_rows()

    def _take_rates(self) -> bool:
        """Value the rows at the account's prices of now; whether they changed."""
        account = self._account
        if account is None or not account.rates or account.quote != VALUE_CCY:
            return False
        self._valued_at = self.clock()
        if account.rates == self._rates:
            return False
        self._rates = dict(account.rates)
        return True

    def use_market(self, market: MarketService) -> None:
        """Value holdings at ``market``'s last prices (read with each new list)."""
        self._market = market

    def show_data(self, data: Any) -> None:
        """A fresh list of balances."""
        self._balances = [b for b in data if isinstance(b, Balance)]
        self._take_rates()  # new amounts: valued at the prices of now
        self._read = True
        market = self._market
        if market is not None and market.tickers:
            self.set_pairs(list(market.pairs.values()))
            self.set_tickers(list(market.tickers.values()))
            return
        self._render_rows()

    # --- rendering --------------------------------------------------------------------

    def value_of(self, balance: Balance) -> Decimal | None:
        """The balance's total in USDT, or None without a price: at the prices the account's
        total used (the rows add up to it, and move with it), else the pane's own."""
        price = self._rates.get(balance.currency)
        if price is None:
            price = _STABLE.get(balance.currency, self._prices.get(balance.currency))
        return None if price is None else balance.balance * price

    def portfolio_total(self) -> tuple[Decimal, int]:
        """Sum of valued balances in USDT (holdings only: debt is not in it) and how many
        could not be valued."""
        total, missing = Decimal(0), 0
        for b in self._balances:
            value = self.value_of(b)
            if value is None:
                missing += b.balance != 0
            else:
                total += value
        return total, missing

    def debts(self) -> dict[str, Decimal]:
        """What each wallet owes per currency (borrowed + interest), keyed like the rows:
        ``"CROSS_MARGIN:USDT"``, ``"ISOLATED_MARGIN BTC_USDT:USDT"``."""
        owed: dict[str, Decimal] = {}
        for loan in self._account.loans if self._account is not None else ():
            key = f"{_wallet_name(loan)}:{loan.currency}"
            owed[key] = owed.get(key, Decimal(0)) + loan.borrowed + loan.interest
        return owed

    def _render_rows(self) -> None:
        if not self.is_mounted:
            return
        table = self.fitted_tables()[0]
        debts = self.debts()
        wanted: dict[str, tuple[str, ...]] = {}
        rows = sorted(self._balances, key=lambda b: (b.wallet_type.value, -(self.value_of(b)
                      or Decimal(0)), b.currency))
        for b in rows:
            wallet = _wallet_name(b)
            key = f"{wallet}:{b.currency}"
            debt = debts.pop(key, None)
            if self.hide_zero and b.balance == 0 and b.reserve == 0 and not debt:
                continue
            prec = self._precision.get(b.currency, 8)
            # what is held rounds down and what is owed up: never more than is there
            wanted[key] = (_wallet_label(wallet), b.currency, _held(b.balance, prec),
                           format_decimal(debt, prec, rounding=ROUND_UP) if debt else "",
                           _held(b.available, prec), _held(b.reserve, prec),
                           _held(self.value_of(b), 2))
        for key, debt in debts.items():  # owed in a currency the wallet holds none of
            wallet, _, currency = key.rpartition(":")
            prec = self._precision.get(currency, 8)
            zero = format_decimal(Decimal(0), prec)
            wanted[key] = (_wallet_label(wallet), currency, zero,
                           format_decimal(debt, prec, rounding=ROUND_UP),
                           zero, zero, format_decimal(Decimal(0), 2))
        table.show(wanted)
        self._show_total()

    def _show_total(self) -> None:
        if not displayed(self):
            # a tab not open: drawn when it is (on_show). Repainting a widget that is not
            # on screen makes Textual rebuild its map of the whole screen (~5 ms), and the
            # total moves with every price.
            self._total_due = True
            return
        self._total_due = False
        hint = Text(f"z {'show' if self.hide_zero else 'hide'} zero", style="dim")
        info = self.query_one("#balances-total", Static)
        if not self.fit_columns:  # the tab: as many whole pieces as the bar has room for
            bar, status = self.query_one(".pane-bar"), self.query_one(PaneStatus)
            least = status.styles.min_width  # the status keeps this much; the rest is ours
            room = bar.size.width - int(least.value if least else 0) - 2  # our padding
            pieces = [*self.total_pieces(), Text("  · ", style="dim") + hint]
            set_static_text(info, fit_pieces(pieces, room if room > 0 else None))
            return
        # the strip: beside the status there is room for the hint only; the total goes in
        # the bottom border, in whole words (a number is never cut)
        set_static_text(info, hint)
        # (the bottom border line alone is repainted: the total moves with every price)
        set_border_subtitle(self, fit_pieces(self.total_pieces(), self.size.width - 4).markup)

    def on_show(self) -> None:
        """The tab was opened: the total as it is now."""
        if self._total_due:
            self._show_total()

    def fit_to_width(self) -> None:
        """The columns and the total line, again for the pane's new width."""
        super().fit_to_width()
        if self.is_mounted:
            self._show_total()

    def total_text(self) -> Text:
        """The status bar's total: net equity (assets − debt) once the account is known,
        with what each margin wallet owes; else the valued holdings."""
        return Text("").join(self.total_pieces())

    def total_pieces(self) -> list[Text]:
        """:meth:`total_text` in pieces, most important first (the strip's border shows
        the pieces that fit, each whole)."""
        snap = self._account
        if not self._read and (snap is None or "balances" not in snap.known):
            return [Text("Assets: balances not read yet", style="dim")]  # never a 0.00
        if snap is None or snap.net_equity is None or "loans" not in snap.known:
            total, missing = self.portfolio_total()
            pieces = [Text(f"Assets ≈ {format_decimal(total, 2)} {VALUE_CCY}", style="bold")]
            if missing:
                pieces.append(Text(f"  ({missing} without a price)", style="dim"))
            if snap is None or "loans" not in snap.known:
                pieces.append(Text("  debt not read yet", style="dim"))
            return pieces
        quote = snap.quote
        pieces = [Text(f"Net equity ≈ {format_decimal(snap.net_equity, 2)} {quote}",
                       style="bold")]
        if snap.debt:
            pieces.append(Text.assemble((" · debt ", "dim"),
                                        (format_decimal(snap.debt, 2), "red")))
            owed = [(k.label, p.debt_usdt) for k, p in snap.positions.items() if p.debt_usdt]
            if owed:
                pieces.append(Text(" (" + ", ".join(f"{label} {format_decimal(v, 2)}"
                                                    for label, v in sorted(owed)) + ")",
                                   style="dim"))
            assets = snap.assets if snap.assets is not None else Decimal(0)
            pieces.append(Text(f" · assets {format_decimal(assets, 2)}", style="dim"))
        if snap.unpriced:
            pieces.append(Text(f"  ({', '.join(snap.unpriced)} without a price)", style="dim"))
        return pieces

    @property
    def balances(self) -> list[Balance]:
        """The latest balances shown."""
        return list(self._balances)

    def selected_currency(self) -> str | None:
        """The currency of the row under the cursor."""
        if self._table is None or not self._table.rows:
            return None
        key = cursor_row_key(self.query_one("#balances-table", DataTable))
        return key.rpartition(":")[2] if key else None

    def available_of(self, currency: str, wallet: str = "SPOT") -> Decimal | None:
        """Available ``currency`` in ``wallet`` (None when balances are not loaded)."""
        if not self._balances:
            return None
        return sum((b.available for b in self._balances
                    if b.currency == currency and b.wallet_type.value == wallet), Decimal(0))

    def action_toggle_zero(self) -> None:
        """Hide or show zero balances."""
        self.hide_zero = not self.hide_zero
        self._render_rows()


def _wallet_name(item: Balance | Loan) -> str:
    """``SPOT``, ``CROSS_MARGIN`` or ``ISOLATED_MARGIN BTC_USDT``, as the Wallet column."""
    return item.wallet_type.value + (f" {item.pair}" if item.pair else "")


def _wallet_label(wallet: str) -> str:
    """``isolated BTC_USDT`` for ``ISOLATED_MARGIN BTC_USDT`` (the row key keeps the wire name)."""
    kind, _, pair = wallet.partition(" ")
    return f"{WALLET_LABELS.get(kind, kind)} {pair}".strip()


def _held(amount: Decimal | None, places: int) -> str:
    """An amount held (or its value), rounded down to ``places``."""
    return format_decimal(amount, places, rounding=ROUND_DOWN)
