"""Margin flows end to end against the simulator over HTTP, driven through the UI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from margin_support import MarginHost
from textual.widgets import Input, Select, Static

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import WalletType
from alp_tui.feed.state import Freshness
from alp_tui.services.journal import Journal
from alp_tui.services.margin import HistoryKind, MarginService
from alp_tui.services.trading import TradingService
from alp_tui.sim.exchange import ApiKeyRecord
from alp_tui.ui.modals.borrow import BorrowModal
from alp_tui.ui.modals.close_position import ClosePositionModal
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.margin_transfer import MarginTransferModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.repay import RepayModal
from alp_tui.ui.panes.margin import MarginPane
from alp_tui.ui.panes.margin_history import MarginHistoryPane
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.sim import offer
from tests.support.wait import wait_until, workers_done

ISO = "ISOLATED_MARGIN:BTC_USDT"


@pytest.fixture
async def client(sim_server: Any) -> AsyncIterator[AlpClient]:
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         10) as c:
        yield c


def _text(app: MarginHost, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _refresh(app: MarginHost, service: MarginService) -> None:
    app.query_one(MarginPane).show_data(await service.fetch_snapshot())


async def _open(pilot: Any, app: MarginHost, key: str, modal: type) -> Any:
    app.query_one("#margin-loans").focus()
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, modal), what=f"{modal.__name__} open")
    return app.screen


async def _fill(pilot: Any, screen: Any, **values: str) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#{name}")
        widget.value = value
        await pilot.pause()


async def _send(pilot: Any, app: MarginHost) -> None:
    """ctrl+s, then wait for the answer the trader sees: the form closes, or it stays with
    a new message under its fields (the refusal; never the "Sending…" in between)."""
    form = app.screen
    before = _text(app, "#form-error")

    def answered() -> bool:
        if app.screen is not form:
            return True
        said = str(form.query_one("#form-error", Static).render())
        return not form.busy and said not in ("", "Sending…", before)

    await pilot.press("ctrl+s")
    await wait_until(pilot, answered, what="the form's answer")


def _history_loaded(hist: MarginHistoryPane, kind: HistoryKind) -> bool:
    """The tab shows this window's rows (what export waits for) and says so."""
    return (hist._loaded.get(kind, 0) == hist.window_end
            and hist.query_one(PaneStatus).state.kind is Freshness.FRESH)


