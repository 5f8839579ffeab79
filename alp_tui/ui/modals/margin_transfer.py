"""Transfer between spot and a margin wallet (ADD: spot → margin, SUB: margin → spot)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from textual import on
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from alp_tui.api.enums import MarginDirection
from alp_tui.services.format import format_exact
from alp_tui.services.margin import MarginActionResult, TransferRequest
from alp_tui.ui.modals.margin_form import AT_MOST, MarginFormModal, parse_wallet_value


class MarginTransferModal(MarginFormModal):
    """Move funds into or out of the cross wallet or an isolated wallet."""

    TITLE_TEXT = "Margin transfer"
    SUBMIT_LABEL = "Transfer"

    def __init__(self, *args: object, direction: MarginDirection = MarginDirection.ADD,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.initial_direction = direction

    def compose_fields(self) -> Iterable[Widget]:
        """Direction, wallet, currency, amount, note."""
        yield self.field("direction", "Direction", Select(
            [("ADD: spot → margin", MarginDirection.ADD.value),
             ("SUB: margin → spot", MarginDirection.SUB.value)],
            value=self.initial_direction.value, allow_blank=False, id="direction"))
        choices = self.wallet_choices()
        yield self.field("wallet", "Margin wallet", Select(
            choices, value=self.default_wallet(choices), id="wallet"))
        yield self.field("currency", "Currency", Select([], id="currency"))
        yield self.field("amount", "Amount", Input(placeholder="0.00", id="amount"))
        yield Button("All available", id="transfer-max", compact=True)
        yield self.field("note", "Note (optional)", Input(id="note"))

    def on_mount(self) -> None:
        """Offer the currencies of the chosen wallet."""
        self.set_currency_options(self.currencies_for(self.selected_wallet()))
        super().on_mount()

    @on(Select.Changed, "#wallet")
    def _wallet_changed(self, event: Select.Changed) -> None:
        self.set_currency_options(self.currencies_for(parse_wallet_value(event.value)))

    def available_now(self) -> Decimal | None:
        """What the chosen side holds of the chosen currency (None when unknown)."""
        snap = self.snapshot
        wallet = self.selected_wallet()
        currency = self.value_of(self.query_one("#currency", Select))
        if snap is None or wallet is None or not currency:
            return None
        if self.value_of(self.query_one("#direction", Select)) == MarginDirection.SUB.value:
            return snap.wallet_available(wallet, currency)
        return snap.spot_available(currency)

    @on(Button.Pressed, "#transfer-max")
    def _fill_max(self) -> None:
        have = self.available_now()
        if have is not None and have > 0:
            self.query_one("#amount", Input).value = format_exact(have, thousands=False)

    def build(self) -> TransferRequest:
        """The validated request (raises MarginRequestError)."""
        wallet = self.selected_wallet()
        return TransferRequest.build(
            wallet_type=wallet.wallet_type if wallet else "",
            pair=wallet.pair if wallet else None,
            direction=self.value_of(self.query_one("#direction", Select)) or "",
            amount=self.query_one("#amount", Input).value,
            currency=self.value_of(self.query_one("#currency", Select)),
            note=self.query_one("#note", Input).value,
        )

    def validate_now(self) -> None:
        """Field checks and the available balance, before sending."""
        self.service.check_transfer(self.build(), self.snapshot)

    def preview(self) -> str:
        """What is available on the side the funds leave."""
        have = self.available_now()
        wallet = self.selected_wallet()
        currency = self.value_of(self.query_one("#currency", Select))
        if have is None or wallet is None:
            return ""
        amount = f"{self.money(have, currency or '', AT_MOST)} {currency}"
        if self.value_of(self.query_one("#direction", Select)) == MarginDirection.SUB.value:
            return f"Available in the {wallet.label} wallet: {amount}"
        return f"Available in spot: {amount}"

    async def send(self) -> MarginActionResult:
        """Send the transfer."""
        return await self.actions.transfer(self.build(), self.snapshot)
