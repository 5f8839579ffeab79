"""Repay a margin loan: interest first, and what will remain."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from textual import on
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from alp_tui.services.format import format_exact
from alp_tui.services.margin import (
    LoanRequest,
    MarginActionResult,
    parse_amount,
    preview_repay,
)
from alp_tui.ui.modals.margin_form import OWED, MarginFormModal, parse_wallet_value


class RepayModal(MarginFormModal):
    """Repay part or all of a wallet's loans of one currency; the preview shows how the
    amount splits (accrued interest is paid first) and what remains owed."""

    TITLE_TEXT = "Repay"
    SUBMIT_LABEL = "Repay"

    def compose_fields(self) -> Iterable[Widget]:
        """Wallet (those with loans), currency (those owed), amount with a 'repay all'."""
        choices = self.wallet_choices(with_debt_only=True)
        yield self.field("wallet", "Margin wallet", Select(
            choices, value=self.default_wallet(choices), id="wallet"))
        yield self.field("currency", "Currency", Select([], id="currency"))
        yield self.field("amount", "Amount", Input(placeholder="0.00", id="amount"))
        yield Button("Everything owed", id="repay-all", compact=True)

    def owed_currencies(self) -> list[str]:
        """Currencies the chosen wallet owes."""
        wallet = self.selected_wallet()
        if wallet is None or self.snapshot is None:
            return []
        out: list[str] = []
        for loan in self.snapshot.loans_of(wallet):
            if loan.currency not in out:
                out.append(loan.currency)
        return out

    def on_mount(self) -> None:
        """Offer the currencies the wallet owes."""
        self.set_currency_options(self.owed_currencies())
        super().on_mount()

    @on(Select.Changed, "#wallet")
    def _wallet_changed(self, event: Select.Changed) -> None:
        if parse_wallet_value(event.value) is not None:
            self.set_currency_options(self.owed_currencies())

    @on(Button.Pressed, "#repay-all")
    def _repay_all(self) -> None:
        wallet = self.selected_wallet()
        currency = self.value_of(self.query_one("#currency", Select))
        if wallet is None or not currency or self.snapshot is None:
            return
        due = preview_repay(self.snapshot.loans_of(wallet, currency), Decimal(0))
        if due.total_due > 0:
            self.query_one("#amount", Input).value = format_exact(due.total_due,
                                                                  thousands=False)

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
        """Field checks, a loan to repay, not more than owed or held."""
        self.service.check_repay(self.build(), self.snapshot)

    def preview(self) -> str:
        """Owed now; with an amount, how it splits and what remains."""
        wallet = self.selected_wallet()
        currency = self.value_of(self.query_one("#currency", Select))
        if self.snapshot is None or wallet is None or not currency:
            return "No open loans." if self.snapshot is not None else ""
        loans = self.snapshot.loans_of(wallet, currency)
        raw = self.query_one("#amount", Input).value.strip()
        split = preview_repay(loans, parse_amount(raw) if raw else Decimal(0))
        lines = [f"Owed: {self.money(split.principal_due, currency, OWED)} principal + "
                 f"{self.money(split.interest_due, currency, OWED)} interest {currency}"]
        if raw:
            lines.append(f"Pays {self.money(split.interest_paid, currency)} interest first, then "
                         f"{self.money(split.principal_paid, currency)} principal")
            lines.append(f"Remains: {self.money(split.principal_left, currency, OWED)} principal + "
                         f"{self.money(split.interest_left, currency, OWED)} interest")
            if split.excess:
                lines.append(f"{self.money(split.excess, currency)} {currency} more than owed")
        return "\n".join(lines)

    async def send(self) -> MarginActionResult:
        """Send the repayment."""
        return await self.actions.repay(self.build(), self.snapshot)
