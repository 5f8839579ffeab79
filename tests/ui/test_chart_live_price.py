"""The chart's labelled last-price line follows the live last price (the header's), not the
last candle's close of the latest candle poll. It is drawn over the built chart, the same
cells and colours plotext gives it, so a move within the chart's range costs no build; a
price beyond the range rebuilds it wider, at most about once a second."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alp_tui.api.enums import OrderSide
from alp_tui.config import Config, PollingConfig
from alp_tui.services.format import format_decimal
from alp_tui.ui.chart_overlay import with_last_price
from alp_tui.ui.chart_render import ChartSpec, OrderLine, build_chart, strip_ansi
from alp_tui.ui.panes.chart import ChartPane
from alp_tui.ui.widgets.chart_canvas import ansi_to_strips
from tests.support.dashboard import sim_app
from tests.support.pane_data import BTC_USDT, make_candles
from tests.support.panes import PaneHarness
from tests.support.wait import wait_until

D = Decimal


def _label(price: Decimal) -> str:
    return f" {format_decimal(price, 2)} "


def _spec(**kwargs: Any) -> ChartSpec:
    base: dict[str, Any] = dict(width=120, height=30, candles=tuple(make_candles(200)),
                                data_version=1, price_precision=2, amount_precision=6,
                                interval_minutes=60)
    base.update(kwargs)
    return ChartSpec(**base)


def _last_line(pane: ChartPane) -> str:
    """The row of the chart on screen holding the dashed last-price line."""
    return next((row for row in pane.canvas.text().splitlines() if "╌" in row), "")


def _cells(strip: Any) -> list[tuple[str, Any]]:
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def test_the_line_is_drawn_at_the_live_price_when_given() -> None:
    candles = make_candles(200)
    close = candles[-1].close
    live = close + D("12.34")
    plain = strip_ansi(build_chart(_spec(last_price=live)).ansi)
    row = next(r for r in plain.splitlines() if "╌" in r)
    assert row.rstrip().rstrip("│").endswith(_label(live))
    assert _label(close) not in row


def test_a_live_price_beyond_the_candles_widens_the_range_to_show_it() -> None:
    candles = make_candles(200)
    top = max(c.high for c in candles[-60:])
    live = top * D("1.05")
    plain = strip_ansi(build_chart(_spec(last_price=live)).ansi)
    assert any("╌" in r and _label(live) in r for r in plain.splitlines())


def test_the_line_over_a_build_is_the_line_plotext_draws() -> None:
    candles = make_candles(200)
    compared = 0
    for width, height in ((48, 17), (120, 30)):
        shown = candles[build_chart(_spec(width=width, height=height)).first:]
        low, high = min(c.low for c in shown), max(c.high for c in shown)
        orders = (OrderLine(OrderSide.BID, low + (high - low) / 3),
                  OrderLine(OrderSide.ASK, low + (high - low) * 2 / 3))
        for k in range(1, 30, 2):
            price = (low + (high - low) * k / 29).quantize(D("0.01"))
            spec = _spec(width=width, height=height, last_price=price, order_lines=orders)
            plotext = ansi_to_strips(build_chart(spec).ansi, width)
            if not any(_label(price) in x.text for x in plotext):
                continue  # the plot's lowest row is cut: plotext shows no line (we do)
            bare = build_chart(_spec(width=width, height=height, last_price=price,
                                     order_lines=orders, draw_last=False))
            ours = with_last_price(ansi_to_strips(bare.ansi, width), bare, price, 2)
            assert [_cells(x) for x in ours] == [_cells(x) for x in plotext], (width, k)
            compared += 1
    assert compared >= 25


async def test_moves_within_the_range_cost_no_build_beyond_it_one_a_second() -> None:
    candles = make_candles(200)
    close = candles[-1].close
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(120, 34)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(candles)
        await wait_until(pilot, lambda: pane.build_count == 1 and pane.shown_build,
                         what="first build")
        assert _label(close) in _last_line(pane)  # no live price yet: the last close
        for step in range(1, 6):
            pane.set_last_price(close + step)
            await pilot.pause()
            assert _label(close + step) in _last_line(pane)
        assert pane.build_count == 1  # drawn over the build
        build = pane.shown_build
        assert build is not None
        top = D(str(build.y_hi))
        pane.set_last_price(top + 100)  # beyond the range: rebuilt wider, at once
        await wait_until(pilot, lambda: _label(top + 100) in _last_line(pane),
                         what="the range widened")
        assert pane.build_count == 2
        for step in range(2, 8):  # a burst beyond it: one more build, with the latest
            pane.set_last_price(top + 100 * step)
        pane.set_last_price(top + D("700.001"))  # the same at the pair's precision
        await wait_until(pilot, lambda: _label(top + 700) in _last_line(pane),
                         what="the burst's last price")
        assert pane.build_count == 3


async def test_the_line_follows_the_headers_price_before_the_candles_are_polled(
    sim_server: Any,
) -> None:
    # Candles are polled once at start here; prices every 0.5 s.
    config = Config(polling=PollingConfig(chart=3600, tickers=0.5))
    app = sim_app(sim_server, config=config)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.main.query_one(ChartPane)
        await wait_until(pilot, lambda: pane.shown_build is not None and pane.candles,
                         what="the chart drawn")
        chart = app.session.feed.pollers["chart"]
        polled = chart.requests
        ex = sim_server.exchange
        new = (ex.last_price("BTC_USDT") * D("1.003")).quantize(D("0.01"))
        ex.set_last_price("BTC_USDT", new)
        await wait_until(pilot, lambda: app.header_pane.ticker is not None
                         and app.header_pane.ticker.last == new, what="the header's price")
        await wait_until(pilot, lambda: _label(new) in _last_line(pane),
                         what="the chart's line at the header's price")
        assert chart.requests == polled  # no candle poll did it
        assert pane.candles[-1].close != new
