"""Close a margin position, after showing what will be bought or sold and repaid."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widget import Widget
from textual.widgets import Select

from alp_tui.services.margin import MarginActionResult, MarginRequestError, preview_close
from alp_tui.ui.modals.margin_form import OWED, MarginFormModal


class ClosePositionModal(MarginFormModal):
    """Confirm closing a wallet's position: the exchange buys what the wallet owes but
    does not hold (paying with its other assets), then repays every loan."""

    TITLE_TEXT = "Close margin position"
    SUBMIT_LABEL = "Close position"
    AUTO_FOCUS = "#wallet"  # no amount here: the one choice there is

    def compose_fields(self) -> Iterable[Widget]:
        """The wallet to close (those with loans)."""
        choices = self.wallet_choices(with_debt_only=True)
        yield self.field("wallet", "Margin wallet", Select(
            choices, value=self.default_wallet(choices), id="wallet"))

    def validate_now(self) -> None:
        """A wallet with something to close."""
        wallet = self.selected_wallet()
        if wallet is None:
            raise MarginRequestError("Choose a wallet with an open position.",
                                     field_errors={"wallet": "no wallet chosen"})
        if self.snapshot is not None and preview_close(self.snapshot, wallet).empty:
            raise MarginRequestError("Nothing to close in that wallet.",
                                     field_errors={"wallet": "no open loans"})

    def preview(self) -> str:
        """The trades and repayments the close will make."""
        wallet = self.selected_wallet()
        if wallet is None:
            return "No open position." if self.snapshot is not None else ""
        if self.snapshot is None:
            return "The exchange will sell what is needed to repay every loan."
        plan = preview_close(self.snapshot, wallet)
        if plan.empty:
            return "Nothing to close."
        lines = ["This will cancel the wallet's open orders, then:"]
        lines.extend(f"  {leg.describe}" for leg in plan.legs)
        if not plan.legs:
            lines.append("  trade nothing (the wallet holds what it owes)")
        lines.extend(f"  repay {self.money(amount, currency, OWED)} {currency}"
                     for currency, amount in sorted(plan.repays.items()))
        for currency, amount in sorted(plan.uncovered.items()):
            lines.append(f"  (the wallet cannot cover {self.money(amount, currency)} {currency})")
        lines.append("Amounts are estimates at the last price; the exchange fills at market.")
        return "\n".join(lines)

    async def send(self) -> MarginActionResult:
        """Send the close."""
        wallet = self.selected_wallet()
        if wallet is None:
            raise MarginRequestError("Choose a wallet with an open position.",
                                     field_errors={"wallet": "no wallet chosen"})
        return await self.actions.close_position(wallet.wallet_type, wallet.pair)
