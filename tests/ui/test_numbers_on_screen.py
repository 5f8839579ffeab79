"""Every number on screen through its currency's precision with thousands separators:
the main screen (every account pane filled), the order form and its confirm, the quick
line, the help, health and error views, the withdraw dialog and its confirm, the margin
dialogs (transfer, borrow, repay, close position) and what they report once done, and
every history tab (History: orders, trades, operations, deposits, withdrawals and the
journal; margin history: transfers, borrows, repays, interest, liquidations) filled with
the simulator's records and the journal's entries.

A number with more decimals than its currency allows, or four or more integer digits and a
decimal point without separators (``98621.6528467``, ``80000.00``), fails the test. In a
table, a row naming a pair allows the pair's price or amount decimals and a row naming a
currency that currency's (rates, levels and ids are not amounts). Typed fields are left
out: a prefilled price is plain on purpose so it parses back."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.services.format import currency_places
from alp_tui.services.journal import EntryKind, Journal
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.margin_form import MarginFormModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from alp_tui.ui.panes.margin import MarginPane
from tests.support.dashboard import (
    all_fresh,
    open_withdraw_form,
    sim_app,
    trading_app,
    trading_ready,
)
from tests.support.wait import wait_until

SIZE = (160, 48)
NUMBER_UNIT = re.compile(r"(?<![\w.,#])(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d+))?\s+([A-Z]{2,6})\b")
UNGROUPED = re.compile(r"(?<![\w.,#:/-])\d{4,}\.\d+")
ANY_DECIMALS = re.compile(r"(?<![\w.,#])\d[\d,]*\.(\d+)")


NUMBER_CELL = re.compile(r"^-?[\d,]+(?:\.(\d+))?$")
NOT_AMOUNTS = ("rate", "level", "id", "time", "created", "closed")  # table columns


def _hidden_field(widget: Any) -> bool:
    return isinstance(widget, Input | Select) or any(
        isinstance(a, Input | Select) for a in widget.ancestors)


def _texts(screen: Any) -> list[str]:
    out: list[str] = []
    for widget in screen.query("*"):
        if _hidden_field(widget):
            continue
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                out.append("  ".join(str(c) for c in widget.get_row_at(row)))
        elif isinstance(widget, Static):
            rendered = widget.render()
            out.append(str(getattr(rendered, "plain", rendered)))
    return out


def _problems(texts: list[str], places: dict[str, int]) -> list[str]:
    bad = []
    for text in texts:
        for match in UNGROUPED.finditer(text):
            bad.append(f"no separators: {match.group(0)!r} in {text[:80]!r}")
        for match in NUMBER_UNIT.finditer(text):
            decimals, unit = match.group(2) or "", match.group(3)
            if unit in places and len(decimals) > places[unit]:
                bad.append(f"{match.group(0)!r}: {unit} has {places[unit]} decimals")
        for match in ANY_DECIMALS.finditer(text):
            if len(match.group(1)) > 8:
                bad.append(f"raw number {match.group(0)!r} in {text[:80]!r}")
    return bad


def _table_problems(screen: Any, places: dict[str, int],
                    pair_places: dict[str, int]) -> list[str]:
    """A table row naming a pair or a currency: each amount in it at most that many
    decimals (the finest of what the row names)."""
    bad = []
    for table in screen.query(DataTable):
        labels = [str(c.label).lower() for c in table.ordered_columns]
        for index in range(table.row_count):
            cells = [str(c).strip() for c in table.get_row_at(index)]
            limits = [pair_places[c] for c in cells if c in pair_places]
            limits += [places[c] for c in cells if c in places]
            if not limits:
                continue
            for label, cell in zip(labels, cells, strict=False):
                match = NUMBER_CELL.match(cell)
                if match is None or any(word in label for word in NOT_AMOUNTS):
                    continue
                # a column naming its unit ("Value USDT") is in that unit
                named = [places[w] for w in label.upper().split() if w in places]
                limit = named[0] if named else max(limits)
                if len(match.group(1) or "") > limit:
                    bad.append(f"{table.id} {label} {cell!r}: at most {limit} decimals "
                               f"in {cells}")
    return bad


def _places(app: Any) -> tuple[dict[str, int], dict[str, int]]:
    pairs = app.market.pairs.values()
    return (currency_places(pairs),
            {p.name: max(p.price_precision, p.amount_precision) for p in pairs})


async def _check(pilot: Any, places: dict[str, int] | None, what: str) -> None:
    await pilot.pause()
    currency, pair = _places(pilot.app)
    screen = pilot.app.screen
    bad = _problems(_texts(screen), currency) + _table_problems(screen, currency, pair)
    assert not bad, f"{what}: {bad}"


async def test_every_number_on_every_screen_at_its_precision(market_sim: Any,
                                                            tmp_path: Path) -> None:
    ex = market_sim.exchange
    ex.margin_transfer(market_sim.account_id, WalletType.CROSS_MARGIN, MarginDirection.ADD,
                       Decimal("1000.123456"), "USDT")
    ex.place_order(market_sim.account_id, {
        "pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
        "base_amount": Decimal("0.0123"), "limit_price": Decimal("80000")})
    app = sim_app(market_sim, keys=True)
    app.journal_path = tmp_path / "journal.sqlite3"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all_fresh(app) and app.trading is not None
                         and app.market.info() is not None, what="fresh, trading")
        places = currency_places(app.market.pairs.values())
        orders = app.main.query("OpenOrdersPane").first()
        await wait_until(pilot, lambda: len(orders._orders) == 1, what="orders")
        await _check(pilot, places, "main screen")
        for key, name in (("question_mark", "help"), ("f2", "health"), ("f3", "errors")):
            await pilot.press("3", key)
            await wait_until(pilot, lambda: len(app.screen_stack) > 1, what=name)
            await _check(pilot, places, name)
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="closed")
        # the order form with a preview, then its confirm
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormModal)
                         and app.screen.context.balances is not None, what="form")
        form = app.screen
        form.query_one("#amount", Input).value = "0.0123"
        await _check(pilot, places, "order form")
        form.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal)
                         and app.screen.query("#confirm-body"), what="confirm")
        await _check(pilot, places, "order confirm")
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="closed")
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, QuickOrderModal), what="line")
        await _check(pilot, places, "quick line")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="closed")


def _odd_account(server: Any) -> None:
    """Odd balances (USDT beyond cents), a margin loan with interest, a fill, a deposit and
    a withdrawal: every history tab has rows, every dialog has something to show."""
    ex, acc = server.exchange, server.account_id
    ex.margin_transfer(acc, WalletType.CROSS_MARGIN, MarginDirection.ADD,
                       Decimal("1000.123456"), "USDT")
    ex.borrow(acc, Decimal("500.123456"), "USDT", WalletType.CROSS_MARGIN)
    ex.repay(acc, Decimal("100.987654"), "USDT", WalletType.CROSS_MARGIN)
    ex.place_order(acc, {"pair": "BTC_USDT", "order_type": "MARKET", "order_side": "BID",
                         "base_amount": Decimal("0.012345")})
    ex.place_order(acc, {"pair": "BTC_USDT", "order_type": "LIMIT", "order_side": "BID",
                         "base_amount": Decimal("0.0123"), "limit_price": Decimal("80000")})
    ex.simulate_deposit(acc, "USDT", Decimal("1234.567891"))
    ex.withdraw(acc, Decimal("25.5"), 3, {"address": "T" + "a" * 33})


def _liquidated(server: Any) -> None:
    """An isolated BTC_USDT wallet that owes BTC, liquidated when BTC jumps: a row in
    the margin history's Liquidations tab (and hourly interest on the cross loan)."""
    ex, acc = server.exchange, server.account_id
    ex.margin_transfer(acc, WalletType.ISOLATED_MARGIN, MarginDirection.ADD,
                       Decimal("1000.123456"), "USDT", pair="BTC_USDT")
    ex.borrow(acc, Decimal("0.05"), "BTC", WalletType.ISOLATED_MARGIN, pair="BTC_USDT")
    ex.step(now=time.time() + 3700)  # an hour's interest on the loans (dated ahead)
    ex.move_market("BTC_USDT", Decimal("2.5"))  # the BTC owed now outweighs the wallet


