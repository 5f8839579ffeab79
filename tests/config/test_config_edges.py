"""Finding 6 of #14: config values the app cannot live with are refused at start, with one
line naming the file and the key, exit 2 (never a traceback, never "fresh forever")."""

from __future__ import annotations

from pathlib import Path

import pytest

from alp_tui import cli
from alp_tui.config import ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "key"), [
    ("[polling]\norderbook = inf\n", "polling.orderbook"),
    ("[polling]\nbalances = nan\n", "polling.balances"),
    ("[polling]\ntrades = -1.0\n", "polling.trades"),
    ("[polling]\nchart = 1e300\n", "polling.chart"),
    ('[dashboard]\npair = "../../etc"\n', "dashboard.pair"),
    ('[dashboard]\npair = "BTC_US DT"\n', "dashboard.pair"),
    ('[dashboard]\nwatchlist = ["ETH_USDT", "a/b/c"]\n', "dashboard.watchlist"),
])
def test_values_the_app_cannot_use_are_refused(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}, required=True)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}") and "\n" not in message


def test_pair_names_are_still_read_leniently(tmp_path: Path) -> None:
    path = _write(tmp_path, '[dashboard]\npair = "eth/usdt"\nwatchlist = ["btc-usdt"]\n')
    config = load_config(path, env={}, required=True)
    assert config.dashboard.pair == "ETH_USDT" and config.dashboard.watchlist == ["BTC_USDT"]


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "a = {b = " * 3000 + "1" + "}" * 3000 + "\n",
], ids=["array-5000-deep", "table-3000-deep"])
def test_toml_that_cannot_be_read_exits_2_with_one_line(tmp_path: Path, capsys,
                                                        text: str) -> None:
    path = _write(tmp_path, text)
    assert cli.main(["--demo", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(path) in err and "Traceback" not in err


def test_infinite_interval_exits_2(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, "[polling]\norderbook = inf\n")
    assert cli.main(["--demo", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{path}: polling.orderbook" in err
