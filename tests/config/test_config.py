"""Config loading, validation, env overrides and safe writing."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from alp_tui.config import (
    Config,
    ConfigError,
    default_config_path,
    load_config,
    save_watchlist,
    write_config,
)


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_defaults_when_default_file_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_path() == tmp_path / "alp-tui" / "config.toml"
    config = load_config(env={})
    assert config.exchange.base_url == "https://www.alp.com/api/v3"
    assert config.dashboard.pair == "BTC_USDT"
    assert config.dashboard.watchlist == ["BTC_USDT", "ETH_USDT"]
    assert config.polling.orderbook == 1
    assert not config.exchange.has_credentials


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", env={}, required=True)


def test_unknown_key_names_file_and_key(tmp_path):
    path = _write(tmp_path / "c.toml", "[dashboard]\npairr = 'BTC_USDT'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message and "dashboard.pairr" in message
    assert "\n" not in message


def test_unknown_section_rejected(tmp_path):
    path = _write(tmp_path / "c.toml", "[nonsense]\na = 1\n")
    with pytest.raises(ConfigError, match="unknown key 'nonsense'"):
        load_config(path, env={})


def test_bad_value_names_key(tmp_path):
    path = _write(tmp_path / "c.toml", "[dashboard]\nchart_interval = 7\n")
    with pytest.raises(ConfigError, match=r"dashboard\.chart_interval: must be one of"):
        load_config(path, env={})


def test_bad_toml(tmp_path):
    path = _write(tmp_path / "c.toml", "[dashboard\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, env={})


def test_pairs_normalised(tmp_path):
    path = _write(
        tmp_path / "c.toml",
        "[dashboard]\npair = 'eth/usdt'\nwatchlist = ['btc-usdt', 'BTC_USDT']\n",
    )
    config = load_config(path, env={})
    assert config.dashboard.pair == "ETH_USDT"
    assert config.dashboard.watchlist == ["BTC_USDT"]


def test_env_overrides(tmp_path):
    path = _write(tmp_path / "c.toml", "[exchange]\nbase_url = 'https://example.com/api/v3'\n")
    config = load_config(
        path,
        env={
            "ALP_BASE_URL": "http://127.0.0.1:9/api/v3",
            "ALP_API_KEY": "k",
            "ALP_API_SECRET": "s",
        },
    )
    assert config.exchange.base_url == "http://127.0.0.1:9/api/v3"
    assert config.exchange.api_key == "k"
    assert config.exchange.resolve_secret() == "s"
    assert config.exchange.has_credentials
    assert "s" not in repr(config.exchange.api_secret)


def test_bad_env_url(tmp_path):
    with pytest.raises(ConfigError, match="ALP_BASE_URL"):
        load_config(tmp_path / "none.toml", env={"ALP_BASE_URL": "ftp://x"})


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_secret_file_readable_by_others_refused(tmp_path):
    path = _write(tmp_path / "c.toml", "[exchange]\napi_key='k'\napi_secret='s'\n", mode=0o644)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert f"chmod 600 {path}" in str(info.value)
    path.chmod(0o600)
    assert load_config(path, env={}).exchange.has_credentials


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_file_without_secret_may_be_readable(tmp_path):
    path = _write(tmp_path / "c.toml", "[exchange]\napi_key='k'\n", mode=0o644)
    assert load_config(path, env={}).exchange.api_key == "k"


def test_secret_cmd(tmp_path):
    path = _write(
        tmp_path / "c.toml",
        f"[exchange]\napi_key='k'\napi_secret_cmd='{sys.executable} -c \"print(42)\"'\n",
    )
    config = load_config(path, env={})
    assert config.exchange.has_credentials
    assert config.exchange.resolve_secret() == "42"


def test_secret_cmd_failure(tmp_path):
    path = _write(
        tmp_path / "c.toml",
        f"[exchange]\napi_key='k'\napi_secret_cmd='{sys.executable} -c \"raise SystemExit(3)\"'\n",
    )
    with pytest.raises(ConfigError, match="exited with status 3"):
        load_config(path, env={}).exchange.resolve_secret()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_write_config_modes_and_roundtrip(tmp_path):
    path = tmp_path / "new" / "dir" / "config.toml"
    config = Config.model_validate(
        {"exchange": {"api_key": "k", "api_secret": "s"}, "dashboard": {"pair": "ETH_USDT"}}
    )
    write_config(path, config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = load_config(path, env={})
    assert loaded.dashboard.pair == "ETH_USDT"
    assert loaded.exchange.resolve_secret() == "s"


def test_save_watchlist_keeps_other_keys(tmp_path):
    path = _write(tmp_path / "c.toml", "[exchange]\napi_key='k'\n[dashboard]\npair='ETH_USDT'\n")
    save_watchlist(path, ["xrp_usdt", "BTC_USDT"])
    loaded = load_config(path, env={})
    assert loaded.dashboard.watchlist == ["XRP_USDT", "BTC_USDT"]
    assert loaded.dashboard.pair == "ETH_USDT"
    assert loaded.exchange.api_key == "k"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
