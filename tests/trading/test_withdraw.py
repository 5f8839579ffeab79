"""The withdrawal flow against the simulator, and the 403 for a key without Can Withdraw."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Input, Select, Static

from alp_tui.api.client import AlpClient
from alp_tui.services.journal import EntryState, Journal
from alp_tui.services.order_draft import build_withdraw
from alp_tui.services.trading import TradingService
from alp_tui.sim.exchange import ApiKeyRecord
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.withdraw import WithdrawModal
from tests.support.wait import settle

TRC20_ADDRESS = "T" + "A1b2C3d4E5f6G7h8J9k1M2n3P4q5R6s7T"  # 34 characters


class Host(App[None]):
    def __init__(self, service: TradingService, available: Decimal | None) -> None:
        super().__init__()
        self.service = service
        self.available = available
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(WithdrawModal(self.service, "USDT", available=self.available),
                         self.results.append)


async def test_withdraw_flow_validates_confirms_and_requests(service: TradingService,
                                                             journal: Journal) -> None:
    app = Host(service, Decimal("100000"))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, WithdrawModal)
        modal.query_one("#method", Select).value = 3  # TRC20
        await settle(pilot)
        modal.query_one("#amount", Input).value = "1.123456789"
        await pilot.pause()
        assert "At most 8 decimals" in str(modal.query_one("#amount-error", Static).render())
        modal.query_one("#amount", Input).value = "5"
        await pilot.pause()
        assert "Minimum is 10" in str(modal.query_one("#amount-error", Static).render())
        modal.query_one("#amount", Input).value = "25"
        modal.review()
        await pilot.pause()
        assert "Address is required" in str(
            modal.query_one("#attr-address-error", Static).render())
        modal.query_one("#attr-address", Input).value = TRC20_ADDRESS
        await pilot.pause()
        modal.review()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert "25 USDT" in body and "TRC20" in body and TRC20_ADDRESS in body
        assert "Fee" in body
        await pilot.press("enter")
        await settle(pilot)
        assert app.results and app.results[0].withdrawal_id is not None
    rows = await service.client.withdrawals(currency="USDT")
    assert any(w.id == app.results[0].withdrawal_id for w in rows)
    entries = [e for e in journal.entries() if e.kind == "withdraw"]
    assert entries[0].state is EntryState.DONE
    assert TRC20_ADDRESS not in str(entries[0].request)  # masked in the journal


async def test_key_without_withdraw_flag_is_explained(sim_server: Any, tmp_path: Path) -> None:
    sim_server.exchange.add_api_key(ApiKeyRecord("no-withdraw-key", "s" * 32,
                                                 sim_server.account_id, can_withdraw=False))
    async with AlpClient(sim_server.base_url, "no-withdraw-key", "s" * 32) as client:
        service = TradingService(client, Journal(tmp_path / "j.sqlite3"))
        app = Host(service, None)
        async with app.run_test(size=(120, 50)) as pilot:
            await settle(pilot)
            status = str(app.screen.query_one("#withdraw-status", Static).render())
            assert "lacks the “Can Withdraw” permission" in status
        # The service explains it the same way when the request itself is refused.
        from alp_tui.api.models import WithdrawMethod

        method = WithdrawMethod(id=3, network="TRC20", currency="USDT")
        result = await service.withdraw(method, Decimal("25"), {"address": TRC20_ADDRESS})
        assert result.forbidden and "Can Withdraw" in result.message


def test_build_withdraw_pure() -> None:
    from alp_tui.api.models import MethodAttribute, WithdrawMethod

    method = WithdrawMethod(id=1, network="X", currency="XRP", fee_amount=Decimal("0.2"),
                            fee_rate=Decimal("0.001"), min_withdraw=Decimal("20"),
                            max_withdraw=Decimal("1000"),
                            attributes=[MethodAttribute(key="address"),
                                        MethodAttribute(key="memo")])
    draft, errors = build_withdraw(method, "100", {"address": "rABC"}, Decimal("100.2"))
    assert draft is None
    assert errors == {"amount": "Needs 100.3 XRP with the fee 0.3; "
                                "100.2 available", "attr-memo": "Memo is required"}
    draft, errors = build_withdraw(method, "100", {"address": "rABC", "memo": "7"}, None)
    assert draft is not None and draft.fee == Decimal("0.3") and not errors
