"""The withdrawal form: network (fee, min, max), amount, the attributes the network needs,
then a confirmation repeating amount, fee, network and address.

``app.push_screen(WithdrawModal(service, "USDT", available=Decimal(...)))``; dismisses with
the :class:`~alp_tui.services.trading.WithdrawResult` once requested (None when closed).
A key without "Can Withdraw" is explained in words, not as a bare 403.
"""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from alp_tui.api.errors import ForbiddenError
from alp_tui.api.models import WithdrawMethod
from alp_tui.services.format import format_percent
from alp_tui.services.order_draft import WithdrawDraft, build_withdraw
from alp_tui.services.trading import (
    WITHDRAW_PERMISSION_HELP,
    AccountChange,
    Outcome,
    TradingService,
    WithdrawResult,
    describe_error,
)
from alp_tui.services.withdraw_draft import Shown, max_withdraw
from alp_tui.session.actions import ActionPort, ServiceActions
from alp_tui.ui.modals.confirm import TRADING_CSS, ConfirmModal
from alp_tui.ui.modals.form_parts import QUIT_FROM_FORM, SendingCount, hidden
from alp_tui.ui.trading_messages import AccountChanged


class WithdrawModal(ModalScreen[WithdrawResult | None]):
    """Request one withdrawal of ``currency`` through ``service``."""

    CSS_PATH = TRADING_CSS

    BINDINGS = [
        Binding("escape", "close", "Close", id="withdraw.close",
                tooltip="Close without requesting anything"),
        QUIT_FROM_FORM,
    ]

    def __init__(self, service: TradingService, currency: str, *,
                 available: Decimal | None = None, places: int | None = None,
                 paper: bool = False, actions: ActionPort | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.service = service
        # Sent through the session's actions; built alone (tests), the service's own.
        self.actions: ActionPort = actions or ServiceActions(trading=service)
        self.paper = paper  # the confirm says so
        self._count = SendingCount(self, "#withdraw-status")  # the wait of a request out
        # The currency's display decimals (None: the exchange's 8-decimal grid): amounts
        # are typed and shown at them, so what is sent is what the confirm says.
        self.places = places
        self.shown = Shown(places)
        self.currency = currency.upper()
        self.available = available
        self.methods: dict[int, WithdrawMethod] = {}
        self._sending = False
        self._submitted = False

    def compose(self) -> ComposeResult:
        """Network, amount, attributes, notes and buttons."""
        with Vertical(id="withdraw-form", classes="dialog -danger"):
            yield Static(Text.assemble((" WITHDRAW ", "bold reverse"), f"  {self.currency}"),
                         classes="dialog-title")
            with VerticalScroll(id="withdraw-fields"):
                with Vertical(classes="field"):
                    with Horizontal(classes="field-line"):
                        yield Label("Network", classes="field-label")
                        yield Select([], prompt="loading networks…", id="method")
                    yield Static(id="method-error", classes="field-error")
                with Vertical(classes="field"):
                    with Horizontal(classes="field-line"):
                        yield Label(f"Amount {self.currency}", classes="field-label")
                        yield Input(placeholder="e.g. 25", id="amount")
                        yield Button("Max", id="withdraw-max", classes="pct", compact=True)
                    yield Static(id="amount-error", classes="field-error")
                yield Vertical(id="attrs")
                yield Static(id="attributes-error", classes="field-error")
                yield Static(id="withdraw-note", classes="form-note")
                yield Static(id="withdraw-status", classes="form-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Review (Enter)", id="submit", variant="primary")
                yield Button("Close (Esc)", id="close")
        yield Footer()  # this form's keys, not the dashboard's underneath

    def on_mount(self) -> None:
        """Load the networks."""
        for label in self.query(".field-error"):
            label.display = False
        self.query_one("#amount", Input).focus()
        self._load_methods()

    @work(exclusive=True, group="withdraw_methods", exit_on_error=False)
    async def _load_methods(self) -> None:
        status = self.query_one("#withdraw-status", Static)
        try:
            methods = await self.service.withdraw_methods(self.currency)
        except ForbiddenError:
            status.update(Text(WITHDRAW_PERMISSION_HELP, style="bold yellow"))
            self.query_one("#submit", Button).disabled = True
            return
        except Exception as exc:
            status.update(Text(f"Networks unavailable: {describe_error(exc)}", style="red"))
            return
        self.methods = {m.id: m for m in methods}
        select = self.query_one("#method", Select)
        select.set_options([(self._method_label(m), m.id) for m in methods])
        if methods:
            select.value = methods[0].id
        else:
            status.update(Text(f"{self.currency} cannot be withdrawn here.", style="yellow"))

    def _method_label(self, m: WithdrawMethod) -> str:
        up, down = self.shown.up, self.shown.down
        fee = up(m.fee_amount, trim=True) + (f" + {format_percent(m.fee_rate * 100, 3)}"
                                             if m.fee_rate else "")
        limits = []
        if m.min_withdraw is not None:
            limits.append(f"min {up(m.min_withdraw, trim=True)}")
        if m.max_withdraw is not None:
            limits.append(f"max {down(m.max_withdraw, trim=True)}")
        return f"{m.network} · fee {fee} · {' · '.join(limits)}"

    def method(self) -> WithdrawMethod | None:
        """The chosen network."""
        value = self.query_one("#method", Select).value
        return self.methods.get(value) if isinstance(value, int) else None

    @on(Select.Changed, "#method")
    async def _method_changed(self, event: Select.Changed) -> None:
        event.stop()
        box = self.query_one("#attrs", Vertical)
        await box.remove_children()
        method = self.method()
        if method is None:
            return
        widgets = []
        for attr in method.attributes:
            widgets.append(Vertical(
                Horizontal(Label(attr.key.capitalize(), classes="field-label"),
                           Input(placeholder=attr.value or attr.key, id=f"attr-{attr.key}"),
                           classes="field-line"),
                hidden(Static(id=f"attr-{attr.key}-error", classes="field-error")),
                classes="field"))
        await box.mount_all(widgets)
        self._validate()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._validate()

    def _attributes(self) -> dict[str, str]:
        return {w.id.removeprefix("attr-"): w.value for w in self.query("#attrs Input")
                if isinstance(w, Input) and w.id}

    def _validate(self) -> tuple[WithdrawDraft | None, dict[str, str]]:
        method = self.method()
        amount_text = self.query_one("#amount", Input).value
        draft, errors = build_withdraw(method, amount_text, self._attributes(), self.available,
                                       self.places)
        names = ["method", "amount"] + [f"attr-{a.key}" for a in (method.attributes
                                                                   if method else [])]
        for name in names:
            targets = self.query(f"#{name}-error")
            if not targets:
                continue
            message = errors.get(name, "")
            if not self._submitted and name != "method":
                widget = self.query(f"#{name}")
                if widget and isinstance(widget.first(), Input) and not widget.first().value:
                    message = ""
            label = targets.first(Static)
            label.update(message)
            label.display = bool(message)
        note = self.query_one("#withdraw-note", Static)
        up, down = self.shown.up, self.shown.down
        if draft is not None:
            line = (f"Fee {up(draft.fee)} · arrives {down(draft.received)} · "
                    f"takes {up(draft.total)} {draft.currency} from your balance")
            if self.available is not None:
                line += f" · {down(draft.balance_after(self.available))} left"
            note.update(line)
        elif self.available is not None:
            note.update(f"Available {down(self.available)} {self.currency}")
        return draft, errors

    def confirm_rows(self, draft: WithdrawDraft) -> list[tuple[str, str]]:
        """Amount, fee, what arrives, what the balance loses and keeps: in that order."""
        c, up, down = draft.currency, self.shown.up, self.shown.down
        fee_note = " (taken out of the amount)" if draft.fee_included else " (on top)"
        # The amount is exact (typed at the shown precision); the rest never promise more
        # than there is: costs round up, what arrives and what is left round down.
        rows = [("Amount", f"{down(draft.amount)} {c}"),
                ("Fee", f"{up(draft.fee)} {c}{fee_note}"),
                ("Arrives", f"{down(draft.received)} {c}"),
                ("Balance pays", f"{up(draft.total)} {c}")]
        if self.available is not None:
            rows.append(("Balance after",
                         f"{down(draft.balance_after(self.available))} {c}"))
        rows.append(("Network", draft.network))
        rows += [(k.capitalize(), v) for k, v in draft.attributes.items()]
        return rows

    # --- actions ----------------------------------------------------------------------

    def action_close(self) -> None:
        """Close without sending."""
        if not self._sending:
            self.dismiss(None)

    @on(Button.Pressed, "#withdraw-max")
    def _fill_max(self, event: Button.Pressed) -> None:
        """The most that can go: with the fee on top, what leaves the balance fits in it
        (rounded down to the shown precision, never up past the balance)."""
        event.stop()
        method = self.method()
        if method is None or self.available is None:
            return
        amount = max_withdraw(method, self.available, self.places)
        self.query_one("#amount", Input).value = "" if amount is None else f"{amount:f}"

    @on(Button.Pressed, "#close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    @on(Button.Pressed, "#submit")
    def _submit(self, event: Button.Pressed) -> None:
        event.stop()
        self.review()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.review()

    def review(self) -> None:
        """Validate; if clean, confirm with everything repeated."""
        if self._sending or self.query_one("#submit", Button).disabled:
            return
        self._submitted = True
        draft, _errors = self._validate()
        if draft is None:
            return
        body = Text()
        body.append("WITHDRAW ", style="bold red")
        body.append(f"{self.shown.down(draft.amount)} {draft.currency}\n\n")
        for label, value in self.confirm_rows(draft):
            body.append(f"{label:>15}  ", style="dim")
            body.append(f"{value}\n", style="bold" if label == "Address" else "")
        body.append("\nWithdrawals cannot be undone. Check the address.", style="yellow")
        self.app.push_screen(ConfirmModal("Confirm withdrawal", body, confirm_label="Withdraw",
                                          tone="danger", paper=self.paper),
                             lambda ok: self._confirmed(ok, draft))

    def _confirmed(self, ok: bool | None, draft: WithdrawDraft) -> None:
        if not ok or self._sending:
            return
        method = self.methods.get(draft.method_id)
        if method is None:
            return
        self._sending = True
        self.query_one("#submit", Button).disabled = True
        self._count.start()  # a frozen exchange is seen waiting, not stuck
        self._send(method, draft)

    @work(exclusive=True, group="withdraw_send", exit_on_error=False)
    async def _send(self, method: WithdrawMethod, draft: WithdrawDraft) -> None:
        try:
            result = await self.actions.withdraw(method, draft.amount, draft.attributes)
        except Exception as exc:
            result = WithdrawResult(Outcome.UNKNOWN, f"Unexpected error: "
                                    f"{type(exc).__name__}; check the withdrawals history.", "")
        self._sending = False
        self._count.stop()
        status = self.query_one("#withdraw-status", Static)
        if result.outcome is Outcome.DONE:
            self.app.post_message(AccountChanged(AccountChange("withdraw")))
            self.app.notify(result.message, title="Withdrawal")
            self.dismiss(result)
            return
        if result.forbidden:
            status.update(Text(result.message, style="bold yellow"))
            return
        for name, message in result.field_errors.items():
            targets = self.query(f"#{name}-error")
            if targets:
                label = targets.first(Static)
                label.update(Text(message, style="bold red"))
                label.display = True
        status.update(Text(result.message, style="red" if result.outcome is not Outcome.UNKNOWN
                           else "bold yellow"))
        if result.outcome is not Outcome.UNKNOWN:
            self.query_one("#submit", Button).disabled = False

