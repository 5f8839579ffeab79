"""The app's trading wiring: order form, withdraw, trading palette entries.

A plain helper the app holds (no mixin): it opens the trading modals on the session's
trading service (reads) and the session's actions (sending), with what the session knows
of the account; the app's actions and message handlers call it. The flows live in
:class:`~alp_tui.services.trading.TradingService`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from textual.binding import Binding

from alp_tui.api.enums import OrderSide
from alp_tui.api.models import PairInfo
from alp_tui.services.format import currency_places
from alp_tui.services.order_draft import GuardSettings, MarketContext
from alp_tui.ui.commands import PaletteCommand
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from alp_tui.ui.order_keys import ORDER_BINDINGS, order_palette_commands
from alp_tui.ui.panes.balances import BalancesPane
from alp_tui.ui.panes.open_orders import OpenOrdersPane

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any

TRADING_BINDINGS = [
    *ORDER_BINDINGS,
    Binding("w", "withdraw", "Withdraw", id="app.withdraw", show=False,
            tooltip="Withdraw the currency selected in balances (or the pair's base)"),
]

NO_TRADING = ("Trading needs an API key and secret: run `alp-tui init` or set ALP_API_KEY "
              "and ALP_API_SECRET.")


class TradingUI:
    """Opens the order form and the withdraw form for the app."""

    def __init__(self, app: AlpApp) -> None:
        self.app = app
        self.session = app.session
        self._forms: dict[str, OrderFormModal] = {}

    @property
    def paper(self) -> bool:
        """True in a paper session: the forms and their confirms say no real money moves."""
        return bool(self.app.mode == "paper")

    def guard(self) -> GuardSettings:
        """The fat-finger thresholds of ``[trading]`` in the config."""
        trading = self.session.config.trading
        return GuardSettings(
            max_balance_share=Decimal(str(trading.max_balance_share)),
            max_price_deviation_pct=Decimal(str(trading.max_price_deviation_pct)))

    def _context(self, pair: PairInfo) -> MarketContext:
        """What the session already knows, so the form opens with numbers (it refreshes)."""
        balances = list(self.session.account.balances) or None
        ticker = self.session.market.ticker()
        last = ticker.last if ticker is not None and ticker.has_trades else None
        return MarketContext(pair=pair, balances=balances, last_price=last,
                             guard=self.guard())

    def open_order_form(self, side: OrderSide | str,
                        price: Decimal | None = None) -> OrderFormModal | None:
        """Open the order form for the selected pair (None: trading is off or the pair's
        limits are not loaded yet, said in a notification)."""
        app, trading = self.app, self.session.trading
        if trading is None:
            app.notify(NO_TRADING, severity="warning")
            return None
        info = self.session.market.info()
        if info is None:
            app.notify("The pair's limits are not loaded yet; try again in a moment.",
                       severity="warning")
            return None
        form = self._forms.get(info.name)
        places = currency_places(self.session.market.pairs.values())
        if form is not None and form.service is trading and form.pair == info:
            form.guard = self.guard()
            form.places = places
            form.answer_within_s = self.session.config.exchange.timeout_s
            form.reuse(side, price=price, context=self._context(info))
        else:
            # Installed, so closing it keeps its widgets for the next order: opening and
            # closing then cost no building or removal.
            form = OrderFormModal(trading, info, side, price=price,
                                  context=self._context(info), guard=self.guard(),
                                  paper=self.paper, actions=self.session, places=places,
                                  answer_within_s=self.session.config.exchange.timeout_s)
            app.install_screen(form, name=f"order-form-{info.name}-{id(form)}")
            self._forms[info.name] = form
        if form not in app.screen_stack:
            app.push_screen(form)
        return form

    def trade(self, side: str, level: Any) -> None:
        """``b`` / ``s``: the order form, priced at the picked book level if any."""
        price = level[1] if isinstance(level, tuple) and len(level) == 2 else None
        self.open_order_form(side, price=price if isinstance(price, Decimal) else None)
        self.forget_level()

    def forget_level(self) -> None:
        """A level's price is used once: the next form from elsewhere opens at last."""
        for book in self.app.data_panes("orderbook"):
            if hasattr(book, "action_clear_selection"):
                book.action_clear_selection()

    def withdraw(self, currency: str | None = None) -> None:
        """``w``: withdraw the currency selected in balances (or the pair's base)."""
        app, trading = self.app, self.session.trading
        if trading is None:
            app.notify(NO_TRADING, severity="warning")
            return
        pane = next(iter(app.main.query(BalancesPane)), None)
        if currency is None and pane is not None:
            currency = pane.selected_currency()
        if currency is None:
            info = self.session.market.info()
            currency = info.base if info else None
        if currency is None:
            return
        available = pane.available_of(currency) if pane is not None else None
        places = currency_places(self.session.market.pairs.values()).get(currency)
        app.push_screen(WithdrawModal(trading, currency, available=available, places=places,
                                      paper=self.paper, actions=self.session))

    def palette(self) -> Iterable[PaletteCommand]:
        """Trading entries for the command palette."""
        pair = self.session.market.selected
        yield PaletteCommand(f"Buy {pair}", "Open the order form to buy",
                             lambda: self.open_order_form(OrderSide.BID), True)
        yield PaletteCommand(f"Sell {pair}", "Open the order form to sell",
                             lambda: self.open_order_form(OrderSide.ASK), True)
        yield from order_palette_commands(self.app)
        yield PaletteCommand("Withdraw…", "Withdraw the selected currency", self.withdraw)
        for pane in self.app.main.query(OpenOrdersPane):
            yield PaletteCommand("Cancel all open orders", "Asks first, with the count",
                                 pane.action_cancel_all)
            yield PaletteCommand(f"Cancel all orders of {pair}", "Asks first, with the count",
                                 pane.action_cancel_pair)
