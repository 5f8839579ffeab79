"""The dashboard acts through the session: the open-orders pane's cancel, the order form
and the margin forms call the session's actions (which re-read the account), never a
service of their own; against the simulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select, TabbedContent

from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.config import Config
from alp_tui.services.order_draft import OrderDraft
from alp_tui.ui.app import create_app
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.panes.open_orders import OpenOrdersPane
from tests.support.wait import wait_until

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the journal


def _app(server: Any, tmp_path: Path) -> Any:
    app = create_app(Config(), base_url=server.base_url, api_key=server.api_key,
                     api_secret=server.api_secret, mode="demo")
    app.journal_path = tmp_path / "journal.sqlite3"
    return app


def _spy(session: Any, name: str) -> list[tuple[Any, ...]]:
    """Record each call of ``session.<name>`` (it still acts)."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(session, name)

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return await real(*args, **kwargs)

    setattr(session, name, spy)
    return calls


async def test_cancel_from_the_open_orders_pane_goes_through_the_session(
        sim_server: Any, tmp_path: Path) -> None:
    app = _app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        await wait_until(pilot, lambda: session.trading is not None
                         and "orders" in session.account.snapshot.known, what="session")
        low = sim_server.exchange.last_price("BTC_USDT") * Decimal("0.8")
        placed = await session.place_order(OrderDraft(
            pair="BTC_USDT", side=OrderSide.BID, order_type=OrderType.LIMIT,
            wallet_type=WalletType.SPOT, base_amount=Decimal("0.01"),
            limit_price=Decimal(f"{low:.2f}"), tif=TimeInForce.GTC))
        oid = placed.order_ids[0]
        pane = app.query_one(OpenOrdersPane)
        await wait_until(pilot, lambda: pane.selected_order() is not None, what="the order")
        calls = _spy(session, "cancel")
        app.query_one("#orders-table").focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(calls) and pane.selected_order() is None,
                         what="cancelled")
        assert calls[0][0][0] == [oid]
        assert oid not in {o.id for o in session.account.snapshot.open_orders}
        rows = sim_server.exchange.orders(sim_server.account_id)
        assert next(r for r in rows if int(r["id"]) == oid)["status"] == "CANCELLED"


async def test_a_margin_form_sends_through_the_session(sim_server: Any,
                                                        tmp_path: Path) -> None:
    from alp_tui.ui.modals.margin_transfer import MarginTransferModal
    from alp_tui.ui.panes.margin import MarginPane

    app = _app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        await wait_until(pilot, lambda: session.margin is not None, what="session")
        calls = _spy(session, "transfer")
        app.query_one("#account-tabs", TabbedContent).active = "margin"
        pane = app.query_one(MarginPane)
        await wait_until(pilot, lambda: pane.display, what="margin pane")
        app.query_one("#margin-loans").focus()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, MarginTransferModal),
                         what="form")
        modal = app.screen
        modal.query_one("#wallet", Select).value = "CROSS_MARGIN"
        await pilot.pause()
        modal.query_one("#currency", Select).value = "USDT"
        modal.query_one("#amount", Input).value = "250"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, MarginTransferModal),
                         what="sent")
        assert len(calls) == 1
        await wait_until(pilot, lambda: any(
            b.wallet_type is WalletType.CROSS_MARGIN and b.balance == 250
            for b in session.account.snapshot.balances), what="the re-read")


async def test_header_chip_and_margin_pane_show_the_same_level_after_a_borrow(
        sim_server: Any, tmp_path: Path) -> None:
    from alp_tui.api.client import AlpClient
    from alp_tui.ui.modals.borrow import BorrowModal
    from alp_tui.ui.panes.margin import MarginPane
    from alp_tui.ui.widgets.margin_chip import MarginChip

    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         10) as client:
        await client.margin_transfer("CROSS_MARGIN", "ADD", Decimal(1000), "USDT")
        await client.borrow(Decimal(250), "USDT", "CROSS_MARGIN")  # level 1,250 / 250 = 5
    app = _app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chip = app.query_one(MarginChip)
        pane = app.query_one(MarginPane)

        def levels() -> str:
            return str(pane.query_one("#margin-levels").render())

        await wait_until(pilot, lambda: "margin 5.000 cross" in chip.text
                         and "5.000" in levels(), what="level 5 in the chip and the pane")
        calls = _spy(app.session, "borrow")
        pane.query_one("#margin-loans").focus()
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, BorrowModal), what="form")
        modal = app.screen
        modal.query_one("#wallet", Select).value = "CROSS_MARGIN"
        await pilot.pause()
        modal.query_one("#currency", Select).value = "USDT"
        modal.query_one("#amount", Input).value = "250"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, BorrowModal), what="sent")
        assert len(calls) == 1
        # 1,500 / 500: both show the session's one number, neither a level of its own
        await wait_until(pilot, lambda: "margin 3.000 cross" in chip.text
                         and "3.000" in levels() and "5.000" not in levels(),
                         what="level 3 in the chip and the pane")
        worst = app.session.account.snapshot.worst
        assert worst is not None and worst.level == 3


async def test_the_margin_pane_draws_the_snapshot_handed_in_not_its_own_sums() -> None:
    from dataclasses import replace

    from textual.app import App, ComposeResult

    from alp_tui.api.models import Balance, Loan, Ticker
    from alp_tui.services.margin_alerts import MarginBand
    from alp_tui.session import AccountState, WalletLevel
    from alp_tui.ui.panes.margin import MarginPane

    state = AccountState()
    state.pair = "BTC_USDT"
    price = Decimal(40000)
    state.set_tickers([Ticker(pair="BTC_USDT", last=price, vol=Decimal(1), high=price,
                              low=price, timestamp=Decimal(1))])
    state.set_balances([Balance(balance=Decimal(1500), reserve=Decimal(0), currency="USDT",
                                wallet_type=WalletType.CROSS_MARGIN)])
    state.set_loans([Loan(id=1, borrowed=Decimal(500), interest=Decimal(0), currency="USDT",
                          wallet_type=WalletType.CROSS_MARGIN)])
    real = state.build()
    assert real.worst is not None and real.worst.level == 3
    # a snapshot whose level is not what its loans and balances add up to: the pane must
    # show the session's number (and band), not work one out
    told = replace(real, levels=(WalletLevel(real.worst.wallet, Decimal("1.234"),
                                             MarginBand.DANGER, updating=True),))

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield MarginPane()

    async with Host().run_test(size=(160, 30)) as pilot:
        pane = pilot.app.query_one(MarginPane)
        pane.show_account(told)
        await pilot.pause()
        text = str(pane.query_one("#margin-levels").render())
        assert "1.234" in text and "NEAR LIQUIDATION" in text.upper() and "3.000" not in text
        assert "updating" in text
        pane.show_data(real.margin)  # the topic's own reading is not drawn over it
        await pilot.pause()
        assert "1.234" in str(pane.query_one("#margin-levels").render())
