"""Pilot tests of what reaches the trader whatever tab is open, against the simulator: the
header's margin chip with the Balances tab open, a toast and the bell on every fill."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import TabbedContent

from alp_tui.api.enums import OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.services.format import format_decimal
from alp_tui.services.margin_alerts import MarginBand
from alp_tui.ui.widgets.margin_chip import MarginChip
from tests.support.dashboard import sim_app
from tests.support.wait import wait_until
from tests.ui.test_account_view import SIZE, auto_borrow_buy, best, rest

COMPACT = (140, 44)  # every account pane a tab: the margin pane is not on screen


async def test_margin_chip_shows_while_the_balances_tab_is_open(market_sim: Any) -> None:
    auto_borrow_buy(market_sim)  # isolated BTC_USDT: 1,000 own + 2,000 borrowed, level ~1.497
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=COMPACT) as pilot:
        tabs = app.query_one("#account-tabs", TabbedContent)
        chip = app.query_one(MarginChip)
        # shown *and* laid out: under load the layout pass can trail the display flip
        await wait_until(pilot, lambda: chip.display and chip.text.startswith("margin 1.")
                         and chip.region.area > 0, what="margin chip on screen")
        assert tabs.active == "balances"
        assert chip.band is MarginBand.WARNING and chip.has_class("-warning")
        assert "isolated BTC_USDT · liq −" in chip.text
        level = Decimal(chip.text.split()[1])
        assert Decimal("1.45") < level < Decimal("1.5")
        assert chip.region.area > 0  # on screen, in the header


def _sell_into(server: Any, price: Decimal, amount: str) -> None:
    """Another account sells ``amount`` BTC at ``price`` (our bid is the best there)."""
    ex = server.exchange
    seller = ex.create_account(email=f"seller-{amount}@example.test", name="Seller",
                               funds={"BTC": Decimal(10)})
    ex.place_order(seller, {
        "pair": "BTC_USDT", "order_type": OrderType.LIMIT, "order_side": OrderSide.ASK,
        "wallet_type": WalletType.SPOT, "base_amount": Decimal(amount),
        "limit_price": price, "tif": TimeInForce.GTC,
    })


async def test_every_fill_is_toasted_with_its_average_price_and_rings_the_bell(
        market_sim: Any) -> None:
    app = sim_app(market_sim, keys=True)
    bells: list[int] = []
    toasts: list[str] = []
    notify = app.notify

    def record(message: Any, *args: Any, **kwargs: Any) -> None:
        toasts.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        bid, _ask = best(market_sim)
        price = bid + Decimal(10)  # inside the spread: the best bid, filled first
        order_id = rest(market_sim, OrderSide.BID, price, amount="0.02")

        def knows_order() -> bool:
            return any(o.id == order_id for o in app.session.account.snapshot.open_orders)

        await wait_until(pilot, knows_order, what="the resting order seen")
        fills = [t for t in toasts if t.startswith("Filled")]
        assert not fills and not bells

        _sell_into(market_sim, price, "0.01")  # half of it
        want = f"Filled BUY 0.01 BTC of BTC_USDT @ {format_decimal(price, 2)} avg (partial)"
        await wait_until(pilot, lambda: want in toasts, what="partial fill toast")
        assert bells

        rung = len(bells)
        _sell_into(market_sim, price, "0.01")  # the rest
        done = f"Filled BUY 0.01 BTC of BTC_USDT @ {format_decimal(price, 2)} avg"
        await wait_until(pilot, lambda: done in toasts, what="fill toast")
        assert len(bells) > rung


async def test_margin_danger_raises_a_banner_that_stays(market_sim: Any) -> None:
    from alp_tui.ui.widgets.alert_banner import AlertBanner

    auto_borrow_buy(market_sim)  # level ~1.497
    app = sim_app(market_sim, keys=True)
    async with app.run_test(size=COMPACT) as pilot:
        chip = app.query_one(MarginChip)
        await wait_until(pilot, lambda: chip.band is MarginBand.WARNING, what="warning")
        market_sim.exchange.move_market("BTC_USDT", Decimal("0.76"))  # level ~1.14: danger
        await wait_until(pilot, lambda: chip.band is MarginBand.DANGER, what="danger chip")

        def banner() -> AlertBanner | None:
            found = app.screen.query(AlertBanner)
            return found.first() if found else None

        await wait_until(pilot, lambda: (b := banner()) is not None and b.has_class("-danger")
                         and b.has_class("-shown"), what="danger banner")
        shown = banner()
        assert shown is not None and shown.region.area > 0
        assert any("BTC_USDT" in m for m in shown.messages)
        # the dismiss key reads as a key, not an article ("or a in the Margin tab")
        assert "press a on the Margin pane" in str(shown.render())  # a tab or the strip
        # it stays: more account readings come and go, the banner is still there
        readings = app.session.account.snapshot
        await wait_until(pilot, lambda: app.session.account.snapshot is not readings,
                         what="another account reading")
        assert shown.has_class("-shown") and shown.region.area > 0
        await pilot.click(AlertBanner)  # seen
        await pilot.pause()
        assert not shown.has_class("-shown")
