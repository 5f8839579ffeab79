"""Borrow in a margin wallet."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from textual import on, work
from textual.widget import Widget
from textual.widgets import Input, Select

from alp_tui.services.format import format_decimal
from alp_tui.services.margin import LoanRequest, MarginActionResult, parse_amount
from alp_tui.services.margin_limits import borrow_room, latest_rate
from alp_tui.ui.modals.margin_form import AT_MOST, OWED, MarginFormModal, parse_wallet_value


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

    _rates: dict[str, Decimal | None]

    def on_mount(self) -> None:
        """Offer the currencies of the chosen wallet; look up the rates the exchange set."""
        self._rates = {}
        self.set_currency_options(self.currencies_for(self.selected_wallet()))
        super().on_mount()
        self._load_rates()

    @work(exclusive=True, group="borrow_rates", exit_on_error=False)
    async def _load_rates(self) -> None:
        """The account's borrow history: the latest rate per currency (no rate schedule is
        published; shown as unknown when the history cannot be read)."""
        try:
            self._borrows = list(await self.service.client.borrows())  # type: ignore[attr-defined]
        except Exception:  # the rate is then "not known": the borrow itself still works
            self._borrows, self._rates_unread = [], True
        self.refresh_preview()

    _borrows: list[Any] | None = None
    _rates_unread = False  # the history could not be read: no rate is "unknown", not "none"

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
        lines = [f"Owed now: {self.money(owed, currency, OWED)} {currency}"]
        room = borrow_room(snap, wallet, currency)
        if room is not None:
            most = "—" if room.maximum is None else self.money(room.maximum, currency, AT_MOST)
            lines.append(f"Maximum now ≈ {most} {currency}  ({room.leverage:f}x leverage: "
                         "debt at most "
                         f"{room.leverage - 1:f} × equity)")
        if self._borrows is None:
            lines.append("Rate: looking up…")
        elif self._rates_unread:
            lines.append("Rate: unknown (your borrow history could not be read); the "
                         "exchange sets it when the loan opens")
        elif (rate := latest_rate(self._borrows, currency, wallet)) is not None:
            lines.append(f"Rate: {format_decimal(rate * 100, 5)} % an hour "
                         f"(≈ {format_decimal(rate * 2400, 3)} % a day), as on your latest "
                         f"{currency} borrow")
        else:
            lines.append(f"Rate: set by the exchange when the loan opens (no earlier "
                         f"{currency} borrow to show it)")
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
        return await self.actions.borrow(self.build())
