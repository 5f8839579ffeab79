"""Alerts from simulator moves, with no app: price, margin, liquidation, fill; the command
gets its argv and environment; price alerts are saved back to the config."""

from __future__ import annotations

import json
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from session_support import FastSleep, make_session, offer, until

from alp_tui.api.enums import WalletType
from alp_tui.config import AlertsConfig, Config, PriceAlertConfig, write_config
from alp_tui.session import AlertFired, AlertKind, FillEvent, PriceRule
from alp_tui.session.alerts import AlertEngine

RECORDER = """import json, os, sys
with open(sys.argv[1], "a") as fh:
    fh.write(json.dumps({"argv": sys.argv[2:], "kind": os.environ.get("ALP_ALERT_KIND"),
                         "pair": os.environ.get("ALP_ALERT_PAIR"),
                         "text": os.environ.get("ALP_ALERT_TEXT")}) + "\\n")
"""


def _alerts(seen: list[Any], kind: AlertKind) -> list[AlertFired]:
    return [e for e in seen if isinstance(e, AlertFired) and e.kind is kind]


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


async def test_price_alerts_fire_at_start_and_again_after_going_back(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    last = ex.last_price("BTC_USDT")
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "calls.jsonl"
    config = Config(alerts=AlertsConfig(
        command=[sys.executable, str(script), str(out)],
        price=[PriceAlertConfig(pair="BTC_USDT", below=str(last * 2)),  # true at start
               PriceAlertConfig(pair="BTC_USDT", above=str(last * Decimal("1.1")))]))
    session = make_session(sim_server, tmp_path, config=config, sleep=FastSleep())
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await until(lambda: len(_alerts(seen, AlertKind.PRICE)) == 1)
        assert "below" in _alerts(seen, AlertKind.PRICE)[0].text
        ex.set_last_price("BTC_USDT", last * Decimal("1.2"))
        await until(lambda: len(_alerts(seen, AlertKind.PRICE)) == 2)
        assert "above" in _alerts(seen, AlertKind.PRICE)[1].text
        # quiet while the price stays past the level...
        ex.set_last_price("BTC_USDT", last * Decimal("1.15"))
        pollers = session.feed.pollers  # type: ignore[union-attr]
        asked = pollers["tickers"].requests
        await until(lambda: pollers["tickers"].requests >= asked + 3)
        assert len(_alerts(seen, AlertKind.PRICE)) == 2
        # ...back under it by more than the hysteresis, then past it again: a new alert
        ex.set_last_price("BTC_USDT", last)
        asked = pollers["tickers"].requests
        await until(lambda: pollers["tickers"].requests >= asked + 3)
        ex.set_last_price("BTC_USDT", last * Decimal("1.12"))
        await until(lambda: len(_alerts(seen, AlertKind.PRICE)) == 3)
        await until(lambda: len(_lines(out)) == 3)
    # each alert's command runs in the background, so they may finish in any order
    calls = {call["text"]: call for call in _lines(out)}
    first = calls[_alerts(seen, AlertKind.PRICE)[0].text]
    assert first["kind"] == "price" and first["pair"] == "BTC_USDT"
    assert first["argv"] == [first["text"]]  # the text is the last argument
    assert set(calls) == {alert.text for alert in _alerts(seen, AlertKind.PRICE)}
    assert list(session.alert_log)[:3] == _alerts(seen, AlertKind.PRICE)


async def test_margin_and_liquidation_alerts_from_market_moves(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    session = make_session(sim_server, tmp_path, sleep=FastSleep())
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        client = session.client
        await client.margin_transfer("ISOLATED_MARGIN", "ADD", Decimal(1000), "USDT",
                                     pair="BTC_USDT")
        offer(sim_server, amount="1")
        await client.place_order("BTC_USDT", "BID", "MARKET", wallet_type="ISOLATED_MARGIN",
                                 quote_amount=Decimal(2000), side_effect="AUTO_BORROW")
        session.after_action()
        await until(lambda: session.account.snapshot.worst is not None)
        worst = session.account.snapshot.worst
        assert worst.wallet.wallet_type is WalletType.ISOLATED_MARGIN
        assert Decimal("1.9") < worst.level < Decimal("2.01")
        assert session.account.snapshot.debt > Decimal(990)
        assert not _alerts(seen, AlertKind.MARGIN)
        liq = session.account.snapshot.liquidation[0].liquidation_price

        ex.move_market("BTC_USDT", Decimal("0.72"))  # level ~1.44: below the warning line
        await until(lambda: _alerts(seen, AlertKind.MARGIN))
        (warning,) = _alerts(seen, AlertKind.MARGIN)
        assert "isolated BTC_USDT" in warning.text and not warning.danger
        assert not _alerts(seen, AlertKind.LIQUIDATION)

        ex.set_last_price("BTC_USDT", liq * Decimal("1.03"))  # within 5 % of liquidation
        await until(lambda: _alerts(seen, AlertKind.LIQUIDATION))
        (near,) = _alerts(seen, AlertKind.LIQUIDATION)
        assert near.danger and near.pair == "BTC_USDT" and "falls to" in near.text
        await until(lambda: len(_alerts(seen, AlertKind.MARGIN)) == 2)
        assert _alerts(seen, AlertKind.MARGIN)[1].danger  # near liquidation: red


async def test_fill_alerts_partial_then_full_with_average_price(
    sim_server: Any, tmp_path: Path
) -> None:
    ex = sim_server.exchange
    price = (ex.last_price("BTC_USDT") * Decimal("0.9")).quantize(Decimal(1))
    session = make_session(sim_server, tmp_path, sleep=FastSleep())
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await until(lambda: "orders" in session.account.known
                    and session.feed.pollers["fills"].requests >= 1)  # type: ignore[union-attr]
        await session.client.place_order("BTC_USDT", "BID", "LIMIT", base_amount="0.02",
                                         limit_price=price, tif="GTC")
        session.after_action()
        await until(lambda: session.account.open_orders)
        offer(sim_server, amount="0.005", price=price)  # a partial fill
        await until(lambda: _alerts(seen, AlertKind.FILL))
        fills = [e for e in seen if isinstance(e, FillEvent)]
        assert fills[0].partial and fills[0].amount == Decimal("0.005")
        assert fills[0].average_price == price
        offer(sim_server, amount="0.015", price=price)  # the rest
        await until(lambda: len(_alerts(seen, AlertKind.FILL)) == 2)
        last = [e for e in seen if isinstance(e, FillEvent)][-1]
        assert not last.partial and last.amount == Decimal("0.015")
        assert "Filled BUY 0.015 BTC of BTC_USDT" in _alerts(seen, AlertKind.FILL)[1].text


async def test_command_failure_is_logged_once_and_never_blocks(tmp_path: Path) -> None:
    from alp_tui.feed.stats import ErrorLog
    from alp_tui.session.alert_command import AlertCommand

    errors = ErrorLog()
    command = AlertCommand([str(tmp_path / "no-such-program")], errors=errors)
    for _ in range(3):
        command.fire(AlertFired(AlertKind.PRICE, "x", "BTC_USDT"))
    await command.drain()
    assert len(errors) == 1 and "no-such-program" in errors.items()[0].message
    slow = AlertCommand([sys.executable, "-c", "import time; time.sleep(30)"],
                        timeout_s=0.3, errors=ErrorLog())
    task = slow.fire(AlertFired(AlertKind.FILL, "x"))
    assert task is not None and not task.done()  # returned at once
    await slow.drain()
    assert slow.failed_once  # stopped after its timeout, and said so


def test_stream_alert_after_n_seconds_lost_with_open_orders() -> None:
    engine = AlertEngine(AlertsConfig(stream_lost_s=30))
    assert engine.check_stream(False, True, 100.0) == []
    assert engine.check_stream(False, True, 129.0) == []
    (alert,) = engine.check_stream(False, True, 131.0)
    assert alert.kind is AlertKind.STREAM and alert.danger
    assert engine.check_stream(False, True, 200.0) == []  # once
    (back,) = engine.check_stream(True, True, 201.0)  # back: told, calm, armed again
    assert back.kind is AlertKind.STREAM and not back.danger
    assert back.text.startswith("Private stream back after 101 s")
    assert engine.check_stream(True, True, 202.0) == []
    assert engine.check_stream(False, False, 300.0) == []
    assert engine.check_stream(False, False, 400.0) == []  # no open orders: nothing at risk


@pytest.mark.parametrize("side", ["above", "below"])
async def test_price_alerts_added_and_removed_are_saved_to_the_config(
    sim_server: Any, tmp_path: Path, side: str
) -> None:
    path = tmp_path / "config.toml"
    write_config(path, {"dashboard": {"watchlist": ["ETH_USDT"]}})
    session = make_session(sim_server, tmp_path, config_path=path)
    rule = PriceRule.from_config(PriceAlertConfig(pair="BTC_USDT", **{side: "123456.5"}))
    assert await session.add_price_alert(rule)
    assert not await session.add_price_alert(rule)  # already there
    raw = tomllib.loads(path.read_text())
    assert raw["alerts"]["price"] == [{"pair": "BTC_USDT", side: "123456.5"}]
    assert raw["dashboard"]["watchlist"] == ["ETH_USDT"]  # the rest is kept
    assert Config.model_validate(raw).alerts.price[0].pair == "BTC_USDT"
    assert await session.remove_price_alert(rule)
    assert tomllib.loads(path.read_text())["alerts"]["price"] == []


def test_price_alert_text_reads_at_the_pairs_precision() -> None:
    """The price alert's toast, banner, log line and command text: prices at the pair's
    price precision with separators ("BTC_USDT at 91000.1: above 90000" before)."""
    from alp_tui.api.models import PairInfo, Ticker

    engine = AlertEngine(AlertsConfig(price=[
        PriceAlertConfig(pair="BTC_USDT", above="90000"),
        PriceAlertConfig(pair="ETH_BTC", below="0.0335")]))
    pairs = {p.name: p for p in (
        PairInfo(name="BTC_USDT", currency1="BTC", currency2="USDT", amount_precision=6,
                 price_precision=2, maximum_order_size=Decimal(100),
                 minimum_order_size=Decimal("0.0001"), minimum_order_value=Decimal(10)),
        PairInfo(name="ETH_BTC", currency1="ETH", currency2="BTC", amount_precision=4,
                 price_precision=6, maximum_order_size=Decimal(100),
                 minimum_order_size=Decimal("0.001"), minimum_order_value=Decimal("0.0001")))}

    def tick(pair: str, last: str) -> Ticker:
        return Ticker(pair=pair, last=Decimal(last), vol=Decimal(1), high=Decimal(last),
                      low=Decimal(last), timestamp=Decimal(1))

    fired = engine.check_prices({"BTC_USDT": tick("BTC_USDT", "91000.1"),
                                 "ETH_BTC": tick("ETH_BTC", "0.0333")}, pairs)
    assert [a.text for a in fired] == ["BTC_USDT at 91,000.10: above 90,000.00",
                                       "ETH_BTC at 0.033300: below 0.033500"]
    assert PriceRule("BTC_USDT", Decimal("95000.5"), True).label == "BTC_USDT ≥ 95,000.5"
