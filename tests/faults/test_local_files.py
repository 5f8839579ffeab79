"""Findings 5 and 6 of #14 at the dashboard: local files never stop the app.

An unreadable journal or token cache is moved aside, the UI says so once, and the app goes
on (trading with a new journal, a new token fetched and cached). The live app uses the
token cache: a restart does not cost a POST /auth. The journal's four corrupt variants are
proved on the journal itself in ``tests/services/test_journal_recovery.py``; the token
cache's variants on the client here.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alp_tui.api.client import AlpClient
from alp_tui.api.token_cache import TokenCache, default_token_cache_dir
from alp_tui.config import Config, ExchangeConfig
from alp_tui.feed.state import Freshness
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import AlpApp, create_app
from tests.support.dashboard import SIZE, dashboard, fast_config
from tests.support.wait import wait_until

pytestmark = pytest.mark.timeout(90)


def _notices(app: AlpApp) -> list[str]:
    """Record what the app tells the user through notifications."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    return said


async def test_a_garbage_journal_is_said_once_and_trading_goes_on(
        sim_server: SimServer, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(os.urandom(4096) + b"not a database at all" * 100)
    app = dashboard(sim_server, keys=True)
    app.journal_path = path
    said = _notices(app)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.trading is not None, what="trading service")
        await wait_until(pilot, lambda: any("moved to" in s for s in said),
                         what="the journal notice")
        assert app.is_running
        journal = app.trading.journal
        assert journal.moved_to is not None and journal.moved_to.exists()
        entry = journal.begin("place", {"pair": "BTC_USDT"})  # the new journal works
        assert journal.get(entry) is not None
    assert len([s for s in said if "journal" in s]) == 1


# --- token cache: the client ------------------------------------------------------------


def _bad_files() -> dict[str, Callable[[Path], None]]:
    def write(data: Any) -> Callable[[Path], None]:
        def put(path: Path) -> None:
            text = data if isinstance(data, str) else json.dumps(data)
            path.write_text(text, encoding="utf-8")
            path.chmod(0o600)
        return put

    def good(**changes: Any) -> Callable[[Path], None]:
        def put(path: Path) -> None:
            data = json.loads(path.read_text(encoding="utf-8"))
            data.update(changes)
            write(data)(path)
        return put

    def directory(path: Path) -> None:
        path.unlink()
        path.mkdir(mode=0o700)

    def deep(path: Path) -> None:
        write("[" * 100_000 + "]" * 100_000)(path)

    return {
        "garbage": lambda p: p.write_bytes(b"\x00\xff" + os.urandom(300)) and None,
        "truncated": lambda p: write(p.read_text(encoding="utf-8")[:20])(p),
        "not-an-object": write([1, 2, 3]),
        "deep": deep,
        "token-with-newline": good(token="abc\r\nX-Injected: 1"),
        "token-not-a-string": good(token=None),
        "expires-nan": good(expires_wall=math.nan),
        "expires-inf": good(expires_wall=math.inf),
        "expires-negative": good(expires_wall=-5.0),
        "expires-a-string": good(expires_wall="soon"),
        "lifetime-nan": good(lifetime_s=math.nan),
        "expires-in-ten-years": good(expires_wall=time.time() + 10 * 365 * 86400),
        "a-directory": directory,
    }


BAD = _bad_files()


