"""Every number on screen through its currency's precision with thousands separators:
the main screen (every account pane filled), the order form and its confirm, the quick
line and the help, health and error views (withdraw and the margin dialogs: not yet, the
withdraw dialog still shows 8-decimal USDT). A number with
more decimals than its currency allows, or four or more integer digits and a decimal point
without separators (``98621.6528467``, ``80000.00``), fails the test. Typed fields are left
out: a prefilled price is plain on purpose so it parses back."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Select, Static

from alp_tui.api.enums import MarginDirection, WalletType
from alp_tui.services.format import currency_places
from alp_tui.ui.modals.confirm import ConfirmModal
from alp_tui.ui.modals.order_form import OrderFormModal
from alp_tui.ui.modals.quick_order import QuickOrderModal
from tests.support.dashboard import all_fresh, sim_app
from tests.support.wait import wait_until

SIZE = (160, 48)
NUMBER_UNIT = re.compile(r"(?<![\w.,#])(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d+))?\s+([A-Z]{2,6})\b")
UNGROUPED = re.compile(r"(?<![\w.,#:/-])\d{4,}\.\d+")
ANY_DECIMALS = re.compile(r"(?<![\w.,#])\d[\d,]*\.(\d+)")


def _texts(screen: Any) -> list[str]:
    out: list[str] = []
    for widget in screen.query("*"):
        if isinstance(widget, Input | Select) or any(
                isinstance(a, Input | Select) for a in widget.ancestors):
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


async def _check(pilot: Any, places: dict[str, int], what: str) -> None:
    await pilot.pause()
    bad = _problems(_texts(pilot.app.screen), places)
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
