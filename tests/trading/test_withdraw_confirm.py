"""The withdrawal confirm says what the trader needs before an irreversible action: the
amount, the fee, what arrives and the balance after, right whether the network's fee comes
on top of the amount (the simulator's methods) or out of it (a ``fee_included`` method)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App
from textual.widgets import Input, Select, Static

from alp_tui.api.enums import WalletType
from alp_tui.api.models import MethodAttribute, WithdrawMethod
from alp_tui.services.order_draft import build_withdraw
from alp_tui.services.trading import TradingService
from alp_tui.services.withdraw_draft import max_withdraw
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from tests.support.wait import settle

BTC_ADDRESS = "bc1q" + "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9"  # 42 characters


class Host(App[None]):
    def __init__(self, service: TradingService, currency: str,
                 available: Decimal | None, places: int | None = None) -> None:
        super().__init__()
        self.service, self.currency, self.available = service, currency, available
        self.places = places

    def on_mount(self) -> None:
        self.push_screen(WithdrawModal(self.service, self.currency, available=self.available,
                                       places=self.places))


async def _btc_available(service: TradingService) -> Decimal:
    return sum((b.available for b in await service.balances()
                if b.currency == "BTC" and b.wallet_type is WalletType.SPOT), Decimal(0))


def _rows(body: str) -> dict[str, str]:
    out = {}
    for line in body.splitlines():
        label, _, value = line.strip().partition("  ")
        if value:
            out[label.strip()] = value.strip()
    return out


async def test_fee_on_top_confirm_matches_the_simulators_balance(
        service: TradingService) -> None:
    available = await _btc_available(service)
    amount = (available - Decimal("0.00499")).quantize(Decimal("1e-8"))
    app = Host(service, "BTC", available)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, WithdrawModal)
        modal.query_one("#method", Select).value = 1  # BTC network, fee 0.0002 on top
        await settle(pilot)
        modal.query_one("#amount", Input).value = str(amount)
        modal.query_one("#attr-address", Input).value = BTC_ADDRESS
        await pilot.pause()
        modal.review()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        rows = _rows(str(app.screen.query_one("#confirm-body", Static).render()))
        fee = Decimal("0.0002")
        after = available - amount - fee  # 0.00479, not "0.0102" (amount + fee)
        assert rows["Fee"].startswith("0.0002 BTC")
        assert rows["Arrives"].replace(",", "") == f"{amount.normalize():f} BTC"
        assert rows["Balance pays"].replace(",", "") == f"{(amount + fee).normalize():f} BTC"
        assert rows["Balance after"] == f"{after.normalize():f} BTC"
        await pilot.press("enter")
        await settle(pilot)
    assert await _btc_available(service) == after  # what the confirm said is what happened


def test_fee_included_and_fee_on_top_drafts() -> None:
    attrs = [MethodAttribute(key="address")]
    on_top = WithdrawMethod(id=1, network="BTC", currency="BTC", fee_amount=Decimal("0.0002"),
                            attributes=attrs)
    included = WithdrawMethod.model_validate({**on_top.model_dump(), "fee_included": True})
    have = Decimal("2.00499")
    draft, errors = build_withdraw(on_top, "2", {"address": "bc1qx"}, have)
    assert draft is not None and not errors
    assert (draft.total, draft.received, draft.balance_after(have)) == (
        Decimal("2.0002"), Decimal("2"), Decimal("0.00479"))
    draft, errors = build_withdraw(included, "2", {"address": "bc1qx"}, have)
    assert draft is not None and not errors
    assert (draft.total, draft.received, draft.balance_after(have)) == (
        Decimal("2"), Decimal("1.9998"), Decimal("0.00499"))
    # the whole balance can go out when the fee is included, not when it is on top
    assert build_withdraw(included, "2.00499", {"address": "x"}, have)[0] is not None
    assert "Needs 2.00519 BTC" in build_withdraw(on_top, "2.00499", {"address": "x"},
                                                 have)[1]["amount"]
    assert "nothing would arrive" in build_withdraw(included, "0.0002", {"address": "x"},
                                                    have)[1]["amount"]


async def test_usdt_shown_in_cents_never_more_than_there_is(service: TradingService) -> None:
    """USDT at its 2 display decimals: the available rounds down (98,015.87, not .88), Max
    fills the most whose amount plus fee fits, the confirm's costs round up and what is
    left rounds down; an amount with more decimals than shown is refused, so what is sent
    is what the confirm says."""
    available = Decimal("98015.876544")
    app = Host(service, "USDT", available, places=2)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, WithdrawModal)
        modal.query_one("#method", Select).value = 3  # TRC20, fee 1 on top
        await settle(pilot)
        note = str(modal.query_one("#withdraw-note", Static).render())
        assert "Available 98,015.87 USDT" in note
        modal.query_one("#amount", Input).value = "25.123"
        modal.query_one("#attr-address", Input).value = "T" + "c" * 33
        await pilot.pause()
        assert "At most 2 decimals" in str(modal.query_one("#amount-error", Static).render())
        await pilot.click("#withdraw-max")
        await pilot.pause()
        assert modal.query_one("#amount", Input).value == "98014.87"
        modal.review()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        rows = _rows(str(app.screen.query_one("#confirm-body", Static).render()))
        assert rows["Amount"] == "98,014.87 USDT"
        assert rows["Fee"].startswith("1.00 USDT")
        assert rows["Balance pays"] == "98,015.87 USDT"
        assert rows["Balance after"] == "0.00 USDT"  # 0.006544 left, never "0.01"


def test_max_fits_the_fee_on_its_own_grid() -> None:
    attrs = [MethodAttribute(key="address")]
    rated = WithdrawMethod(id=1, network="T", currency="USDT", fee_amount=Decimal(1),
                           fee_rate=Decimal("0.001"), attributes=attrs)
    have = Decimal("100.005")
    most = max_withdraw(rated, have, 2)
    assert most == Decimal("98.90")
    draft, _errors = build_withdraw(rated, f"{most}", {"address": "x"}, have, 2)
    assert draft is not None and draft.total <= have
    assert build_withdraw(rated, f"{most + Decimal('0.01')}", {"address": "x"}, have, 2)[1]
    included = WithdrawMethod.model_validate({**rated.model_dump(), "fee_included": True,
                                              "max_withdraw": Decimal(50)})
    assert max_withdraw(included, have, 2) == Decimal(50)
    assert max_withdraw(rated, Decimal("0.5"), 2) is None
