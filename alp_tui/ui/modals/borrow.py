"""Borrow in a margin wallet."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from textual import on
from textual.widget import Widget
from textual.widgets import Input, Select

from alp_tui.services.margin import LoanRequest, MarginActionResult, parse_amount
from alp_tui.ui.modals.margin_form import MarginFormModal, parse_wallet_value


class BorrowModal(MarginFormModal):
    """Open a manual loan of one currency in the cross wallet or an isolated wallet."""

    TITLE_TEXT = "Borrow"
    SUBMIT_LABEL = "Borrow"

    def compose_fields(self) -> Iterable[Widget]:
        """Wallet, currency, amount."""
        choices = self.wallet_choices()
        yield self.field("wallet", "Margin wallet", Select(
            choices, value=self.default_wallet(choices), id="wallet"))
        yield self.field("currency", "Currency", Select([], id="currency"))
        yield self.field("amount", "Amount", Input(placeholder="0.00", id="amount"))

    def on_mount(self) -> None:
        """Offer the currencies of the chosen wallet."""
        self.set_currency_options(self.currencies_for(self.selected_wallet()))
        super().on_mount()

    @on(Select.Changed, "#wallet")
    def _wallet_changed(self, event: Select.Changed) -> None:
        self.set_currency_options(self.currencies_for(parse_wallet_value(event.value)))

    def build(self) -> LoanRequest:
        """The validated request (raises MarginRequestError)."""
        wallet = self.selected_wallet()
        return LoanRequest.build(
            wallet_type=wallet.wallet_type if wallet else "",
            pair=wallet.pair if wallet else None,
            amount=self.query_one("#amount", Input).value,
            currency=self.value_of(self.query_one("#currency", Select)),
        )

    def validate_now(self) -> None:
        """Field checks before sending."""
        self.build()

    def preview(self) -> str:
        """Current debt of that currency and the wallet's margin level before / after."""
        snap = self.snapshot
        wallet = self.selected_wallet()
        currency = self.value_of(self.query_one("#currency", Select))
        if snap is None or wallet is None or not currency:
            return ""
        owed = sum((loan.borrowed + loan.interest for loan in snap.loans_of(wallet, currency)),
                   Decimal(0))
        lines = [f"Owed now: {self.money(owed, currency)} {currency}"]
        pos = snap.positions().get(wallet)
        rate = snap.prices.rate(currency)
        raw = self.query_one("#amount", Input).value
        if pos is not None and rate is not None and raw.strip():
            amount = parse_amount(raw)
            debt = pos.debt_usdt + amount * rate
            after = (pos.assets_usdt + amount * rate) / debt
            before = f"{pos.level:.3f}" if pos.level is not None else "—"
            lines.append(f"Margin level: {before} → {after:.3f}")
        return "\n".join(lines)

    async def send(self) -> MarginActionResult:
        """Send the borrow."""
        return await self.service.borrow(self.build())