@pytest.mark.parametrize("variant", list(BAD))
async def test_an_unusable_token_cache_is_moved_aside_and_rebuilt(
        sim_server: SimServer, tmp_path: Path, variant: str) -> None:
    cache_dir = tmp_path / "tokens"

    def client() -> AlpClient:
        return AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         token_cache_path=cache_dir)

    async with client() as first:
        await first.balances()
    [path] = list(cache_dir.iterdir())
    BAD[variant](path)
    async with client() as second:
        await second.balances()  # works: a new token was fetched
        assert second.auth_count == 1
        if variant == "expires-in-ten-years":
            # well-formed but not believable: dropped quietly, not moved aside
            assert second.token_cache_notice is None
        else:
            assert second.token_cache_notice is not None
            assert "moved to" in second.token_cache_notice
            asides = [p for p in cache_dir.iterdir() if ".corrupt-" in p.name]
            assert len(asides) == 1
    # ...and cached again: the next client uses it without a POST /auth.
    cached = TokenCache(cache_dir).load(path.stem)
    assert cached is not None and math.isfinite(cached.expires_wall)
    assert cached.expires_wall > time.time()
    async with client() as third:
        await third.balances()
        assert third.auth_count == 0 and third.token_cache_notice is None


# --- token cache: the live app ------------------------------------------------------------


def _live_app(server: SimServer) -> AlpApp:
    base = fast_config()
    config = Config(polling=base.polling, exchange=ExchangeConfig(
        base_url=server.base_url, api_key=server.api_key, api_secret=server.api_secret,
        timeout_s=5))
    return create_app(config, mode="live", stream=False)


async def _run_until_balances(app: AlpApp) -> None:
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.topic_states.get("balances") is not None
                         and app.topic_states["balances"].kind is Freshness.FRESH,
                         what="balances fresh")


async def test_the_live_app_uses_the_token_cache_and_survives_a_corrupt_one(
        sim_server: SimServer) -> None:
    first = _live_app(sim_server)
    await _run_until_balances(first)
    assert first.client.auth_count == 1
    [path] = list(default_token_cache_dir().glob("*.json"))
    assert path.stat().st_mode & 0o777 == 0o600

    second = _live_app(sim_server)  # a restart: the cached token, no POST /auth
    said = _notices(second)
    await _run_until_balances(second)
    assert second.client.auth_count == 0 and not said

    path.write_bytes(b"\x00\xff{ not json")
    third = _live_app(sim_server)
    said = _notices(third)
    await _run_until_balances(third)
    assert third.client.auth_count == 1
    assert len([s for s in said if "saved API token" in s]) == 1
    assert [p.name for p in path.parent.iterdir() if ".corrupt-" in p.name]
    assert TokenCache(path.parent).load(path.stem) is not None  # rebuilt


# --- the session (the app's textual-free core, #12) tells its UI the same, once -----------


async def test_the_session_says_once_that_local_files_were_moved_aside(
        sim_server: SimServer, tmp_path: Path) -> None:
    from alp_tui.session import Session
    from alp_tui.session.events import Notice

    cache_dir = tmp_path / "tokens"
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         token_cache_path=cache_dir) as first:
        await first.balances()
    [token_file] = list(cache_dir.iterdir())
    token_file.write_text("{ truncated", encoding="utf-8")
    journal = tmp_path / "journal.sqlite3"
    journal.write_bytes(os.urandom(2048))

    def client() -> AlpClient:
        return AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         token_cache_path=cache_dir)

    session = Session(Config(), client, has_credentials=True, journal_path=journal)
    said: list[str] = []
    session.subscribe(lambda e: said.append(e.text) if isinstance(e, Notice) else None)
    try:
        await session.start()
        assert session.trading is not None  # trading goes on with a new journal
    finally:
        await session.aclose()
    assert len([s for s in said if "saved API token" in s]) == 1
    assert len([s for s in said if "trading journal" in s]) == 1


async def test_a_secret_kept_off_disk_keeps_its_tokens_off_disk(sim_server: SimServer) -> None:
    base = fast_config()
    config = Config(polling=base.polling, exchange=ExchangeConfig(
        base_url=sim_server.base_url, api_key=sim_server.api_key,
        api_secret_cmd=f"printf %s {sim_server.api_secret}", timeout_s=5))
    app = create_app(config, mode="live", stream=False)
    await _run_until_balances(app)
    assert app.client.auth_count == 1
    cache = default_token_cache_dir()
    assert not cache.exists() or not list(cache.iterdir())
