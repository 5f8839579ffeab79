"""Pilot tests of the margin pane, modals and history against an in-memory client.

Margin alerts are the session's: ``tests/session/test_session_margin_alerts.py``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from margin_support import FakeMarginClient, MarginHost
from textual.widgets import DataTable, Input, Select, Static

from alp_tui.api.models import Balance
from alp_tui.services.journal import Journal
from alp_tui.services.margin import MarginService
from alp_tui.ui.modals.borrow import BorrowModal
from alp_tui.ui.modals.margin_transfer import MarginTransferModal
from alp_tui.ui.panes.margin import MarginPane
from alp_tui.ui.panes.margin_history import MarginHistoryPane
from alp_tui.ui.widgets.alert_banner import AlertBanner
from tests.support.wait import workers_done


def _text(app: MarginHost, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _refresh(app: MarginHost, service: MarginService) -> None:
    app.query_one(MarginPane).show_data(await service.fetch_snapshot())


async def test_transfer_borrow_and_levels(
    fake_client: FakeMarginClient, journal: Journal, tmp_path: Path
) -> None:
    service = MarginService(fake_client, journal=journal)
    app = MarginHost(service, export_dir=tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await _refresh(app, service)
        pane = app.query_one(MarginPane)
        pane.focus()
        await pilot.press("t")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, MarginTransferModal)
        modal.query_one("#wallet", Select).value = "ISOLATED_MARGIN:BTC_USDT"
        await pilot.pause()
        modal.query_one("#currency", Select).value = "USDT"
        # too much: refused before sending, error under the amount field
        modal.query_one("#amount", Input).value = "20000"
        await pilot.click("#submit")
        await pilot.pause()
        assert "at most 10,000" in _text(app, "#amount-error")
        assert fake_client.calls == []
        modal.query_one("#amount", Input).value = "1000"
        await pilot.press("ctrl+s")
        await workers_done(app)
        await pilot.pause()
        assert not isinstance(app.screen, MarginTransferModal)
        assert fake_client.calls[0][0] == "margin_transfer"

        await _refresh(app, service)
        await pilot.press("l")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, BorrowModal)
        modal.query_one("#wallet", Select).value = "ISOLATED_MARGIN:BTC_USDT"
        await pilot.pause()
        modal.query_one("#currency", Select).value = "USDT"
        modal.query_one("#amount", Input).value = "2000"
        await pilot.pause()
        assert "→ 1.500" in _text(app, "#margin-preview")
        await pilot.press("ctrl+s")
        await workers_done(app)
        await pilot.pause()

        await _refresh(app, service)
        await pilot.pause()
        assert "1.500" in _text(app, "#margin-levels")
        assert "WARNING" not in _text(app, "#margin-levels")
        loans = app.query_one("#margin-loans", DataTable)
        assert loans.row_count == 1
        assert "2,000" in [str(c) for c in loans.get_row_at(0)], loans.get_row_at(0)  # separators
        # no BTC held in the isolated wallet: the pair's price does not move the level
        assert "no liquidation price" in _text(app, "#margin-distance")
        # journal has both actions, done
        kinds = [(e.kind, e.state.value) for e in journal.entries()]
        assert kinds == [("borrow", "done"), ("margin_transfer", "done")]


async def test_bands_follow_the_price_and_a_dismisses_the_alert_banner(
    fake_client: FakeMarginClient,
) -> None:
    service = MarginService(fake_client)
    app = MarginHost(service)
    async with app.run_test(size=(120, 50)) as pilot:
        # isolated long: 1000 USDT own + 2000 borrowed, all in BTC (0.075 at 40000)
        await fake_client.margin_transfer("ISOLATED_MARGIN", "ADD", Decimal(1000), "USDT",
                                          pair="BTC_USDT")
        await fake_client.borrow(Decimal(2000), "USDT", "ISOLATED_MARGIN", pair="BTC_USDT")
        for b in fake_client.balances_:
            if b.wallet_type.value == "ISOLATED_MARGIN" and b.currency == "USDT":
                b.balance = Decimal(0)
        fake_client.balances_.append(Balance(
            currency="BTC", wallet_type="ISOLATED_MARGIN", pair="BTC_USDT",
            balance=Decimal("0.075"), reserve=Decimal(0)))
        await _refresh(app, service)
        await pilot.pause()
        assert "falls to 29,333.33" in _text(app, "#margin-distance")
        assert "SAFE" in _text(app, "#margin-levels")  # 1.500: on the warning line
        fake_client.price = Decimal(38000)  # level 0.075*38000/2000 = 1.425 < 1.5
        await _refresh(app, service)
        await pilot.pause()
        assert "1.425" in _text(app, "#margin-levels")
        assert "WARNING" in _text(app, "#margin-levels")
        fake_client.price = Decimal(30000)  # 1.125 < 1.2: near liquidation
        await _refresh(app, service)
        await pilot.pause()
        assert "NEAR LIQUIDATION" in _text(app, "#margin-levels")
        assert app.bells == 0  # the pane raises no alert: the session does, on any tab
        # the banner the dashboard mounts for the session's margin alert: a here hides it
        banner = AlertBanner(id="margin-alert-banner", hint="press a on the Margin pane")
        await app.screen.mount(banner)
        banner.push("Margin isolated BTC_USDT: level 1.125 fell below 1.2", danger=True)
        await pilot.pause()
        assert banner.display
        app.query_one("#margin-loans").focus()
        await pilot.press("a")
        await pilot.pause()
        assert banner.messages == [] and not banner.display


async def test_forbidden_is_explained_and_server_field_errors_land_under_fields(
    fake_client: FakeMarginClient, journal: Journal
) -> None:
    service = MarginService(fake_client, journal=journal)
    app = MarginHost(service)
    async with app.run_test(size=(120, 50)) as pilot:
        await _refresh(app, service)
        fake_client.forbid = True
        app.query_one(MarginPane).focus()
        await pilot.press("l")
        await pilot.pause()
        modal = app.screen
        modal.query_one("#currency", Select).value = "USDT"
        modal.query_one("#amount", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not a number" in _text(app, "#amount-error")
        modal.query_one("#amount", Input).value = "5"
        await pilot.press("ctrl+s")
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, BorrowModal)
        assert "Margin" in _text(app, "#form-error") and "permission" in _text(app, "#form-error")
        fake_client.forbid = False
        fake_client.refuse = {"borrow": "exceeds the borrow limit"}
        await pilot.press("ctrl+s")
        await workers_done(app)
        await pilot.pause()
        assert "exceeds the borrow limit" in _text(app, "#amount-error")
        assert [e.state.value for e in journal.entries()] == ["failed", "failed"]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BorrowModal)


async def test_history_window_and_csv(fake_client: FakeMarginClient, tmp_path: Path) -> None:
    service = MarginService(fake_client)
    await fake_client.margin_transfer("CROSS_MARGIN", "ADD", Decimal("12500.5"), "USDT")
    app = MarginHost(service, export_dir=tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await workers_done(app)
        await pilot.pause()
        hist = app.query_one(MarginHistoryPane)
        assert hist.table(hist.current_kind).row_count == 1
        assert "12,500.5" in [str(c) for c in hist.table(hist.current_kind).get_row_at(0)]
        assert hist.at_latest
        _, end = hist.window()
        hist.table(hist.current_kind).focus()
        await pilot.press("left_square_bracket")
        await workers_done(app)
        await pilot.pause()
        assert not hist.at_latest and hist.window()[1] < end
        assert round((end - hist.window()[1]).total_seconds() / 86400) == 30
        await pilot.press("home")
        await workers_done(app)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        (path,) = tmp_path.glob("margin-margin_transfers-*.csv")
        lines = path.read_text().splitlines()
        assert lines[0].startswith("time (UTC),id,direction")
        assert ",ADD,cross,,USDT,12500.5," in lines[1]  # the file: plain numbers


async def test_loans_alone_wait_for_balances_then_keep_the_levels(
        fake_client: FakeMarginClient) -> None:
    service = MarginService(fake_client)
    app = MarginHost(service)
    async with app.run_test(size=(120, 50)) as pilot:
        await fake_client.margin_transfer("CROSS_MARGIN", "ADD", Decimal(1000), "USDT")
        await fake_client.borrow(Decimal(100), "USDT", "CROSS_MARGIN")
        pane = app.query_one(MarginPane)
        pane.show_data(await fake_client.loans(cross_margin=True))  # no balances known
        await pilot.pause()
        assert "waiting for balances" in _text(app, "#margin-levels")
        assert app.query_one("#margin-loans", DataTable).row_count == 1
        await _refresh(app, service)  # a full reading, then loans alone keep the levels
        pane.show_data(await fake_client.loans(cross_margin=True))
        await pilot.pause()
        assert "11.000" in _text(app, "#margin-levels")


async def test_what_a_loan_owes_rounds_up_as_the_balances_debt_does(
        fake_client: FakeMarginClient) -> None:
    """The loans table's Interest and Owed round up at the currency's places, like the
    balances pane's Debt column: the same loan read 1.500000 owed here and 1.500001 there."""
    from alp_tui.api.enums import WalletType
    from alp_tui.api.models import Loan
    from alp_tui.services.market import MarketService
    from tests.support.pane_data import BTC_USDT

    app = MarginHost(MarginService(fake_client))
    async with app.run_test(size=(120, 50)) as pilot:
        pane = app.query_one(MarginPane)
        market = MarketService("BTC_USDT", [])
        market.pairs = {"BTC_USDT": BTC_USDT}
        pane.use_market(market)
        pane.show_data([Loan(id=1, borrowed=Decimal("1.5"), interest=Decimal("0.0000004"),
                             currency="BTC", wallet_type=WalletType.CROSS_MARGIN)])
        await pilot.pause()
        table = app.query_one("#margin-loans", DataTable)
        cells = [str(c) for c in table.get_row("1")]
        assert cells[-3:] == ["1.500000", "0.000001", "1.500001"], cells


async def test_a_borrow_rate_that_could_not_be_read_is_not_called_missing(
        fake_client: FakeMarginClient) -> None:
    """The borrow history unreadable (exchange frozen): the rate line says it is unknown,
    never "no earlier BTC borrow", which denies a loan the same form shows as owed."""
    from alp_tui.api.errors import NetworkError

    async def unreadable(**kw: object) -> list[object]:
        raise NetworkError("the exchange did not answer")

    fake_client.borrows = unreadable  # type: ignore[method-assign]
    service = MarginService(fake_client)
    app = MarginHost(service)
    async with app.run_test(size=(120, 50)) as pilot:
        await _refresh(app, service)
        app.query_one(MarginPane).focus()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, BorrowModal)
        await workers_done(app)
        await pilot.pause()
        preview = _text(app, "#margin-preview")
        assert "Rate: unknown" in preview and "no earlier" not in preview, preview
