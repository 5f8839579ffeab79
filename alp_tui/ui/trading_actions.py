"""The app's trading wiring, as a mixin: keys, palette entries and message handlers that
open the trading modals and keep panes fresh after the user's own actions.

The app inherits :class:`TradingActions`, adds :data:`TRADING_BINDINGS` to its bindings,
calls :meth:`TradingActions.start_trading` once its client is open and yields
:meth:`TradingActions.trading_palette_commands` from its palette. The flows themselves live
in :class:`~alp_tui.services.trading.TradingService`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.binding import Binding

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import PairInfo
from alp_tui.services.journal import Journal
from alp_tui.services.order_draft import GuardSettings, MarketContext
from alp_tui.services.reconcile import reconcile
from alp_tui.services.trading import Outcome, TradingService
from alp_tui.ui.commands import PaletteCommand
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from alp_tui.ui.order_keys import ORDER_BINDINGS, open_quick_order, order_palette_commands
from alp_tui.ui.panes.balances import BalancesPane
from alp_tui.ui.panes.open_orders import OpenOrdersPane
from alp_tui.ui.trading_messages import AccountChanged

TRADING_BINDINGS = [
    *ORDER_BINDINGS,
    Binding("w", "withdraw", "Withdraw", id="app.withdraw", show=False,
            tooltip="Withdraw the currency selected in balances (or the pair's base)"),
]

NO_TRADING = ("Trading needs an API key and secret: run `alp-tui init` or set ALP_API_KEY "
              "and ALP_API_SECRET.")


class TradingActions:
    """Mixin for the app. Expects ``client``, ``has_credentials``, ``market`` and ``feed``."""

    trading: TradingService | None = None
    journal_path: Path | str | None = None  # None: the XDG data dir

    def start_trading(self) -> TradingService | None:
        """Create the trading service on the open client and settle last session's
        unanswered actions (never resending anything)."""
        app: Any = self
        client = getattr(app, "client", None)
        if not getattr(app, "has_credentials", False) or client is None:
            return None
        try:
            journal = Journal(self.journal_path)
        except OSError as exc:
            app.notify(f"The trading journal cannot be opened ({exc.strerror or exc}); "
                       "trading is off.", severity="error", timeout=15)
            return None
        if journal.notice:  # moved aside or in memory: said once, trading goes on
            app.notify(journal.notice, severity="warning", timeout=20)
        self.trading = TradingService(client, journal)
        for pane in app.query(OpenOrdersPane):
            pane.attach_service(self.trading)
        app.run_worker(self._reconcile_journal(), name="trading:reconcile", group="trading",
                       exit_on_error=False)
        return self.trading

    async def _reconcile_journal(self) -> None:
        app: Any = self
        if self.trading is None:
            return
        reports = await reconcile(self.trading)
        for report in reports:
            app.notify(report.message, title="Unanswered action from last session",
                       severity="warning" if report.outcome is Outcome.UNKNOWN else
                       "information", timeout=20)
        if reports:
            app.post_message(AccountChanged(_change("reconcile")))

    # --- order form -------------------------------------------------------------------

    def _pair_info(self) -> PairInfo | None:
        market = getattr(self, "market", None)
        return market.info() if market is not None else None

    def _quick_context(self, pair: PairInfo) -> MarketContext:
        """What the app already knows, so the form opens with numbers (it refreshes)."""
        app: Any = self
        balances = None
        for pane in app.query(BalancesPane):
            balances = list(pane.balances) or None
        ticker = app.market.ticker() if getattr(app, "market", None) else None
        last = ticker.last if ticker is not None and ticker.has_trades else None
        return MarketContext(pair=pair, balances=balances, last_price=last,
                             guard=self._guard())

    def open_order_form(self, side: OrderSide | str,
                        price: Decimal | None = None) -> OrderFormModal | None:
        """Open the order form for the selected pair (None: trading is off or the pair's
        limits are not loaded yet, said in a notification)."""
        app: Any = self
        if self.trading is None:
            app.notify(NO_TRADING, severity="warning")
            return None
        info = self._pair_info()
        if info is None:
            app.notify("The pair's limits are not loaded yet; try again in a moment.",
                       severity="warning")
            return None
        forms = self.__dict__.setdefault("_order_forms", {})
        form = forms.get(info.name)
        if form is not None and form.service is self.trading and form.pair == info:
            form.guard = self._guard()
            form.reuse(side, price=price, context=self._quick_context(info))
        else:
            # Installed, so closing it keeps its widgets for the next order: opening and
            # closing then cost no building or removal.
            form = OrderFormModal(self.trading, info, side, price=price,
                                  context=self._quick_context(info), guard=self._guard())
            app.install_screen(form, name=f"order-form-{info.name}-{id(form)}")
            forms[info.name] = form
        if form not in app.screen_stack:
            app.push_screen(form)
        return form

    def action_quick_order(self) -> None:
        """``:``: the quick-order line."""
        open_quick_order(self)

    def _guard(self) -> GuardSettings:
        """The fat-finger thresholds of ``[trading]`` in the config."""
        config = getattr(self, "config", None)
        trading = getattr(config, "trading", None)
        if trading is None:
            return GuardSettings()
        return GuardSettings(max_balance_share=Decimal(str(trading.max_balance_share)),
                             max_price_deviation_pct=Decimal(str(
                                 trading.max_price_deviation_pct)))

    def action_trade(self, side: str) -> None:
        """``b`` / ``s``: the order form, priced at the selected book level if any."""
        level = getattr(self, "selected_level", None)
        price = level[1] if isinstance(level, tuple) and len(level) == 2 else None
        self.open_order_form(side, price=price if isinstance(price, Decimal) else None)
        self._forget_level()

    def _forget_level(self) -> None:
        """A level's price is used once: the next form from elsewhere opens at last."""
        app: Any = self
        for book in app.data_panes("orderbook"):
            if hasattr(book, "action_clear_selection"):
                book.action_clear_selection()

    def on_order_book_pane_order_requested(self, message: Any) -> None:
        """``b`` / ``s`` on a book level: the form with that price."""
        message.stop()
        market = getattr(self, "market", None)
        if market is not None and message.pair != market.selected:
            return
        self.open_order_form(message.side, price=message.price)
        self._forget_level()

    # --- withdraw ---------------------------------------------------------------------

    def action_withdraw(self, currency: str | None = None) -> None:
        """``w``: withdraw the currency selected in balances (or the pair's base)."""
        app: Any = self
        if self.trading is None:
            app.notify(NO_TRADING, severity="warning")
            return
        pane = next(iter(app.query(BalancesPane)), None)
        if currency is None and pane is not None:
            currency = pane.selected_currency()
        if currency is None:
            info = self._pair_info()
            currency = info.base if info else None
        if currency is None:
            return
        available = pane.available_of(currency) if pane is not None else None
        app.push_screen(WithdrawModal(self.trading, currency, available=available))

    # --- after our own actions --------------------------------------------------------

    def on_account_changed(self, message: AccountChanged) -> None:
        """Refresh open orders, balances and history now rather than at the next poll."""
        feed = getattr(self, "feed", None)
        if feed is None:
            return
        pollers = getattr(feed, "pollers", None)
        if isinstance(pollers, dict):
            for topic in ("orders", "balances", "history", "margin"):
                poller = pollers.get(topic)
                if poller is not None:
                    poller.refresh_now()
        elif hasattr(feed, "refresh_now"):
            feed.refresh_now()

    # --- palette ----------------------------------------------------------------------

    def trading_palette_commands(self) -> Iterable[PaletteCommand]:
        """Trading entries for the command palette."""
        market = getattr(self, "market", None)
        pair = market.selected if market is not None else "the pair"
        yield PaletteCommand(f"Buy {pair}", "Open the order form to buy",
                             lambda: self.open_order_form(OrderSide.BID), True)
        yield PaletteCommand(f"Sell {pair}", "Open the order form to sell",
                             lambda: self.open_order_form(OrderSide.ASK), True)
        yield from order_palette_commands(self)
        yield PaletteCommand("Withdraw…", "Withdraw the selected currency",
                             self.action_withdraw)
        app: Any = self
        for pane in app.query(OpenOrdersPane):
            yield PaletteCommand("Cancel all open orders", "Asks first, with the count",
                                 pane.action_cancel_all)
            yield PaletteCommand(f"Cancel all orders of {pair}", "Asks first, with the count",
                                 pane.action_cancel_pair)


def _change(kind: str) -> Any:
    from alp_tui.services.trading import AccountChange

    return AccountChange(kind)
