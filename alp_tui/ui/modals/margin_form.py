"""What the margin modals share: wallet and currency pickers, errors under fields, sending.

Each margin modal (transfer, borrow, repay, close position) is a :class:`MarginFormModal`:
it validates its fields through :mod:`alp_tui.services.margin` before anything is sent,
shows every field's problem under that field, sends through :class:`MarginService` in a
worker, and dismisses with the :class:`MarginActionResult` (or ``None`` when cancelled).
A refusal by the exchange stays on the form: field errors under their fields, anything
else (a 403 explained in words) at the bottom.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from alp_tui.api.enums import WalletType, normalize_pair
from alp_tui.services.format import format_money
from alp_tui.services.margin import (
    MarginActionResult,
    MarginRequestError,
    MarginService,
    MarginSnapshot,
    explain,
)
from alp_tui.services.margin_alerts import WalletKey
from alp_tui.session.actions import ActionPort, ServiceActions
from alp_tui.ui.modals.form_parts import QUIT_FROM_FORM, SendingCount

CROSS = WalletKey(WalletType.CROSS_MARGIN)
AT_MOST = ROUND_DOWN  # what is available, the most that can be borrowed: never more
OWED = ROUND_UP  # what is owed: paying the amount shown clears it
MARGIN_CSS = Path(__file__).resolve().parent.parent / "margin.tcss"


def wallet_value(key: WalletKey) -> str:
    """The Select value naming a wallet: ``CROSS_MARGIN`` or ``ISOLATED_MARGIN:BTC_USDT``."""
    if key.wallet_type is WalletType.ISOLATED_MARGIN:
        return f"{key.wallet_type.value}:{key.pair}"
    return key.wallet_type.value


def parse_wallet_value(value: object) -> WalletKey | None:
    """The wallet a Select value names, or None (blank)."""
    if not isinstance(value, str) or not value:
        return None
    kind, _, pair = value.partition(":")
    try:
        wt = WalletType(kind)
    except ValueError:
        return None
    return WalletKey(wt, normalize_pair(pair) if pair else None)


def wallet_title(key: WalletKey) -> str:
    """``Cross margin`` or ``Isolated BTC_USDT``."""
    if key.wallet_type is WalletType.ISOLATED_MARGIN:
        return f"Isolated {key.pair}"
    return "Cross margin"


class MarginFormModal(ModalScreen[MarginActionResult | None]):
    """Base of the margin modals. Subclasses compose fields with :meth:`field` and
    implement :meth:`send` (and usually :meth:`preview`)."""

    CSS_PATH = MARGIN_CSS
    TITLE_TEXT = "Margin"
    SUBMIT_LABEL = "Send"
    # Keyboard first, as the order form: the wallet and currency open chosen, so the
    # digits typed at once are the amount (else the scroll area took the focus).
    AUTO_FOCUS = "#amount"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="margin_form.cancel",
                tooltip="Close the form without sending"),
        Binding("ctrl+s", "submit", "Send", id="margin_form.submit",
                tooltip="Validate and send the request"),
        QUIT_FROM_FORM,
    ]

    def __init__(
        self,
        service: MarginService,
        snapshot: MarginSnapshot | None = None,
        *,
        pair: str | None = None,
        wallet: WalletKey | None = None,
        currency: str | None = None,
        places: Mapping[str, int] | None = None,
        actions: ActionPort | None = None,
    ) -> None:
        super().__init__(classes="margin-modal")
        self.service = service
        # Sends through the session's actions (it re-reads the account after); built
        # alone (tests), through the service's own.
        self.actions: ActionPort = actions or ServiceActions(margin=service)
        # Display decimals per currency (services.format.currency_places of the market's
        # pairs), handed in by the opener: a modal never reads the app.
        self.places: Mapping[str, int] = places or {}
        self.snapshot = snapshot or service.snapshot
        self.pair = normalize_pair(pair) if pair else None
        self.initial_wallet = wallet
        self.initial_currency = currency
        self.busy = False
        self.locked = False  # an answer that never came: this form sends nothing more
        self._count = SendingCount(self, "#form-error")

    # --- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Title, the subclass's fields, a preview, the form error and the buttons."""
        with Vertical(id="margin-dialog"):
            yield Label(self.TITLE_TEXT, id="margin-title")
            # Fields and preview scroll in a short terminal; the buttons stay in view.
            with VerticalScroll(id="margin-fields"):
                yield from self.compose_fields()
                yield Static("", id="margin-preview")
                yield Static("", id="form-error", classes="form-error")
            with Horizontal(id="margin-buttons"):
                yield Button(self.SUBMIT_LABEL, id="submit", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()  # this form's keys, not the dashboard's underneath

    def compose_fields(self) -> Iterable[Widget]:
        """The form's fields; each through :meth:`field`."""
        return ()

    def field(self, name: str, label: str, widget: Widget) -> Vertical:
        """A labelled field with an error line under it (``#<name>-error``)."""
        return Vertical(
            Label(label, classes="field-label"),
            widget,
            Static("", id=f"{name}-error", classes="field-error"),
            classes="field",
            id=f"{name}-field",
        )

    def on_mount(self) -> None:
        """Fill pickers that depend on the snapshot and draw the first preview."""
        self.refresh_preview()

    # --- numbers -----------------------------------------------------------------------
    def money(self, value: Decimal, currency: str, rounding: str = ROUND_HALF_EVEN) -> str:
        """``value`` at ``currency``'s display precision (:attr:`places`), with
        separators; exact to 8 decimals when no pair lists the currency. ``rounding``
        for a figure that must not promise more than is there: what is available or the
        most that can be borrowed rounds down, what is owed rounds up."""
        return format_money(value, currency, self.places, rounding=rounding)

    # --- wallet / currency helpers -------------------------------------------------------
    def wallet_choices(self, *, with_debt_only: bool = False) -> list[tuple[str, str]]:
        """Cross plus every isolated wallet known (and the selected pair's)."""
        keys: list[WalletKey] = []
        snap = self.snapshot
        positions = snap.positions() if snap else {}
        if with_debt_only:
            keys = [k for k, p in positions.items() if p.debts]
        else:
            keys = [CROSS]
            if self.pair:
                keys.append(WalletKey(WalletType.ISOLATED_MARGIN, self.pair))
            keys.extend(k for k in positions if k not in keys)
        if self.initial_wallet and self.initial_wallet not in keys and not with_debt_only:
            keys.append(self.initial_wallet)
        return [(wallet_title(k), wallet_value(k)) for k in keys]

    def default_wallet(self, choices: list[tuple[str, str]]) -> str | Any:
        """The initial wallet's value if offered, else the first choice, else blank."""
        values = [v for _, v in choices]
        if self.initial_wallet and wallet_value(self.initial_wallet) in values:
            return wallet_value(self.initial_wallet)
        return values[0] if values else Select.BLANK

    def selected_wallet(self, select_id: str = "#wallet") -> WalletKey | None:
        """The wallet the form's wallet Select names."""
        return parse_wallet_value(self.query_one(select_id, Select).value)

    def currencies_for(self, wallet: WalletKey | None) -> list[str]:
        """Currencies that make sense for ``wallet``: an isolated pair's two, or, for
        cross, what the wallet and spot hold or owe plus the selected pair's."""
        if wallet is None:
            return []
        if wallet.pair:
            return wallet.pair.split("_")
        seen: list[str] = []
        if self.pair:
            seen.extend(self.pair.split("_"))
        snap = self.snapshot
        if snap:
            for b in snap.balances:
                if b.wallet_type in (WalletType.SPOT, WalletType.CROSS_MARGIN) and b.balance:
                    seen.append(b.currency)
            seen.extend(loan.currency for loan in snap.loans)
        seen.append("USDT")
        out: list[str] = []
        for c in seen:
            if c not in out:
                out.append(c)
        return out

    def set_currency_options(self, currencies: list[str], select_id: str = "#currency") -> None:
        """Refill a currency Select, keeping the choice when still offered."""
        select = self.query_one(select_id, Select)
        current = select.value
        select.set_options([(c, c) for c in currencies])
        if isinstance(current, str) and current in currencies:
            select.value = current
        elif self.initial_currency in currencies:
            select.value = self.initial_currency
        elif currencies:
            select.value = currencies[0]

    @staticmethod
    def value_of(select: Select[Any]) -> str | None:
        """A Select's value as text, None when blank."""
        value = select.value
        return value if isinstance(value, str) else None

    # --- errors --------------------------------------------------------------------------
    FIELD_ALIASES: dict[str, str] = {"pair": "wallet", "wallet_type": "wallet"}

    def clear_errors(self) -> None:
        """Empty every error line."""
        for widget in self.query(".field-error, .form-error"):
            if isinstance(widget, Static):
                widget.update("")
        for widget in self.query(".-invalid-field"):
            widget.remove_class("-invalid-field")

    def show_error(self, exc: MarginRequestError) -> None:
        """Put each field's problem under it; the rest at the bottom."""
        self.clear_errors()
        leftovers: list[str] = []
        for name, text in exc.field_errors.items():
            target = self.FIELD_ALIASES.get(name, name)
            found = self.query(f"#{target}-error")
            if found:
                found.first(Static).update(Text(text))
                for field in self.query(f"#{target}-field"):
                    field.add_class("-invalid-field")
            else:
                leftovers.append(f"{name}: {text}")
        bottom = exc.message
        if leftovers:
            bottom = f"{bottom} ({'; '.join(leftovers)})"
        self.query_one("#form-error", Static).update(Text(bottom))

    # --- preview -------------------------------------------------------------------------
    def preview(self) -> str:
        """Text under the fields telling what will happen (subclasses)."""
        return ""

    def refresh_preview(self) -> None:
        """Redraw the preview; never raises."""
        try:
            text = self.preview()
        except MarginRequestError:
            text = ""
        self.query_one("#margin-preview", Static).update(Text(text))

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if not (self.busy or self.locked):  # a lost answer's warning stays
            self.clear_errors()  # what was said is about the values before this change
        self.refresh_preview()

    # --- sending -------------------------------------------------------------------------
    async def send(self) -> MarginActionResult:
        """Validate and send; raise :class:`MarginRequestError` when refused."""
        raise NotImplementedError

    def validate_now(self) -> None:
        """Checks run before the worker starts (subclasses raise MarginRequestError)."""

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        """Close without sending."""
        if not self.busy:
            self.dismiss(None)

    def action_submit(self) -> None:
        """Validate, then send in a worker."""
        if self.busy or self.locked:
            return
        try:
            self.validate_now()
        except MarginRequestError as exc:
            self.show_error(exc)
            return
        self.clear_errors()
        self.busy = True
        self.query_one("#submit", Button).disabled = True
        # Once a second while the answer is out: against a frozen exchange the send and
        # the lookup after it each wait a whole timeout.
        self._count.start()
        self._send_worker()

    @work(exclusive=True, group="margin-action", exit_on_error=False)
    async def _send_worker(self) -> None:
        try:
            try:
                result = await self.send()
            finally:
                self._count.stop()
        except MarginRequestError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # never a traceback: say what happened on the form
            self._fail(MarginRequestError(explain(exc), sent=True))
            return
        self.busy = False
        self.dismiss(result)

    def _fail(self, exc: MarginRequestError) -> None:
        self.busy = False
        submit = self.query_one("#submit", Button)
        if exc.unknown:  # it may have gone through: a second send could do it twice
            self.locked = True
            submit.label = "Locked"
        else:
            submit.disabled = False
        self.show_error(exc)
