"""Secrets (api_secret, JWTs, X-SIGN values) never appear in logs, exception texts, reprs,
the screen, the journal, crash reports or any file written during a session that used them:
the dashboard against the simulator with keys, orders placed and cancelled, an auth refresh,
and faults on the way."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import AlpError
from alp_tui.config import Config, ExchangeConfig, PollingConfig
from alp_tui.services.journal import Journal
from alp_tui.services.trading import TradingService
from alp_tui.sim.faults import FaultRule
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
from tests.support.dashboard import buy_draft
from tests.support.wait import wait_until

SIZE = (160, 48)


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Every logger at DEBUG into one buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    touched = []
    names = [*logging.root.manager.loggerDict, "httpx", "httpcore", "alp_tui", "uvicorn"]
    for name in names:
        logger = logging.getLogger(name)
        touched.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)
    for logger, level in touched:
        logger.setLevel(level)


class Secrets:
    """Every secret value of the session: the api_secret, each JWT issued, each X-SIGN."""

    def __init__(self, server: SimServer) -> None:
        self.api_secret = server.api_secret
        self.jwts: list[str] = []
        self.signs: list[str] = []
        issue = server.auth.issue

        def recording_issue(record: Any, ttl_s: float | None = None) -> str:
            token = issue(record, ttl_s)
            self.jwts.append(token)
            return token

        server.auth.issue = recording_issue  # type: ignore[method-assign]

    async def on_request(self, request: httpx.Request) -> None:
        """httpx event hook: remember each X-SIGN sent."""
        sign = request.headers.get("x-sign")
        if sign:
            self.signs.append(sign)

    def values(self) -> list[str]:
        """Each value, plus each JWT's signature part on its own."""
        out = [self.api_secret, *self.jwts, *self.signs]
        out += [t.rsplit(".", 1)[-1] for t in self.jwts]
        return [v for v in out if v]

    def find_in(self, where: str, text: str) -> list[str]:
        """Names of the secrets found in ``text``."""
        found = []
        if self.api_secret in text:
            found.append(f"api_secret in {where}")
        found += [f"a JWT in {where}" for t in self.jwts
                  if t in text or t.rsplit(".", 1)[-1] in text]
        found += [f"an X-SIGN in {where}" for s in self.signs if s in text]
        return found


def _files_text(root: Path) -> dict[str, str]:
    out = {}
    for path in root.rglob("*"):
        if path.is_file():
            out[str(path.relative_to(root))] = path.read_bytes().decode("latin-1")
    return out


