"""The order form: type-aware fields, live validation under each field, preview, confirm.

Open it with ``app.push_screen(OrderFormModal(service, pair, side, price=...))``. It
dismisses with the :class:`~alp_tui.services.trading.PlaceResult` of a placed order (or
None when closed), and posts :class:`~alp_tui.ui.trading_messages.AccountChanged` to the
app the moment an order is placed so open orders and balances refresh at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from alp_tui.api.enums import OrderSide, OrderType
from alp_tui.api.models import PairInfo
from alp_tui.services.format import currency_places
from alp_tui.services.margin_limits import snapshot_for_preview
from alp_tui.services.order_draft import (
    AMOUNT,
    FORM_FIELDS,
    GENERAL,
    LIMIT_TYPES,
    MARKET_TYPES,
    PRICE,
    STOP_PRICE,
    STOP_TYPES,
    DraftResult,
    FormInput,
    GuardSettings,
    MarketContext,
    OrderDraft,
    build_draft,
    fmt,
    share_amount,
)
from alp_tui.services.quick_order import QuickOrder, QuickOrderError, quick_form
from alp_tui.services.trading import AccountChange, Outcome, PlaceResult, TradingService
from alp_tui.session.actions import ActionPort, ServiceActions
from alp_tui.ui.modals import form_parts
from alp_tui.ui.modals import order_text as txt
from alp_tui.ui.modals.confirm import TRADING_CSS, ConfirmModal
from alp_tui.ui.modals.form_parts import ORDER_FORM_BINDINGS, hidden, show_message
from alp_tui.ui.modals.order_fields import (
    INPUT_FIELDS,
    clear_inputs,
    field_row,
    fill_form,
    has_typed,
    read_form,
)
from alp_tui.ui.trading_messages import AccountChanged

# Older balances, book and price (a form left open) are read again before the review
CONTEXT_FRESH_S = 5.0


class OrderFormModal(ModalScreen[PlaceResult | None]):
    """Place one order through ``service``; never sends twice for one confirmation."""

    CSS_PATH = TRADING_CSS
    clock: Callable[[], float] = staticmethod(time.monotonic)
    _review_waits = False  # Enter pressed while balances and price are read again

    BINDINGS = ORDER_FORM_BINDINGS
    # The amount has the focus from the start: the price is prefilled (the book level's,
    # else the last price), and keys typed before the market context arrives must never
    # land in an empty price field (``0.01`` was once a bid at 0.01).
    AUTO_FOCUS = f"#{AMOUNT}"

    def __init__(
        self,
        service: TradingService,
        pair: PairInfo,
        side: OrderSide | str = OrderSide.BID,
        *,
        price: Decimal | None = None,
        order_type: OrderType | str = OrderType.LIMIT,
        context: MarketContext | None = None,
        guard: GuardSettings | None = None,
        paper: bool = False,
        actions: ActionPort | None = None,
        places: Mapping[str, int] | None = None,
        answer_within_s: float | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.service = service
        # Placed through the session's actions; built alone (tests), the service's own.
        self.actions: ActionPort = actions or ServiceActions(trading=service)
        self.paper = paper  # a paper account: the title and the confirm say so
        self.pair = pair
        # Display decimals per currency (currency_places of the market's pairs, from the
        # opener): a balance is money in its currency, not a price of the pair.
        self.places: Mapping[str, int] = places or currency_places([pair])
        self.answer_within_s = answer_within_s  # the client's timeout: the confirm says so
        self._side = OrderSide.parse(side)
        self._type = OrderType.parse(order_type)
        self._price = price
        self.guard = guard or GuardSettings()
        self.context = context or MarketContext(pair=pair, guard=self.guard)
        self.result: DraftResult | None = None
        self._submitted = False
        self._sending = False
        self._locked = False  # after an unknown outcome: no second send from this form
        self._outcome: PlaceResult | None = None
        self._prefilled = ""  # the price text the form put in itself (not typed)
        self._applied: tuple[object, ...] | None = None
        self._validated: tuple[object, ...] | None = None
        self._shown_errors: dict[str, str] = dict.fromkeys((*FORM_FIELDS, GENERAL), "")
        self._shown_text: dict[str, tuple[object, ...]] = {}
        self._reload = False
        self._context_at = -math.inf  # when balances, book and price were last read
        self._quick: QuickOrder | None = None  # a quick-order line waiting for the market
        self._quick_line = ""

    def compose(self) -> ComposeResult:
        """The fields; the ones a type does not need are hidden, not removed. Everything
        starts in its final state so mounting costs one styling pass."""
        p, otype, side = self.pair, self._type, self._side
        self._applied = (otype, side, "SPOT", "base")
        with Vertical(id="order-form",
                      classes=f"dialog {'-buy' if side is OrderSide.BID else '-sell'}"):
            yield Static(self._title(side, otype), id="form-title", classes="dialog-title")
            with VerticalScroll(id="form-fields"):
                yield from field_row("side", "Side", Select(
                    [("BUY", "BID"), ("SELL", "ASK")], value=side.value,
                    allow_blank=False, id="side"))
                yield from field_row("order_type", "Type", Select(
                    txt.TYPES, value=otype.value, allow_blank=False, id="order_type"))
                yield from field_row("amount_in", "Amount in", Select(
                    [(f"{p.base} (base)", "base"), (f"{p.quote} (quote)", "quote")],
                    value="base", allow_blank=False, id="amount_in"),
                    shown=otype in MARKET_TYPES)
                yield from field_row(AMOUNT, f"Amount {p.base}", Input(
                    placeholder=f"e.g. {fmt(p.minimum_order_size, p.amount_precision)}",
                    id=AMOUNT))
                with Horizontal(id="pct-buttons"):
                    for pct in (25, 50, 75, 100):
                        yield Button(f"{pct}%", id=f"pct-{pct}", classes="pct")
                yield from field_row(PRICE, "Limit price", Input(
                    value=self._start_price(), placeholder=p.quote, id=PRICE),
                    shown=otype in LIMIT_TYPES)
                yield from field_row(STOP_PRICE, "Stop price", Input(
                    placeholder=p.quote, id=STOP_PRICE), shown=otype in STOP_TYPES)
                yield from field_row("stop_operator", "Trigger", Select(
                    txt.OPERATORS, value="", allow_blank=False, id="stop_operator"),
                    shown=otype in STOP_TYPES)
                yield from field_row("tif", "Time in force", Select(
                    txt.TIFS, value="GTC", allow_blank=False, id="tif"),
                    shown=otype in LIMIT_TYPES)
                yield from field_row("wallet_type", "Wallet", Select(
                    txt.WALLETS, value="SPOT", allow_blank=False, id="wallet_type"))
                yield from field_row("side_effect", "Side effect", Select(
                    txt.EFFECTS, value="NO_SIDE_EFFECT", allow_blank=False, id="side_effect"),
                    shown=False)
                yield Static(id="available", classes="form-note")
                yield Static(id="preview", classes="form-note")
                yield hidden(Static(id="warnings", classes="form-warnings"))
                yield hidden(Static(id="general-error", classes="field-error"))
                yield hidden(Static(id="send-status", classes="form-status"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Review (Enter)", id="submit", variant="primary")
                yield Button("Close (Esc)", id="close")
        yield Footer()  # this form's keys, not the dashboard's underneath

    def _start_price(self) -> str:
        """The price a new form shows: the book level's, else the last price known."""
        price = self._price if self._price is not None else self.context.last_price
        self._prefilled = "" if price is None else fmt(price, self.pair.price_precision)
        return self._prefilled

    def _title(self, side: OrderSide, otype: OrderType) -> Text:
        """Side, pair, type, and whatever the form was opened with (a book level's price)."""
        return txt.form_title(self.pair, side, otype, price=self._price,
                              line=self._quick_line,
                              paper=self.paper)

    def on_mount(self) -> None:
        """Show the right fields, validate, and load balances, fees and the book."""
        self._revalidate()
        self._load_context()

    def reuse(self, side: OrderSide | str, *, price: Decimal | None = None,
              context: MarketContext | None = None) -> None:
        """Make a closed form new for the next order of the same pair, exactly as a new form
        opens: LIMIT, GTC, SPOT, no side effect, amounts cleared, price prefilled when given.
        Nothing of the last order is remembered (a form that silently reopened as a margin
        MARKET order sent what the trader did not mean). An installed form opens and closes
        without building or removing any widget."""
        self._side = OrderSide.parse(side)
        self._price = price
        self._quick, self._quick_line = None, ""
        if context is not None:
            self.context = context
        self.result = None
        self._submitted = self._sending = self._locked = False
        self._outcome = None
        self._validated = None
        self._reload = True
        self._type = OrderType.LIMIT
        fill_form(self, FormInput(side=self._side.value, price=self._start_price()))
        submit = self.query_one("#submit", Button)
        submit.disabled = False
        submit.label = "Review (Enter)"
        self._update("#send-status", Text(""))
        for name in (*FORM_FIELDS, GENERAL):
            self._show_error(name, "")
        self._applied = None  # the title says where the price came from: always redraw it
        self._apply_type()
        self.set_focus(None)

    def prepare_quick(self, order: QuickOrder, line: str = "") -> None:
        """Fill the form from a quick-order line once balances, book and last price are
        loaded (a share or ``@bid`` needs them), then go straight to the review: the line
        gets exactly the form's draft, preview, guard and confirm."""
        self._quick = order
        self._quick_line = line.strip()

    def _apply_quick(self, ctx: MarketContext) -> bool:
        """Run a waiting quick order on ``ctx``; True when the fields were filled."""
        order, self._quick = self._quick, None
        if order is None:
            return False
        try:
            values = quick_form(order, ctx)
        except QuickOrderError as exc:
            self._show_error(GENERAL, Text(str(exc), style="bold red"))
            return False
        fill_form(self, values)
        self._applied = None
        self._apply_type()
        return True

    def on_screen_resume(self) -> None:
        """Shown again after :meth:`reuse`: fresh balances, fees and book."""
        if self._reload:
            self._reload = False
            self._revalidate()
            self.query_one(f"#{AMOUNT}").focus()
            self._load_context()

    @work(exclusive=True, group="order_form_context", exit_on_error=False)
    async def _load_context(self) -> None:
        try:
            ctx = await self.service.market_context(self.pair, guard=self.guard)
        except Exception as exc:  # shown, never raised
            self.query_one("#available", Static).update(
                Text(f"Balances unavailable: {exc}", style="yellow"))
            if self._review_waits:  # the review on what the form has (it says so)
                self.review(reread=False)
            return
        self.context, self._context_at = ctx, self.clock()
        if self._quick is not None:
            if self._apply_quick(ctx):
                self._revalidate()
                self.review()
            return
        if self._price is None and ctx.last_price:
            # The fresh last price, unless the trader typed a price of their own meanwhile.
            price_input = self.query_one(f"#{PRICE}", Input)
            if price_input.value in ("", self._prefilled):
                self._prefilled = fmt(ctx.last_price, self.pair.price_precision)
                price_input.value = self._prefilled
        self._revalidate()
        if self._review_waits:  # Enter came while they were old: the review, now
            self._update("#send-status", Text(""))
            self.review(reread=False)

    def form_input(self) -> FormInput:
        """The current raw values."""
        return read_form(self)

    def _current_type(self) -> OrderType:
        value = self.query_one("#order_type", Select).value
        return OrderType(value) if value in OrderType.__members__ else OrderType.LIMIT

    def _current_side(self) -> OrderSide:
        return OrderSide.ASK if self.query_one("#side", Select).value == "ASK" else OrderSide.BID

    def _apply_type(self) -> None:
        otype = self._current_type()
        side = self._current_side()
        key = (otype, side, self.query_one("#wallet_type", Select).value,
               self.query_one("#amount_in", Select).value)
        if key == self._applied:
            return  # nothing that shapes the form changed: no restyle
        self._applied = key
        self.query_one("#row-amount_in").display = otype in MARKET_TYPES
        self.query_one(f"#row-{PRICE}").display = otype in LIMIT_TYPES
        self.query_one(f"#row-{STOP_PRICE}").display = otype in STOP_TYPES
        self.query_one("#row-stop_operator").display = otype in STOP_TYPES
        self.query_one("#row-tif").display = otype in LIMIT_TYPES
        margin = self.query_one("#wallet_type", Select).value != "SPOT"
        self.query_one("#row-side_effect").display = margin
        self.query_one("#form-title", Static).update(self._title(side, otype))
        dialog = self.query_one("#order-form")
        dialog.set_class(side is OrderSide.BID, "-buy")
        dialog.set_class(side is OrderSide.ASK, "-sell")
        unit = self.pair.base
        if otype in MARKET_TYPES and self.query_one("#amount_in", Select).value == "quote":
            unit = self.pair.quote
        self.query_one(f"#row-{AMOUNT} .field-label", Label).update(f"Amount {unit}")

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._revalidate()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._apply_type()
        self._revalidate()
        if event.value == "AUTO_BORROW" and self.context.margin is None:
            self._load_margin()  # what it borrows is known now; the level after once loaded

    @work(exclusive=True, group="order_form_margin", exit_on_error=False)
    async def _load_margin(self) -> None:
        snapshot = await snapshot_for_preview(self.service.client)
        self.context = replace(self.context, margin=snapshot)
        self._revalidate()

    def _revalidate(self, *, force: bool = False) -> DraftResult:
        form = self.form_input()
        key = (form, id(self.context), self._submitted)
        if not force and self.result is not None and key == self._validated:
            return self.result
        self._validated = key
        result = build_draft(form, self.context)
        self.result = result
        for name in (*FORM_FIELDS, GENERAL):
            message = result.errors.get(name, "")
            if name in INPUT_FIELDS and not self._submitted and not getattr(form, name):
                message = ""  # an untouched empty field is not an error yet
            self._show_error(name, message, force=force)
        self._show_available()
        self._show_preview(result)
        return result

    def _show_error(self, name: str, message: str | Text, *, force: bool = False) -> None:
        """Put ``message`` under field ``name`` (only touching the screen on a change)."""
        if not force and self._shown_errors.get(name) == str(message) and not isinstance(
                message, Text):
            return
        targets = self.query(f"#{name}-error")
        if targets:
            show_message(targets.first(Static), message)
            self._shown_errors[name] = str(message)

    def _update(self, selector: str, content: Text) -> None:
        form_parts.show_changed(self, self._shown_text, selector, content)

    def _show_available(self) -> None:
        text = txt.available_text(self.pair, self.context, self.form_input().wallet_type,
                                  self.places)
        if text is not None:
            self._update("#available", text)

    def _show_preview(self, result: DraftResult) -> None:
        self._update("#preview", txt.preview_text(self.pair, result, self.places))
        self._update("#warnings", txt.warnings_text(result))

    def action_close(self) -> None:
        """Esc: close without sending; what was typed goes with it."""
        if not self._sending:
            self.dismiss(None)
            self._forget_input()

    def has_typed_input(self) -> bool:
        """True when the trader typed something here (a prefilled price is not typed)."""
        return has_typed(self.form_input(), self._prefilled)

    def _forget_input(self) -> None:
        """A closed form keeps nothing typed (it stays installed for the next order)."""
        self._quick, self._quick_line = None, ""
        clear_inputs(self)

    def action_set_side(self, side: str) -> None:
        """Switch between BUY and SELL."""
        self.query_one("#side", Select).value = side

    @on(Button.Pressed, ".pct")
    def _pct(self, event: Button.Pressed) -> None:
        event.stop()
        pct = Decimal(str(event.button.id or "pct-0").removeprefix("pct-")) / 100
        amount = share_amount(self.form_input(), self.context, pct)
        if amount is not None:
            self.query_one(f"#{AMOUNT}", Input).value = amount

    @on(Input.Submitted)
    def _submitted_by_enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.review()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.review()

    @on(Button.Pressed, "#close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def review(self, *, reread: bool = True) -> None:
        """Validate everything; if clean, show the confirm step. Balances, book and price
        older than :data:`CONTEXT_FRESH_S` (a form left open) are read again first."""
        self._review_waits = False
        if self._sending or self._locked:
            return
        if reread and self.clock() - self._context_at > CONTEXT_FRESH_S:
            self._review_waits = True
            self._update("#send-status", Text("Reading balances and price…", style="dim"))
            self._load_context()
            return
        self._submitted = True
        result = self._revalidate()
        if not result.ok or result.draft is None:
            form_parts.focus_first(self, FORM_FIELDS, result.errors)
            return
        draft = result.draft
        self._sending = False
        self._outcome = None
        self.app.push_screen(
            ConfirmModal(f"Confirm {draft.side.word}", txt.confirm_text(self.pair, draft, result,
                                                           self.places),
                         confirm_label=f"{draft.side.word}",
                         tone="buy" if draft.side is OrderSide.BID else "sell",
                         action=lambda: self._place(draft),
                         type_to_confirm=(txt.confirm_word(self.pair, draft)
                                          if result.preview.needs_typed_confirm else None),
                         paper=self.paper, answer_within_s=self.answer_within_s),
            lambda ok: self._after_confirm(ok, draft),
        )

    async def _place(self, draft: OrderDraft) -> None:
        """Run on the confirm step (Enter): send once and keep the outcome."""
        if self._sending or self._locked:
            return
        self._sending = True
        try:
            # The form closes as soon as the exchange answered; the order's real state
            # (open, or filled at once) reaches the panes from the read-back after.
            self._outcome = await self.actions.place_order(draft)
        except Exception as exc:  # the service reports errors as results; this is a bug
            self._outcome = PlaceResult(Outcome.UNKNOWN, f"Unexpected error: "
                                        f"{type(exc).__name__}. Check open orders before "
                                        "trying again.", "")
        finally:
            self._sending = False
        if self._outcome.placed and isinstance(self.app.screen, ConfirmModal):
            # Close the confirm step and the form together: the dashboard is redrawn once,
            # with the new order in it, instead of the form first.
            result, self._outcome = self._outcome, None
            self.app.pop_screen()
            self._handle(result, draft)

    def _after_confirm(self, ok: bool | None, draft: OrderDraft) -> None:
        result, self._outcome = self._outcome, None
        if ok and result is not None:
            self._handle(result, draft)

    def _handle(self, result: PlaceResult, draft: OrderDraft) -> None:
        submit = self.query_one("#submit", Button)
        if result.placed:
            self.app.post_message(AccountChanged(
                AccountChange("place", draft.pair, tuple(result.orders))))
            self.app.notify(result.message, title=f"{draft.side.word} {draft.pair}")
            self.dismiss(result)
            self._forget_input()
            return
        if result.outcome is Outcome.REJECTED and result.field_errors:
            for name, message in result.field_errors.items():
                self._show_error(name, Text(message, style="bold red"))
            self._status(Text(result.message, style="red"))
            submit.disabled = False
            form_parts.focus_first(self, FORM_FIELDS, result.field_errors)
            return
        if result.outcome is Outcome.UNKNOWN:
            self._locked = True
            self._status(txt.unknown_text(result.message))
            submit.label = "Locked"
            return
        # Rejected without field errors, or not placed: safe to edit and send again.
        self._status(Text(result.message, style="red"))
        submit.disabled = False

    def _status(self, text: Text) -> None:
        self._update("#send-status", text)