def _journaled(path: Path) -> None:
    """What earlier sessions journaled: an order and a margin transfer, odd amounts."""
    journal = Journal(path)
    place = journal.begin(EntryKind.PLACE, {
        "pair": "BTC_USDT", "side": "BUY", "type": "LIMIT", "base_amount": "0.012345",
        "limit_price": "80000.00", "tif": "GTC"}, client_order_id="coid-1")
    journal.done(place, {"order_ids": [41]})
    moved = journal.begin("margin_transfer", {
        "wallet_type": "CROSS_MARGIN", "direction": "ADD", "amount": "1000.123456",
        "currency": "USDT"})
    journal.done(moved, 7)
    journal.close()


async def test_withdraw_and_its_confirm_at_the_currency_precision(market_sim: Any,
                                                                 tmp_path: Path) -> None:
    _odd_account(market_sim)
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        dialog = await open_withdraw_form(pilot)
        await _check(pilot, None, "withdraw dialog")
        dialog.query_one("#amount", Input).value = "1234.5"
        await wait_until(pilot, lambda: dialog.query("#attr-address"), what="address field")
        dialog.query_one("#attr-address", Input).value = "T" + "b" * 33
        await _check(pilot, None, "withdraw dialog with an amount")
        dialog.review()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await _check(pilot, None, "withdraw confirm")


