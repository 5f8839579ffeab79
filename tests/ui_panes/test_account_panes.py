"""The account as the balances pane and the header's margin chip show it, from a snapshot
handed in (no app, no feed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Balance, Loan, PairInfo, Ticker
from alp_tui.services.margin_alerts import MarginBand
from alp_tui.session.account import AccountState
from alp_tui.session.events import AccountSnapshot
from alp_tui.ui.panes.balances import BalancesPane
from alp_tui.ui.panes.header import HeaderPane
from alp_tui.ui.widgets.margin_chip import MarginChip
from alp_tui.ui.widgets.pane_status import PaneStatus
from tests.support.pane_data import BTC_USDT

D = Decimal
ISO = WalletType.ISOLATED_MARGIN


def bal(amount: str, currency: str, wallet: WalletType = WalletType.SPOT,
        pair: str | None = None) -> Balance:
    return Balance(balance=D(amount), reserve=D(0), currency=currency, wallet_type=wallet,
                   pair=pair)


def tick(price: str, pair: str = "BTC_USDT") -> Ticker:
    return Ticker(pair=pair, last=D(price), vol=D(1), high=D(price), low=D(price),
                  timestamp=D(1))


def account(btc_price: str = "90000", *, loans: bool = True) -> AccountSnapshot:
    """10,000 USDT spot, and an isolated BTC_USDT wallet that bought 0.0333 BTC with 1,000
    USDT of its own and 2,000 borrowed (auto-borrow), 0.06 USDT left."""
    state = AccountState()
    state.pair = "BTC_USDT"
    state.set_tickers([tick(btc_price)])
    state.set_balances([bal("10000", "USDT"), bal("0", "BTC"),
                        bal("0.0333", "BTC", ISO, "BTC_USDT"),
                        bal("0.06", "USDT", ISO, "BTC_USDT")])
    if loans:
        state.set_loans([Loan(id=1, borrowed=D(2000), interest=D("0.5"), currency="USDT",
                              wallet_type=ISO, pair="BTC_USDT")])
    return state.build()


class Host(App[None]):
    def __init__(self, *widgets: Any) -> None:
        super().__init__()
        self._widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self._widgets


def _text(widget: Any) -> str:
    return str(widget.render())


async def test_balances_total_is_net_equity_and_debt_shows_per_wallet() -> None:
    pane = BalancesPane(id="balances")
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        pane.set_pair(BTC_USDT)
        snap = account()
        pane.show_data(list(snap.balances))
        pane.set_tickers([tick("90000")])
        pane.show_account(account(loans=False))  # the rows first drawn without debt
        await pilot.pause()
        pane.show_account(snap)
        await pilot.pause()
        # assets 10,000 + 0.0333 * 90,000 + 0.06 = 12,997.06; debt 2,000.5
        assert snap.net_equity == D("10996.56")
        total = _text(pane.query_one("#balances-total", Static))
        assert total.startswith("Net equity ≈ 10,996.56 USDT")
        assert "· debt 2,000.50 (isolated BTC_USDT 2,000.50) · assets 12,997.06" in total
        table = pane.query_one("#balances-table", DataTable)
        key = "ISOLATED_MARGIN BTC_USDT:USDT"  # drawn before the debt was known
        assert table.get_cell(key, "wallet") == "isolated BTC_USDT"
        assert str(table.get_cell(key, "debt")) == "2,000.50"
        assert table.columns["debt"].content_width >= len("2,000.50")  # widened, not cut
        assert str(table.get_cell("SPOT:USDT", "debt")) == ""
        assert [str(c.label) for c in table.columns.values()][:4] == [
            "Wallet", "Currency", "Total", "Debt"]  # beside the total: seen in a narrow pane


async def test_balances_before_the_loans_are_read_do_not_claim_a_net_total() -> None:
    pane = BalancesPane(id="balances")
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        snap = account(loans=False)
        pane.show_data(list(snap.balances))
        pane.set_tickers([tick("90000")])
        pane.show_account(snap)
        await pilot.pause()
        total = _text(pane.query_one("#balances-total", Static))
        assert total.startswith("Assets ≈ 12,997.06 USDT") and "debt not read yet" in total


async def test_margin_chip_shows_worst_level_band_and_distance_to_liquidation() -> None:
    header = HeaderPane(id="header")
    async with Host(header).run_test(size=(160, 3)) as pilot:
        chip = header.query_one(MarginChip)
        assert not chip.display  # nothing known yet
        header.show_account(account(loans=False))
        assert not chip.display
        header.show_account(account("90000"))  # level 2,997 / 2,000.5 = 1.498: warning
        await pilot.pause()
        assert chip.display and chip.band is MarginBand.WARNING and chip.has_class("-warning")
        text = _text(chip)
        assert text.startswith("margin 1.498 isolated BTC_USDT · liq −")
        header.show_account(account("150000"))  # 6,995 / 2,000.5 = 3.5: safe
        await pilot.pause()
        assert chip.band is MarginBand.SAFE and chip.has_class("-safe")
        assert not chip.has_class("-warning")
        header.show_account(account("70000"))  # 2,331 / 2,000.5 = 1.165: danger
        await pilot.pause()
        assert chip.band is MarginBand.DANGER and chip.has_class("-danger")
        liq = account("70000").liquidation[0]
        assert _text(chip).endswith(f"liq −{liq.percent:.1f}%")


class StyledHost(Host):
    CSS_PATH = ["../../alp_tui/ui/app.tcss", "../../alp_tui/ui/trading.tcss"]


async def test_header_drops_whole_figures_when_the_margin_chip_needs_the_room() -> None:
    """At 100 columns with a margin chip shown, the header once read ``… L 89,642.60  Vol``
    (the volume cut off after its label): figures go whole, least important first."""
    header = HeaderPane(id="header")
    async with StyledHost(header).run_test(size=(100, 3)) as pilot:
        header.pair = "BTC_USDT"
        header.info = BTC_USDT
        header.ticker = Ticker(pair="BTC_USDT", last=D("89823.24"), vol=D("2256.5"),
                               high=D("96313.46"), low=D("89642.60"), timestamp=D(1),
                               diff_percent=D("-4.7"))
        header.connection = "STREAM"
        header.data_age = 0.1
        header.show_account(account("90000"))
        await pilot.pause()
        await pilot.pause()
        market = header.query_one("#header-market", Static)
        shown = _text(market)
        assert shown.startswith(" BTC_USDT  89,823.24 ▼-4.70%")
        assert len(shown) <= market.size.width, (shown, market.size.width)
        assert not shown.rstrip().endswith(("H", "L", "Vol"))
        # with room again (no chip), every figure is back
        header.show_account(account(loans=False))
        await pilot.pause()
        await pilot.pause()
        assert "Vol 2.26K BTC" in _text(market)


async def test_a_long_total_leaves_the_status_its_age() -> None:
    """At 100 columns with debt, the total squeezed the status to ``Ba``: how fresh the
    balances are was gone."""
    pane = BalancesPane(id="balances")
    async with StyledHost(pane).run_test(size=(100, 12)) as pilot:
        pane.set_pair(BTC_USDT)
        snap = account()
        pane.show_data(list(snap.balances))
        pane.set_tickers([tick("90000")])
        pane.show_account(snap)
        await pilot.pause()
        status = pane.query_one(PaneStatus)
        assert status.size.width >= len("Balances ● stale data 12s"), status.size
        total = _text(pane.query_one("#balances-total", Static))
        assert total.startswith("Net equity ≈ 10,996.56 USDT")


async def test_balances_show_each_currency_at_the_same_places_as_the_dialogs() -> None:
    """USDT in cents even when the first pair learned quotes it in 5 decimals (DOGE_USDT),
    as the withdraw and margin dialogs show it (services.format.currency_places)."""
    doge = PairInfo(name="DOGE_USDT", currency1="DOGE", currency2="USDT", amount_precision=0,
                    price_precision=5, maximum_order_size=D(10**9),
                    minimum_order_size=D(1), minimum_order_value=D(5))
    pane = BalancesPane(id="balances")
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        pane.set_pairs([doge])
        pane.set_pair(BTC_USDT)
        pane.show_data([bal("1234.567891", "USDT"), bal("0.12345678", "BTC")])
        await pilot.pause()
        table = pane.query_one("#balances-table", DataTable)
        assert str(table.get_cell("SPOT:USDT", "total")) == "1,234.56"
        assert str(table.get_cell("SPOT:BTC", "total")) == "0.123456"
        # its value in USDT is the same cents, not a cent more by another rounding
        assert str(table.get_cell("SPOT:USDT", "value")) == "1,234.56"


async def test_balances_never_read_claim_no_assets() -> None:
    """Before the first balances answer (the exchange offline at start) the total says
    they are not read yet; it read "Assets ≈ 0.00 USDT", an empty account."""
    pane = BalancesPane(id="balances")
    async with Host(pane).run_test(size=(150, 20)) as pilot:
        pane.set_tickers([tick("90000")])
        await pilot.pause()
        total = _text(pane.query_one("#balances-total", Static))
        assert "0.00" not in total and "balances not read yet" in total
        pane.show_data([])  # an account that holds nothing: that is a real zero
        await pilot.pause()
        assert _text(pane.query_one("#balances-total", Static)).startswith(
            "Assets ≈ 0.00 USDT")
