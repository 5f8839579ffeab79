"""``alp-tui --paper`` and ``alp-tui paper reset`` through the command line."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from alp_tui import cli
from alp_tui.api.client import AlpClient
from alp_tui.config import Config, ConfigError, load_config
from alp_tui.paper.gateway import PUBLIC_TTL
from alp_tui.sim.server import SimServer

from .conftest import Recorder
from .test_paper_trading import PAIR, seed_book


def test_demo_and_paper_cannot_be_combined(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "--paper"]) == 2
    assert "--demo and --paper" in capsys.readouterr().err


def test_paper_with_api_keys_in_the_environment_still_sends_nothing_private(
        upstream: tuple[SimServer, Recorder], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    up, recorder = upstream
    seed_book(up)
    # The real account's keys are configured: paper mode must not use them upstream.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("ALP_BASE_URL", up.base_url)
    monkeypatch.setenv("ALP_API_KEY", up.api_key)
    monkeypatch.setenv("ALP_API_SECRET", up.api_secret)
    import alp_tui.ui.app as ui_app

    seen: dict[str, Any] = {}

    def fake_create_app(config: Config, **kw: Any) -> Any:
        seen.update(kw)
        return type("FakeApp", (), {})()

    def fake_run_app(app: Any) -> int:
        async def trade() -> None:
            async with AlpClient(seen["base_url"], seen["api_key"],
                                 seen["api_secret"]) as client:
                await client.place_order(PAIR, "BID", "MARKET", base_amount=D("0.01"))
                await client.balances()
        asyncio.run(trade())
        seen["journal"] = app.journal_path
        return 0

    monkeypatch.setattr(ui_app, "create_app", fake_create_app)
    monkeypatch.setattr(cli, "run_app", fake_run_app)
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--paper", "--config", str(config)]) == 0
    assert seen["mode"] == "paper"
    assert seen["api_key"] != up.api_key and seen["base_url"] != up.base_url
    assert seen["journal"] == tmp_path / "data" / "alp-tui" / "paper" / "journal.sqlite3"
    public = {"/api/v3" + path for path in PUBLIC_TTL}
    assert recorder.requests
    assert [r for r in recorder.requests if r[1] != "GET" or r[2] not in public or r[3]] == []
    # The paper trade happened locally and is kept for the next start.
    assert (tmp_path / "data" / "alp-tui" / "paper" / "paper.sqlite3").exists()


def test_paper_reset_starts_over(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    root = tmp_path / "alp-tui" / "paper"
    root.mkdir(parents=True)
    for name in ("paper.sqlite3", "paper.sqlite3-wal", "journal.sqlite3", "listing.json"):
        (root / name).write_text("x")
    assert cli.main(["paper", "reset"]) == 0
    assert list(root.iterdir()) == []
    assert "reset" in capsys.readouterr().out
    assert cli.main(["paper", "reset"]) == 0
    assert "nothing to reset" in capsys.readouterr().out
    assert cli.main(["paper", "nope"]) == 2


def test_paper_without_a_reachable_exchange_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("ALP_BASE_URL", "http://127.0.0.1:9/api/v3")  # nothing listens
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--paper", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "paper mode: cannot list the pairs" in err
    assert "Traceback" not in err


def test_paper_config_section(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[paper]\nbalances = {usdt = "250.5", ETH = "2"}\ntaker_fee = "0.001"\n')
    config = load_config(path, env={})
    assert config.paper.balances == {"USDT": "250.5", "ETH": "2"}
    assert (config.paper.maker_fee, config.paper.taker_fee) == ("0.0015", "0.001")
    assert Config().paper.balances == {"USDT": "10000", "BTC": "0.1"}
    path.write_text('[paper]\nbalances = {USDT = "lots"}\n')
    with pytest.raises(ConfigError, match=r"paper\.balances"):
        load_config(path, env={})
    path.write_text('[paper]\nmaker_fee = "1.5"\n')
    with pytest.raises(ConfigError, match=r"paper\.maker_fee"):
        load_config(path, env={})


def test_a_paper_account_that_cannot_be_read_says_how_to_start_over(
        upstream: tuple[SimServer, Recorder], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up, _recorder = upstream
    seed_book(up)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("ALP_BASE_URL", up.base_url)
    from alp_tui.paper.account import PaperPaths, default_paper_dir

    paths = PaperPaths(default_paper_dir())
    paths.prepare()
    paths.state.write_bytes(b"\x13not a database" * 300)  # e.g. a disk error or a bad copy
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--paper", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "StateFileError" not in err  # a sentence for the user, not an exception's name
    assert str(paths.state) in err and "alp-tui paper reset" in err
    assert paths.state.read_bytes().startswith(b"\x13not a database")  # never deleted for them


def test_paper_with_an_unreadable_saved_listing_and_no_exchange_names_the_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The saved pair list is what lets paper start while the exchange is unreachable: when
    it cannot be read the line says so (it said only that paper mode needs the exchange's
    data "at least once", which it had had)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("ALP_BASE_URL", "http://127.0.0.1:9/api/v3")  # nothing listens
    listing = tmp_path / "alp-tui" / "paper" / "listing.json"
    listing.parent.mkdir(parents=True)
    listing.write_text('{"broken')
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--paper", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(listing) in err and "could not be read" in err