async def test_a_full_session_leaks_no_secret(make_sim_server: Any, tmp_path: Path,
                                              debug_logs: io.StringIO) -> None:
    server: SimServer = make_sim_server(seed=1, market_life=True, tick_s=3600,
                                        state_path=str(tmp_path / "sim.db"))
    secrets = Secrets(server)
    texts: dict[str, str] = {}
    polling = PollingConfig(tickers=0.2, orderbook=0.2, chart=0.5, trades=0.2, balances=0.5,
                            orders=0.5)
    config = Config(polling=polling,
                    exchange=ExchangeConfig(base_url=server.base_url, api_key=server.api_key,
                                            api_secret=server.api_secret, timeout_s=2.0))
    cache = tmp_path / "tokens"
    made: list[AlpClient] = []

    def factory() -> AlpClient:
        client = AlpClient(server.base_url, server.api_key, server.api_secret, 2.0,
                           token_cache_path=cache)
        client._http.event_hooks["request"].append(secrets.on_request)
        made.append(client)
        return client

    app = create_app(config, client_factory=factory, api_key=server.api_key,
                     api_secret=server.api_secret, mode="demo")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.topic_states.get("balances") is not None
                         and app.topic_states["balances"].updated_at is not None,
                         what="balances")
        client = made[0]
        journal = Journal(tmp_path / "data" / "journal.sqlite3")
        service = TradingService(client, journal, lookup_delays=(0.0, 0.3))
        results = [await service.place(buy_draft())]
        # faults: a lost answer (lookup), a server error, a broken body, a refused token
        server.faults.add(FaultRule(kind="drop_mid", path="/api/v3/trading/order", count=1))
        results.append(await service.place(buy_draft(price="89000.00")))
        server.faults.add(FaultRule(kind="status", path="/api/v3/orderbook", count=2))
        server.faults.add(FaultRule(kind="malformed", path="/api/v3/trades", count=2))
        server.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/balances",
                                    count=1))  # → one auth refresh
        await wait_until(pilot, lambda: client.auth_count >= 2, what="re-auth")
        results.append(await service.cancel(results[0].order_ids, pair="BTC_USDT"))
        errors: list[BaseException] = []
        server.faults.add(FaultRule(kind="unauthorized", path="/api/v3/accounts/feeinfo",
                                    count=2))
        for call in (client.fees(), client.place_order("BTC_USDT", "BUY", "LIMIT",
                                                       base_amount="-1", limit_price="1"),
                     client.orders(pair="NOPE_USDT")):
            try:
                await call
            except AlpError as exc:
                errors.append(exc)
        assert len(errors) == 3
        texts["exceptions"] = "\n".join(f"{e!s}\n{e!r}\n{e.__dict__!r}" for e in errors)
        texts["results"] = "\n".join(repr(r) for r in results)
        texts["reprs"] = "\n".join(repr(x) for x in (
            client, client._tokens, client._secret, app.config, app.config.exchange,
            config.model_dump(), config.to_toml_dict(include_secret=False), service,
            journal, app.feed, app.stats, app.topic_states))
        texts["error log"] = "\n".join(repr(e) for e in app.errors.items())
        texts["screen"] = app.export_screenshot()
        await pilot.press("f2")
        await pilot.pause()
        texts["health screen"] = app.export_screenshot()
        await pilot.press("escape", "f3")
        await pilot.pause()
        texts["error screen"] = app.export_screenshot()
        await pilot.press("escape")
    assert len(secrets.jwts) >= 2 and len(secrets.signs) >= 4
    texts["logs"] = debug_logs.getvalue()
    assert "POST /auth" in texts["logs"] or "auth" in texts["logs"]
    for name, text in _files_text(tmp_path).items():
        if name.startswith("tokens/"):
            # the token cache holds the JWT by design (0600); never the secret or a signature
            assert secrets.api_secret not in text
            assert not any(s in text for s in secrets.signs)
            continue
        if name.startswith("sim.db"):
            continue  # the simulator's own database holds its key table
        texts[f"file {name}"] = text
    found = [hit for where, text in texts.items() for hit in secrets.find_in(where, text)]
    assert found == []


async def test_a_crash_report_shows_no_secret(make_sim_server: Any,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A bug deep in the request path crashes the app: the traceback printed on exit has
    no local variables (Textual's default shows them, secret and all)."""
    server: SimServer = make_sim_server()
    config = Config(exchange=ExchangeConfig(base_url=server.base_url))
    app = create_app(config, api_key=server.api_key, api_secret=server.api_secret,
                     mode="demo", start_feed=False)
    from alp_tui.api import client_engine as client_module

    def broken(value: Any) -> bytes:
        raise RuntimeError("a bug while encoding the request")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await app.start_feed()
            monkeypatch.setattr(client_module, "encode_json", broken)
            app.client._tokens._token = None

            async def crash() -> None:  # fails inside POST /auth, the secret in a local
                await app.client.balances()

            app.call_later(crash)
            await pilot.pause(0.2)
    console = Console(record=True, width=120, file=io.StringIO())
    for renderable in app._exit_renderables:  # still pending, or already printed:
        console.print(renderable)
    report = console.export_text() + capsys.readouterr().err
    assert "a bug while encoding the request" in report
    assert server.api_secret[:16] not in report
    assert "locals" not in report

