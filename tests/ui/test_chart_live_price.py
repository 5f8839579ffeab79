"""The chart's labelled last-price line follows the live last price (the header's), not the
last candle's close of the latest candle poll; a price-only change rebuilds the chart at
most about once a second, and only when the price moved at the pair's precision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alp_tui.config import Config, PollingConfig
from alp_tui.services.format import format_decimal
from alp_tui.ui.chart_render import ChartSpec, build_chart, strip_ansi
from alp_tui.ui.panes.chart import ChartPane
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
    """The chart row holding the dashed last-price line."""
    build = pane.shown_build
    assert build is not None
    return next((row for row in strip_ansi(build.ansi).splitlines() if "╌" in row), "")


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


async def test_price_only_changes_rebuild_at_most_about_once_a_second() -> None:
    candles = make_candles(200)
    close = candles[-1].close
    pane = ChartPane(id="chart")
    app = PaneHarness(pane)
    async with app.run_test(size=(120, 34)) as pilot:
        pane.set_pair(BTC_USDT)
        pane.show_data(candles)
        await wait_until(pilot, lambda: pane.build_count == 1 and pane.shown_build,
                         what="first build")
        pane.set_last_price(close + 1)  # the first move shows at once
        await wait_until(pilot, lambda: _label(close + 1) in _last_line(pane),
                         what="the line at the live price")
        assert pane.build_count == 2
        for step in range(2, 8):  # a burst within the second: one more build, the latest
            pane.set_last_price(close + step)
        pane.set_last_price(close + D("7.001"))  # the same at the pair's precision
        await wait_until(pilot, lambda: _label(close + 7) in _last_line(pane),
                         what="the burst's last price")
        assert pane.build_count == 3
        pane.set_last_price(close + 7)  # unchanged: nothing to build
        await pilot.pause(0.05)
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
