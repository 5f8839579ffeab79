"""The command line: exit codes, one-line messages, init writing a 0600 file."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from alp_tui import cli
from alp_tui.config import load_config


def run(*args: str, env_home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"XDG_CONFIG_HOME": str(env_home), "PATH": "/usr/bin:/bin", "HOME": str(env_home)}
    return subprocess.run([sys.executable, "-m", "alp_tui", *args], capture_output=True,
                          text=True, input=stdin, env=env, timeout=60, check=False)


def test_bad_usage_exits_2_with_one_line(tmp_path, capsys):
    assert cli.main(["--nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unrecognized arguments: --nope" in err


def test_bad_pair_exits_2(tmp_path, capsys):
    assert cli.main(["--pair", "not a pair", "--config", str(tmp_path / "none.toml")]) == 2


def test_missing_explicit_config_exits_2(tmp_path, capsys):
    assert cli.main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: no such file" in capsys.readouterr().err


def test_bad_config_names_file_and_key_no_traceback(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[polling]\norderbok = 1\n")
    done = run("--config", str(path), env_home=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and str(path) in line and "polling.orderbok" in line


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_world_readable_secret_exits_2_with_chmod_fix(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[exchange]\napi_key = 'k'\napi_secret = 's'\n")
    path.chmod(0o644)
    done = run("--config", str(path), env_home=tmp_path)
    assert done.returncode == 2
    assert f"chmod 600 {path}" in done.stderr
    assert "'s'" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_init_writes_0600_config(tmp_path):
    path = tmp_path / "cfg" / "config.toml"
    answers = "\n".join(["", "mykey", "eth/usdt", "BTC_USDT, XRP_USDT"]) + "\n"
    # getpass reads the secret from the terminal; without one it falls back to stdin
    done = run("init", "--config", str(path), env_home=tmp_path,
               stdin=answers.replace("mykey\n", "mykey\nmysecret\n"))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    config = load_config(path, env={})
    assert config.exchange.api_key == "mykey"
    assert config.exchange.resolve_secret() == "mysecret"
    assert config.dashboard.pair == "ETH_USDT"
    assert config.dashboard.watchlist == ["BTC_USDT", "XRP_USDT"]
    assert "mysecret" not in done.stdout
    again = run("init", "--config", str(path), env_home=tmp_path, stdin=answers)
    assert again.returncode == 2 and "--force" in again.stderr


def test_init_cancelled_on_eof(tmp_path):
    done = run("init", "--config", str(tmp_path / "c.toml"), env_home=tmp_path, stdin="")
    assert done.returncode == 1
    assert not (tmp_path / "c.toml").exists()


def test_sim_subcommand_is_dispatched(monkeypatch):
    seen: list[list[str]] = []
    import alp_tui.sim.cli as sim_cli

    monkeypatch.setattr(sim_cli, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["sim", "--port", "0"]) == 0
    assert seen == [["--port", "0"]]


@pytest.mark.parametrize(("argv", "streams"), [([], True), (["--no-stream"], False)])
def test_demo_streams_unless_told_not_to(monkeypatch, tmp_path, argv, streams):
    import alp_tui.ui.app as ui_app

    built: list[bool] = []

    def fake_create_app(config, **kw):
        built.append(kw["stream"])
        return type("FakeApp", (), {})()  # takes the journal path

    monkeypatch.setattr(ui_app, "create_app", fake_create_app)
    monkeypatch.setattr(cli, "run_app", lambda app: 0)
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--demo", "--config", str(config), *argv]) == 0
    assert built == [streams]


def test_demo_trades_never_reach_the_real_trading_journal(monkeypatch, tmp_path):
    # the demo's exchange is a throw-away simulator: its orders, borrows and transfers must
    # not land in the journal the live account's History > Journal tab and CSV export read
    import alp_tui.ui.app as ui_app

    class FakeApp:
        journal_path = None

    seen: list[object] = []
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(ui_app, "create_app", lambda config, **kw: FakeApp())
    monkeypatch.setattr(cli, "run_app", lambda app: seen.append(app.journal_path) or 0)
    config = tmp_path / "c.toml"
    config.write_text("")
    assert cli.main(["--demo", "--config", str(config)]) == 0
    assert seen == [":memory:"]
