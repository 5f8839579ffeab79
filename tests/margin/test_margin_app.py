"""The margin tabs inside the whole dashboard, against the simulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select, TabbedContent

from alp_tui.api.client import AlpClient
from alp_tui.config import Config
from alp_tui.services.margin import HistoryKind
from alp_tui.ui.app import create_app
from alp_tui.ui.modals.margin_transfer import MarginTransferModal
from alp_tui.ui.panes.margin import MarginPane
from alp_tui.ui.panes.margin_history import MarginHistoryPane
from tests.support.dashboard import trading_app
from tests.support.wait import wait_until

SIZE = (160, 50)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # journal, CSV exports


async def test_margin_tab_shows_levels_and_transfer_refreshes(
    sim_server: Any, tmp_path: Path
) -> None:
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         10) as client:
        await client.margin_transfer("CROSS_MARGIN", "ADD", Decimal(1000), "USDT")
        await client.borrow(Decimal(500), "USDT", "CROSS_MARGIN")
    app = create_app(Config(), base_url=sim_server.base_url, api_key=sim_server.api_key,
                     api_secret=sim_server.api_secret, mode="demo")
    if hasattr(app, "journal_path"):
        app.journal_path = tmp_path / "journal.sqlite3"
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#account-tabs", TabbedContent).active = "margin"
        pane = app.query_one(MarginPane)
        await wait_until(pilot, lambda: pane.snapshot is not None and pane.snapshot.complete,
                         what="margin data")
        assert "3.000" in str(pane.query_one("#margin-levels").render())  # 1500 / 500

        app.query_one("#margin-loans").focus()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, MarginTransferModal), what="modal")
        modal = app.screen
        modal.query_one("#wallet", Select).value = "CROSS_MARGIN"
        await pilot.pause()
        modal.query_one("#currency", Select).value = "USDT"
        modal.query_one("#amount", Input).value = "500"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, MarginTransferModal),
                         what="sent")
        # the pane asks for its topic at once: the level follows (2000 / 500)
        await wait_until(pilot, lambda: "4.000" in str(pane.query_one("#margin-levels").render()),
                         what="level after the transfer")

        app.query_one("#account-tabs", TabbedContent).active = "margin_history"
        hist = app.query_one(MarginHistoryPane)
        await wait_until(pilot, lambda: len(hist.rows.get(HistoryKind.TRANSFERS, [])) == 2,
                         what="transfer history")
        hist.table(HistoryKind.TRANSFERS).focus()
        await pilot.press("e")
        await pilot.pause()
        exports = list((tmp_path / "data").rglob("margin-margin_transfers-*.csv"))
        assert len(exports) == 1 and exports[0].read_text().count("\n") == 3


async def _margin_read(pilot: Any) -> MarginPane:
    """The margin pane, once the account's margin data is read."""
    pane = pilot.app.query_one(MarginPane)
    await wait_until(pilot, lambda: pane.snapshot is not None and pane.snapshot.complete,
                     what="margin data")
    return pane  # type: ignore[no-any-return]


@pytest.mark.parametrize(("key", "modal"), [("t", "MarginTransferModal"),
                                            ("l", "BorrowModal")])
async def test_a_margin_form_opens_with_the_amount_ready_to_type(
    sim_server: Any, tmp_path: Path, key: str, modal: str
) -> None:
    """Keyboard first, like the order form: the digits typed at once are the amount
    (the form used to open with the focus on its scroll area, so they went nowhere)."""
    app = trading_app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _margin_read(pilot)
        app.query_one("#margin-loans").focus()
        await pilot.press(key)
        await wait_until(pilot, lambda: type(app.screen).__name__ == modal, what="form")
        await pilot.press("5", "0", "0")
        assert app.screen.query_one("#amount", Input).value == "500"


async def test_a_margin_forms_error_goes_once_the_value_it_was_about_changes(
    sim_server: Any, tmp_path: Path
) -> None:
    """An error said on send is about the values then: changing them clears it (a fixed
    amount kept reading "That is more than owed" beside the preview of the new one)."""
    from textual.widgets import Static

    app = trading_app(sim_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _margin_read(pilot)
        app.query_one("#margin-loans").focus()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, MarginTransferModal),
                         what="form")
        form = app.screen

        def said() -> str:
            return "".join(str(w.render()) for w in form.query(".field-error, .form-error")
                           if isinstance(w, Static)).strip()

        await pilot.press(*"12x", "ctrl+s")
        await wait_until(pilot, lambda: said() != "", what="the error said")
        await pilot.press("backspace")  # now "12": the error was about "12x"
        await wait_until(pilot, lambda: said() == "", what="the error gone")