async def _margin_dialog(pilot: Any, action: str, amount: str | None, what: str) -> None:
    app = pilot.app
    pane = next(p for p in app.main.query(MarginPane) if p.snapshot is not None)
    getattr(pane, f"action_{action}")()
    await wait_until(pilot, lambda: isinstance(app.screen, MarginFormModal), what=what)
    dialog = app.screen
    await pilot.pause()
    currency = dialog.query("#currency")
    if currency:  # the odd USDT amounts (the pair's BTC is offered first)
        currency.first(Select).value = "USDT"
    await _check(pilot, None, what)
    if amount is not None:
        dialog.query_one("#amount", Input).value = amount
        await _check(pilot, None, f"{what} with an amount")
    if action == "transfer":  # sent: the dashboard with the transfer in it
        # what is available never rounds up past what there is (98,999.876544: .87)
        shown = str(dialog.query_one("#margin-preview", Static).render())
        have = dialog.snapshot.spot_available("USDT")
        number = Decimal(shown.split(": ")[1].split()[0].replace(",", ""))
        assert have - Decimal("0.01") < number <= have, (shown, have)
        dialog.action_submit()
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="done")
        await _check(pilot, None, f"{what} done")
        # the toast says what was sent at USDT's cents, with separators
        told = [n.message for n in app._notifications if "Transferred" in n.message]
        assert told and not [t for t in told if UNGROUPED.search(t)], told
        assert "1,000.12 USDT" in told[-1], told
        return
    await pilot.press("escape")
    await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="closed")


async def test_margin_dialogs_at_the_currency_precision(market_sim: Any,
                                                       tmp_path: Path) -> None:
    _odd_account(market_sim)
    app = trading_app(market_sim, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        await wait_until(pilot, lambda: any(
            p.snapshot is not None and p.snapshot.loans for p in app.main.query(MarginPane)),
                         what="loans")
        await _check(pilot, None, "main screen with a loan")
        await _margin_dialog(pilot, "borrow", "123.456789", "borrow")
        await _margin_dialog(pilot, "repay", "10.5", "repay")
        await _margin_dialog(pilot, "close_position", None, "close position")
        await _margin_dialog(pilot, "transfer", "1000.123456", "transfer")


async def _each_tab(pilot: Any, tabs_id: str, prefix: str, pane: Any,
                    kinds: list[str], table_id: str) -> None:
    app = pilot.app
    tabs = pane.query_one(tabs_id, TabbedContent)
    for kind in kinds:
        tabs.active = f"{prefix}{kind}"
        table = pane.query_one(table_id.format(kind), DataTable)
        await wait_until(pilot, lambda t=table: t.row_count > 0, what=f"{kind} rows")
        await _check(pilot, None, f"history {kind}")
    assert app.screen is app.main or len(app.screen_stack) == 1


async def test_history_tabs_with_records_at_their_precision(market_sim: Any,
                                                            tmp_path: Path) -> None:
    _odd_account(market_sim)
    market_sim.exchange.step()  # the deposit and the withdrawal move on
    _liquidated(market_sim)
    app = trading_app(market_sim, tmp_path)
    _journaled(app.journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await trading_ready(pilot)
        account = app.main.query_one("#account-tabs", TabbedContent)
        account.active = "history"
        history = app.main.query_one("HistoryPane")
        await _each_tab(pilot, "#history-tabs", "hist-", history,
                        ["orders", "trades", "activity", "deposits", "withdrawals",
                         "journal"], "#hist-table-{}")
        account.active = "margin_history"
        margin = app.main.query_one("MarginHistoryPane")
        # the interest the simulator charged an hour ahead is inside the window
        margin._now = lambda: datetime.now(UTC) + timedelta(hours=2)
        await _each_tab(pilot, "#margin-history-tabs", "mh-tab-", margin,
                        ["margin_transfers", "borrows", "repays", "interests",
                         "liquidations"], "#mh-{}")