async def test_transfer_borrow_repay_close_and_histories(
    sim_server: Any, client: AlpClient, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    service = MarginService(client, journal=journal)
    app = MarginHost(service, export_dir=tmp_path)
    async with app.run_test(size=(130, 60)) as pilot:
        await _refresh(app, service)

        screen = await _open(pilot, app, "t", MarginTransferModal)
        await _fill(pilot, screen, wallet=ISO, currency="USDT", amount="1000")
        await wait_until(pilot, lambda: "Available in spot: 100,000 USDT"
                         in _text(app, "#margin-preview"), what="transfer preview")
        await _send(pilot, app)
        assert not isinstance(app.screen, MarginTransferModal), _text(app, "#form-error")
        await _refresh(app, service)

        screen = await _open(pilot, app, "l", BorrowModal)
        await _fill(pilot, screen, wallet=ISO, currency="USDT", amount="50000")
        await _send(pilot, app)  # over the 10x limit: the exchange refuses, under the field
        assert isinstance(app.screen, BorrowModal)
        assert "leverage limit" in _text(app, "#amount-error")
        await _fill(pilot, screen, amount="500")
        await _send(pilot, app)
        assert not isinstance(app.screen, BorrowModal), _text(app, "#form-error")
        await _refresh(app, service)
        assert "3.000" in _text(app, "#margin-levels")  # 1500 / 500
        assert "SAFE" in _text(app, "#margin-levels")

        # an hour later interest has accrued: repay shows it is paid first
        sim_server.exchange.step(now=time.time() + 3700)
        app.clock_offset = timedelta(hours=2)  # the history window follows that clock
        await _refresh(app, service)
        (loan,) = service.snapshot.loans
        assert loan.interest > 0
        screen = await _open(pilot, app, "r", RepayModal)
        await _fill(pilot, screen, wallet=ISO, currency="USDT", amount="100")
        pays = f"Pays {loan.interest.normalize():f} interest first"
        remains = f"Remains: {(500 - (100 - loan.interest)).normalize():f} principal + 0 interest"
        await wait_until(pilot, lambda: pays in _text(app, "#margin-preview")
                         and remains in _text(app, "#margin-preview"), what="repay preview")
        await _send(pilot, app)
        assert not isinstance(app.screen, RepayModal), _text(app, "#form-error")
        await _refresh(app, service)
        (after,) = service.snapshot.loans
        assert after.borrowed == Decimal(500) - (Decimal(100) - loan.interest)
        assert after.interest == 0

        screen = await _open(pilot, app, "x", ClosePositionModal)
        await _fill(pilot, screen, wallet=ISO)
        await wait_until(pilot, lambda: "repay" in _text(app, "#margin-preview"),
                         what="close preview")
        await _send(pilot, app)
        assert not isinstance(app.screen, ClosePositionModal), _text(app, "#form-error")
        await _refresh(app, service)
        assert service.snapshot.loans == ()
        assert "No open loans" in _text(app, "#margin-empty")

        hist = app.query_one(MarginHistoryPane)
        counts = {}
        for kind in HistoryKind:
            hist.query_one("#margin-history-tabs").active = f"mh-tab-{kind.value}"
            await wait_until(pilot, lambda kind=kind: hist.current_kind is kind, what="tab")
            hist.action_reload()  # the tab says "loading" until this window's rows are in
            await wait_until(pilot, lambda kind=kind: _history_loaded(hist, kind),
                             what=f"{kind} loaded")
            counts[kind] = hist.table(kind).row_count
        assert counts[HistoryKind.TRANSFERS] == 1
        assert counts[HistoryKind.BORROWS] == 1
        assert counts[HistoryKind.REPAYS] >= 2  # the manual repay and the close
        assert counts[HistoryKind.INTERESTS] >= 1
        assert counts[HistoryKind.LIQUIDATIONS] == 0
        kinds = [e.kind for e in journal.entries()]
        assert kinds.count("close_position") == 1 and kinds.count("repay") == 1
        assert kinds.count("borrow") == 2  # the refused one is journaled too
    journal.close()


async def test_margin_order_auto_borrow_then_liquidation(
    sim_server: Any, client: AlpClient, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    service = MarginService(client, journal=journal)
    trading = TradingService(client, journal, lookup_delays=(0.0,))
    pairs = {p.name: p for p in await client.pairs()}
    app = MarginHost(service, export_dir=tmp_path)
    async with app.run_test(size=(130, 60)) as pilot:
        await client.margin_transfer("ISOLATED_MARGIN", "ADD", Decimal(1000), "USDT",
                                     pair="BTC_USDT")
        offer(sim_server)  # market life is off: someone must sell
        # the order form: isolated margin wallet, AUTO_BORROW, market buy for 2000 USDT
        results: list[Any] = []
        app.push_screen(OrderFormModal(trading, pairs["BTC_USDT"], "BID",
                                       order_type="MARKET"), results.append)
        await workers_done(app)
        await pilot.pause()
        form = app.screen
        form.query_one("#wallet_type", Select).value = "ISOLATED_MARGIN"
        await pilot.pause()
        form.query_one("#side_effect", Select).value = "AUTO_BORROW"
        form.query_one("#amount_in", Select).value = "quote"
        await pilot.pause()
        form.query_one("#amount", Input).value = "2000"
        await pilot.pause()
        form.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and bool(app.screen.query("#confirm-body")), what="confirm")
        assert "AUTO_BORROW" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("enter")  # confirm
        await wait_until(pilot, lambda: bool(results), what="the result")
        assert results[0] is not None and results[0].placed, results

        await _refresh(app, service)
        (loan,) = service.snapshot.loans
        assert loan.wallet_type is WalletType.ISOLATED_MARGIN and loan.pair == "BTC_USDT"
        assert loan.currency == "USDT" and 990 < loan.borrowed <= 1000
        level = service.snapshot.levels()
        assert 1.9 < next(iter(level.values())) < 2.01
        assert "falls to" in _text(app, "#margin-distance")
        liq_price = service.snapshot.liquidation_distances(
            "BTC_USDT", Decimal("1.1"))[0].liquidation_price

        # the market falls: below the warning line (the session's alert, tested in
        # tests/session), no liquidation yet
        sim_server.exchange.move_market("BTC_USDT", Decimal("0.72"))
        await _refresh(app, service)
        await pilot.pause()
        assert "WARNING" in _text(app, "#margin-levels")
        assert await client.liquidations() == []
        assert service.snapshot.loans  # still open

        # further, past the liquidation price: the exchange liquidates
        last = sim_server.exchange.last_price("BTC_USDT")
        sim_server.exchange.set_last_price("BTC_USDT", liq_price * Decimal("0.97"))
        await _refresh(app, service)
        await pilot.pause()
        assert service.snapshot.loans == ()
        assert last > liq_price
        hist = app.query_one(MarginHistoryPane)
        hist.query_one("#margin-history-tabs").active = "mh-tab-liquidations"
        await wait_until(pilot, lambda: _history_loaded(hist, HistoryKind.LIQUIDATIONS),
                         what="liquidations loaded")
        assert hist.table(HistoryKind.LIQUIDATIONS).row_count == 1
        (row,) = hist.rows[HistoryKind.LIQUIDATIONS]
        assert row.pair == "BTC_USDT" and row.margin_level < Decimal("1.1")
    journal.close()


async def test_forbidden_without_margin_flag(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    account = ex.find_api_key(sim_server.api_key).account_id
    ex.add_api_key(ApiKeyRecord("nomargin", "s3cret", account, True, False, False))
    async with AlpClient(sim_server.base_url, "nomargin", "s3cret", 10) as c:
        service = MarginService(c)
        app = MarginHost(service)
        async with app.run_test(size=(130, 60)) as pilot:
            screen = await _open(pilot, app, "l", BorrowModal)
            await _fill(pilot, screen, wallet="CROSS_MARGIN", currency="USDT", amount="10")
            await _send(pilot, app)
            assert isinstance(app.screen, BorrowModal)
            error = _text(app, "#form-error")
            assert "Margin" in error and "permission" in error
