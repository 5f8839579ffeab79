"""The margin pane: loans, margin level per wallet, distance to liquidation, margin actions.

It draws the session's :class:`~alp_tui.session.events.AccountSnapshot` handed in (levels,
bands, positions, liquidation distances): the same numbers as the header's margin chip,
worked out once, by the session.

Margin alerts are the session's (``alp_tui.session.alerts``): they fire whatever tab is open
and reach the screen through ``ui/alert_delivery.py``; this pane only dismisses their banner.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Loan, PairInfo
from alp_tui.services.format import (
    currency_places,
    format_decimal,
    format_exact,
    format_percent,
)
from alp_tui.services.margin import (
    MarginActionResult,
    MarginService,
    MarginSnapshot,
    WalletPosition,
)
from alp_tui.services.margin_alerts import MarginBand, MarginThresholds, WalletKey
from alp_tui.services.market import MarketService
from alp_tui.services.trading import AccountChange
from alp_tui.session.account import AccountState
from alp_tui.session.actions import ActionPort
from alp_tui.session.events import AccountSnapshot, WalletLevel
from alp_tui.ui.account_display import AccountView
from alp_tui.ui.modals.borrow import BorrowModal
from alp_tui.ui.modals.close_position import ClosePositionModal
from alp_tui.ui.modals.margin_transfer import MarginTransferModal
from alp_tui.ui.modals.repay import RepayModal
from alp_tui.ui.pane_inputs import UsesActions, UsesMargin, UsesMarket
from alp_tui.ui.panes.base import DataPane
from alp_tui.ui.panes.fit_columns import Column, FitsColumns, FittedTable, fit_pieces
from alp_tui.ui.trading_messages import AccountChanged
from alp_tui.ui.widgets.alert_banner import AlertBanner
from alp_tui.ui.widgets.pane_status import PaneStatus
from alp_tui.ui.widgets.static_text import set_static_text

BAND_STYLE: dict[MarginBand, str] = {
    MarginBand.SAFE: "bold green",
    MarginBand.WARNING: "bold yellow",
    MarginBand.DANGER: "bold white on red",
    MarginBand.NO_DEBT: "dim",
}

GAUGE_WIDTH = 12
LOAN_COLUMNS = (Column("wallet", "Wallet", 0), Column("pair", "Pair", 1),
                Column("currency", "Currency", 0), Column("borrowed", "Borrowed", 2, right=True),
                Column("interest", "Interest", 3, right=True),
                Column("owed", "Owed", 0, right=True))
"""In the strip the columns of higher rank go first when narrow (what is owed stays)."""


class MarginPane(FitsColumns, UsesMargin, UsesMarket, UsesActions, AccountView, DataPane):
    """Loans of the cross and isolated wallets, each wallet's margin level on a colour
    scale (safe / warning / near liquidation), and for the selected pair the price that
    would trigger liquidation.

    Draws the session's account snapshot handed in (:meth:`show_account`). Built alone
    (tests), it is fed the ``margin`` topic (a :class:`MarginSnapshot`, or a bare list of
    loans: levels then wait for balances) and works the snapshot out with the session's
    own :class:`AccountState`. The gauge is drawn against the ``[margin]`` lines handed
    in (:meth:`use_margin`); its forms send through the session's actions
    (:meth:`use_actions`).
    """

    topic: ClassVar[str] = "margin"

    BINDINGS = [
        Binding("t", "transfer", "Transfer", id="margin.transfer",
                tooltip="Move funds between spot and a margin wallet"),
        Binding("l", "borrow", "Borrow (loan)", id="margin.borrow",
                tooltip="Borrow in the cross or an isolated wallet"),
        Binding("r", "repay", "Repay", id="margin.repay",
                tooltip="Repay a loan (interest is paid first)"),
        Binding("x", "close_position", "Close position", id="margin.close_position",
                tooltip="Close a margin position: sell to cover and repay"),
        Binding("a", "ack_alerts", "Seen alerts", id="margin.ack_alerts",
                tooltip="Mark the margin alerts as seen and hide their banner"),
    ]

    class ActionDone(Message):
        """A margin action went through; balances and loans should refresh now."""

        def __init__(self, pane: MarginPane, result: MarginActionResult) -> None:
            super().__init__()
            self.pane = pane
            self.result = result

        @property
        def control(self) -> MarginPane:
            """The pane whose modal did it."""
            return self.pane

    def __init__(
        self,
        *,
        service: MarginService | None = None,
        thresholds: MarginThresholds | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._service = service
        self._thresholds = thresholds or MarginThresholds()
        self.account: AccountSnapshot | None = None
        self._from_session = False  # handed the session's snapshots: topic data is not drawn
        self._alone: AccountState | None = None  # built alone: the snapshot worked out here
        self._loans: FittedTable | None = None
        self._drawn: Any = None

    # --- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Status, levels, distance to liquidation, the loans table."""
        yield PaneStatus("Margin")
        yield Static("", id="margin-levels")
        yield Static("", id="margin-distance")
        table: DataTable[Any] = DataTable(id="margin-loans", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("No open loans.  t transfer · l borrow · r repay · x close",
                     id="margin-empty")

    def on_mount(self) -> None:
        """Draw what is known so far (the loans table gets its columns then)."""
        self._redraw()

    def fitted_tables(self) -> list[FittedTable]:
        """The loans table (columns fitted to the pane in the strip)."""
        if self._loans is None and self.children:
            self._loans = FittedTable(self.query_one("#margin-loans", DataTable), LOAN_COLUMNS,
                                      fitted=self.fit_columns)
        return [self._loans] if self._loans is not None else []

    def fit_to_width(self) -> None:
        """The loans' columns and the strip's level and distance lines, for the new width."""
        super().fit_to_width()
        if self.fit_columns and self.is_mounted:
            self._draw_levels()
            self._draw_distance()

    @property
    def thresholds(self) -> MarginThresholds:
        """The colour-scale lines in use (the ``[margin]`` section's)."""
        return self._thresholds

    def use_margin(self, service: MarginService | None, thresholds: MarginThresholds) -> None:
        """Act through ``service`` (None: no keys) and draw gauges with ``thresholds``."""
        self._service = service
        self._thresholds = thresholds
        if self.is_mounted:
            self._redraw()

    @property
    def snapshot(self) -> MarginSnapshot | None:
        """The margin reading behind what is shown (loans, balances, prices): the forms
        check and preview against it."""
        return self.account.margin if self.account is not None else None

    def use_actions(self, actions: ActionPort) -> None:
        """The forms send through ``actions`` (the session: it re-reads the account)."""
        self._actions = actions

    _actions: ActionPort | None = None

    def use_market(self, market: MarketService) -> None:
        """The market's pairs give the forms each currency's display precision."""
        self._market = market

    _market: MarketService | None = None

    def _places(self) -> dict[str, int]:
        """Display decimals per currency (none known before the market is handed in)."""
        return currency_places(self._market.pairs.values()) if self._market else {}

    # --- feed contract -----------------------------------------------------------------
    def set_pair(self, pair: PairInfo) -> None:
        """The distance line follows the selected pair (the session's next snapshot is
        for it; built alone, worked out here)."""
        super().set_pair(pair)
        if self._alone is not None and not self._from_session:
            self._alone.pair = pair.name
            self._show(self._alone.build())

    def show_account(self, snapshot: AccountSnapshot) -> None:
        """Draw the session's account: levels, bands, liquidation distances, loans."""
        self._from_session = True
        self._show(snapshot)

    def show_data(self, data: Any) -> None:
        """The ``margin`` topic: drawn only by a pane built alone (in the dashboard the
        session's snapshot that follows it is drawn). A :class:`MarginSnapshot`, or a list
        of loans (the last balances and prices are kept)."""
        if self._from_session:
            return
        state = self._alone
        if state is None:
            state = self._alone = AccountState(self._thresholds)
        state.thresholds = self._thresholds
        state.pair = self.pair.name if self.pair else ""
        if isinstance(data, MarginSnapshot):
            state.set_margin(data)
        elif isinstance(data, Sequence):
            state.set_loans(x for x in data if isinstance(x, Loan))
        else:
            return
        self._show(state.build())

    def _show(self, account: AccountSnapshot) -> None:
        self.account = account
        drawn = (account.levels, tuple(account.positions.values()), account.liquidation,
                 account.loans, account.pair, account.margin is not None
                 and account.margin.complete)
        if drawn == self._drawn or not self.is_mounted:
            return
        self._drawn = drawn
        self._redraw()

    # --- rendering ---------------------------------------------------------------------
    def _redraw(self) -> None:
        self._draw_levels()
        self._draw_distance()
        self._draw_loans()

    def _draw_levels(self) -> None:
        widget = self.query_one("#margin-levels", Static)
        account, snap = self.account, self.snapshot
        if account is None or snap is None:
            set_static_text(widget, Text("Margin level: waiting for data…", style="dim"))
            return
        if not snap.complete:
            set_static_text(widget, Text("Margin level: waiting for balances and prices…",
                                         style="dim"))
            return
        rows = [(w, account.positions[w.wallet]) for w in account.levels
                if w.wallet in account.positions]
        if not rows:
            set_static_text(widget, Text("No margin wallets in use.", style="dim"))
            return
        text = Text()
        if self.fit_columns:  # the strip: a line per wallet, whole pieces, no legend
            width = widget.content_region.width or None
            label = max(len(w.wallet.label) for w, _ in rows)
            set_static_text(widget, Text("\n").join(
                fit_pieces(self.short_level_pieces(w, pos, label), width) for w, pos in rows))
            return
        for wallet, pos in rows:
            text.append_text(self.level_line(wallet, pos))
            text.append("\n")
        t = self.thresholds
        text.append(f"safe ≥ {t.warning} · warning < {t.warning} · near liquidation < "
                    f"{t.danger} · the exchange liquidates below {t.liquidation}",
                    style="dim")
        set_static_text(widget, text)

    def level_line(self, wallet: WalletLevel, pos: WalletPosition) -> Text:
        """``cross  1.482  WARNING  assets 3,000.00  debt 2,024.00 USDT``: the session's
        level and band for the wallet, its position's assets and debt."""
        band = wallet.band
        text = Text()
        text.append(f"{wallet.wallet.label:<22}", style="bold")
        text.append(f" {level_text(wallet.level):>8} ", style=BAND_STYLE[band])
        text.append(" ")
        text.append_text(self.gauge(wallet.level, band=band))
        text.append(f" {band.value.upper():<17}", style=BAND_STYLE[band])
        text.append(f" assets {format_decimal(pos.assets_usdt, 2)}"
                    f"  debt {format_decimal(pos.debt_usdt, 2)} USDT")
        if pos.unpriced:
            text.append(f"  (no price for {', '.join(pos.unpriced)})", style="italic dim")
        if wallet.updating:
            text.append("  updating…", style="italic dim")
        return text

    def short_level_pieces(self, wallet: WalletLevel, pos: WalletPosition,
                           label: int) -> list[Text]:
        """``cross  2.096 ███░░░ SAFE``, `` debt 4,563.14``: the strip's line for a wallet,
        in pieces (the debt shows when it fits)."""
        band = wallet.band
        head = Text.assemble((f"{wallet.wallet.label:<{label}} ", "bold"),
                             (level_text(wallet.level), BAND_STYLE[band]), " ",
                             self.gauge(wallet.level, 6, band=band),
                             " ", (band.value.upper(), BAND_STYLE[band]))
        return [head, Text(f" debt {format_decimal(pos.debt_usdt, 2)}")]

    def gauge(self, level: Decimal | None, width: int = GAUGE_WIDTH, *,
              band: MarginBand = MarginBand.NO_DEBT) -> Text:
        """A bar from the liquidation line (empty) to twice the warning line (full),
        coloured by ``band``: the further from liquidation, the longer and greener."""
        t = self.thresholds
        if level is None:
            return Text("·" * width, style="dim")
        top = t.warning * 2
        share = (level - t.liquidation) / (top - t.liquidation)
        filled = int(max(Decimal(0), min(Decimal(1), share)) * width)
        colour = {MarginBand.SAFE: "green", MarginBand.WARNING: "yellow",
                  MarginBand.DANGER: "red"}.get(band, "dim")
        return Text.assemble(("█" * filled, colour), ("░" * (width - filled), "dim"))

    def _draw_distance(self) -> None:
        widget = self.query_one("#margin-distance", Static)
        account, snap = self.account, self.snapshot
        if account is None or snap is None or not snap.complete or not account.pair:
            set_static_text(widget, "")
            return
        dists = account.liquidation  # the session's, for its selected pair
        if not dists:
            set_static_text(widget, Text(f"{account.pair}: no liquidation price "
                                         "(no margin exposure to this pair)", style="dim"))
            return
        text = Text()
        places = self._price_places(account.pair)
        if self.fit_columns:  # the strip: a line per wallet, whole pieces
            width = widget.content_region.width or None
            set_static_text(widget, Text("\n").join(fit_pieces([
                Text(f"{d.wallet.label}: liquidation ", style="bold"),
                Text(f"{'≤' if d.side.value == 'falls' else '≥'} "),
                Text(format_decimal(d.liquidation_price, places),
                     style="bold red" if d.percent < 10 else "bold"),
                Text(f" ({'−' if d.side.value == 'falls' else '+'}"
                     f"{format_percent(d.percent, 1)})",
                     style="red" if d.percent < 10 else "")], width) for d in dists))
            return
        for i, d in enumerate(dists):
            if i:
                text.append("\n")
            sign = "−" if d.side.value == "falls" else "+"
            near = d.percent < 10
            text.append(f"{d.wallet.label}: ", style="bold")
            text.append(f"liquidation if {d.pair} {d.side.value} to ")
            text.append(format_decimal(d.liquidation_price, places),
                        style="bold red" if near else "bold")
            text.append(f"  ({sign}{format_decimal(d.distance, places)}, "
                        f"{sign}{format_percent(d.percent, 1)})", style="red" if near else "")
        set_static_text(widget, text)

    def _price_places(self, pair: str) -> int:
        """The pair's price precision (8 until the pair is known)."""
        if self.pair is not None and self.pair.name == pair:
            return self.pair.price_precision
        info = self._market.pairs.get(pair) if self._market else None
        return info.price_precision if info is not None else 8

    def _draw_loans(self) -> None:
        loans = self.account.loans if self.account else ()
        places = self._places()
        self.fitted_tables()[0].show({
            str(loan.id): ("cross" if loan.wallet_type is WalletType.CROSS_MARGIN
                           else "isolated", loan.pair or "", loan.currency,
                           _amount(loan.borrowed, places.get(loan.currency)),
                           _amount(loan.interest, places.get(loan.currency), ROUND_UP),
                           _amount(loan.borrowed + loan.interest, places.get(loan.currency),
                                   ROUND_UP))  # what is owed: paying it clears the loan
            for loan in loans})
        self.query_one("#margin-empty", Static).display = not loans

    # --- alerts ------------------------------------------------------------------------
    def action_ack_alerts(self) -> None:
        """Dismiss the screen's alert banner (the alerts stay in the alert log, F4)."""
        for banner in self.screen.query(AlertBanner):
            banner.action_dismiss()

    # --- actions -------------------------------------------------------------------------
    @property
    def service(self) -> MarginService | None:
        """The margin service handed in (None: no keys)."""
        return self._service

    def _open(self, modal_cls: type, **kwargs: Any) -> None:
        service = self.service
        if service is None:
            self.notify("Margin actions need an API key with the Margin permission "
                        "(see the config's [exchange] section).",
                        title="Margin", severity="warning")
            return
        pair = self.pair.name if self.pair else None
        wallet = self._cursor_wallet()
        modal = modal_cls(service, self.snapshot, pair=pair, wallet=wallet,
                          places=self._places(), actions=self._actions, **kwargs)
        self.app.push_screen(modal, callback=self._after_action)

    def _cursor_wallet(self) -> WalletKey | None:
        if self.snapshot is None or not self.snapshot.loans:
            return None
        table = self.query_one("#margin-loans", DataTable)
        try:
            row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        for loan in self.snapshot.loans:
            if str(loan.id) == row.value:
                if loan.wallet_type is WalletType.ISOLATED_MARGIN:
                    return WalletKey(WalletType.ISOLATED_MARGIN, loan.pair)
                return WalletKey(WalletType.CROSS_MARGIN)
        return None

    def _after_action(self, result: MarginActionResult | None) -> None:
        if result is None:
            return
        self.notify(result.describe(self._places()), title="Margin")
        self.post_message(self.ActionDone(self, result))
        # the session re-reads loans, balances and margin levels at once for it
        self.post_message(AccountChanged(AccountChange(result.action.value)))

    def action_transfer(self) -> None:
        """Open the transfer form."""
        self._open(MarginTransferModal)

    def action_borrow(self) -> None:
        """Open the borrow form."""
        self._open(BorrowModal)

    def action_repay(self) -> None:
        """Open the repay form."""
        self._open(RepayModal)

    def action_close_position(self) -> None:
        """Open the close-position confirmation."""
        self._open(ClosePositionModal)


def level_text(level: Decimal | None) -> str:
    """A margin level as the header's chip shows it: three decimals (``—``: no debt)."""
    return format_decimal(level, 3) if level is not None else "—"


def _amount(value: Decimal, places: int | None, rounding: str = ROUND_HALF_EVEN) -> Text:
    """At the currency's display precision (exact when no pair lists it); ``rounding``
    up for what is owed, as the balances' Debt column."""
    text = (format_exact(value) if places is None
            else format_decimal(value, places, rounding=rounding))
    return Text(text, justify="right")
