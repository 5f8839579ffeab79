"""History tabs against the simulator: fills appear, windows move, rows export to CSV."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static, TabbedContent

from alp_tui.services.trading import TradingService
from alp_tui.ui.panes.history import HistoryPane
from tests.support.wait import settle


class Host(App[None]):
    def __init__(self, service: TradingService, export_dir: Path) -> None:
        super().__init__()
        self.trading = service
        self.export_dir = export_dir

    def compose(self) -> ComposeResult:
        yield HistoryPane(self.trading, export_dir=str(self.export_dir), id="history")


async def test_fills_show_in_trades_and_export(service: TradingService, counterparty: Any,
                                               btc: Any, tmp_path: Path) -> None:
    counterparty.limit("SELL", "91300", "1")
    await service.client.place_order(pair="BTC_USDT", order_side="BUY", order_type="LIMIT",
                                     base_amount=Decimal("0.01"), limit_price=Decimal("91300"))
    app = Host(service, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(HistoryPane)
        pane.set_pair(btc)
        tabs = app.query_one("#history-tabs", TabbedContent)
        tabs.active = "hist-trades"
        await settle(pilot)
        table = app.query_one("#hist-table-trades", DataTable)
        assert table.row_count == 1, str(app.query_one("#history-result", Static).render())
        row = table.get_row_at(0)
        # on screen: the pair's precision with thousands separators, like every other pane
        assert row[1] == "BTC_USDT" and row[3] == "91,300.00" and row[7] == "taker"
        table.focus()
        await pilot.press("e")
        await pilot.pause()
        note = str(app.query_one("#history-result", Static).render())
        assert "Exported 1 rows" in note
        files = list(tmp_path.glob("trades-*.csv"))
        assert len(files) == 1
        rows = list(csv.reader(files[0].open()))
        assert rows[0][0] == "Time" and rows[1][1] == "BTC_USDT"
        assert rows[1][3] == "91300.00"  # the file stays machine-readable: no separators
        # the fee: at BTC's precision on screen, every digit the exchange gave in the file
        assert (row[5], rows[1][5]) == ("0.000020", "0.00002")
        # 30 days back: nothing there.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert table.row_count == 0
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert table.row_count == 1
        # Operation history lists the fill's balance changes; the journal tab is local.
        tabs.active = "hist-activity"
        await settle(pilot)
        activity = app.query_one("#hist-table-activity", DataTable)
        assert activity.row_count > 0
        changes = [str(activity.get_row_at(i)[4]) for i in range(activity.row_count)]
        assert "-913.00" in changes or "-913" in changes, changes  # not -913.00000000
        tabs.active = "hist-orders"
        await settle(pilot)
        assert app.query_one("#hist-table-orders", DataTable).row_count == 0  # feed-driven
        pane.action_reload()
        await settle(pilot)
        assert app.query_one("#hist-table-orders", DataTable).row_count == 1


async def test_the_journal_tab_lists_own_actions_read_off_the_ui_thread(
        service: TradingService, btc: Any, tmp_path: Path) -> None:
    from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
    from alp_tui.services.order_draft import OrderDraft

    placed = await service.place(OrderDraft(
        pair="BTC_USDT", side=OrderSide.BID, order_type=OrderType.LIMIT,
        wallet_type=WalletType.SPOT, base_amount=Decimal("0.01"),
        limit_price=Decimal("80000"), tif=TimeInForce.GTC))
    await service.cancel(placed.order_ids, pair="BTC_USDT")
    app = Host(service, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(HistoryPane)
        pane.set_pair(btc)
        app.query_one("#history-tabs", TabbedContent).active = "hist-journal"
        await settle(pilot)
        table = app.query_one("#hist-table-journal", DataTable)
        kinds = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert table.row_count == 2 and {"place", "cancel"} <= {k.lower() for k in kinds}


def test_a_fee_rounds_up_at_its_currencys_places() -> None:
    """A fee is what it cost: shown rounded up (0.000019182 BTC read 0.000019), as the order
    form's fee and what is owed are; the amounts beside it stay as they are."""
    from alp_tui.api.enums import WithdrawalStatus
    from alp_tui.api.models import AccountTrade, PairInfo, Withdrawal
    from alp_tui.ui.panes.history import Money, row_for

    btc = PairInfo(name="BTC_USDT", currency1="BTC", currency2="USDT", amount_precision=6,
                   price_precision=2, maximum_order_size=Decimal(100),
                   minimum_order_size=Decimal("0.0001"), minimum_order_value=Decimal(10))
    money = Money({"BTC_USDT": btc})
    trade = AccountTrade(pair="BTC_USDT", amount=Decimal("0.009591"),
                         price=Decimal("91080.33"), fee_amount=Decimal("0.000019182"),
                         fee_currency="BTC")
    row = row_for("trades", trade, money)
    assert row[4:6] == ("0.009591", "0.000020")
    out = Withdrawal(id=1, currency="USDT", amount=Decimal("25.004"),
                     fee_amount=Decimal("1.001"), status=WithdrawalStatus.NEW)
    assert row_for("withdrawals", out, money)[2:4] == ("25.00", "1.01")
    # the CSV export keeps the exchange's 8-decimal grid
    assert row_for("trades", trade, Money({"BTC_USDT": btc}, exact=True))[5] == "0.00001918"
