"""``alp-tui serve`` on the command line: loopback unless told otherwise, the refusal and the
warning, the dashboard options handed on, and the rules for who may use the page."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from serve_support import REPO, Served

from alp_tui.cli import main
from alp_tui.web.guard import refusal_reason
from alp_tui.web.serve import build_parser, dashboard_argv


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::", "example.com"])
def test_a_non_loopback_host_is_refused_with_the_ssh_tunnel_to_use(
        host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", host, "--port", "8123", "--demo"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "anyone who reaches the page can trade" in err
    assert "ssh -L 8123:127.0.0.1:8123" in err and "--allow-remote" in err


def test_allow_remote_serves_beyond_loopback_with_a_warning() -> None:
    with Served(["--host", "0.0.0.0", "--allow-remote"]) as served:
        assert "warning: serving on 0.0.0.0" in served.stderr
        assert "anyone who reaches this port can trade" in served.stderr
        # The URL to open names this machine, not "every interface".
        assert "0.0.0.0" not in served.url
        assert served.stop(signal.SIGTERM) == 0


def test_loopback_serves_without_a_warning() -> None:
    with Served(["--host", "localhost"]) as served:
        assert served.url.startswith("http://localhost:")
        assert "warning" not in served.stderr
        assert served.stop(signal.SIGTERM) == 0


def test_bad_options_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    assert main(["serve", "--pair", "not a pair"]) == 2
    assert main(["serve", "--port", "70000"]) == 2
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == 2
    assert main(["serve", "--demo", "--paper"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("alp-tui: ") for line in err)
    assert "missing.toml" in err[2]
    assert "--demo and --paper cannot be combined" in err[3]


def test_a_taken_port_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"alp-tui: cannot listen on 127.0.0.1:{port}: ")
    assert len(err.strip().splitlines()) == 1


def test_the_dashboard_options_are_handed_to_each_tab(tmp_path: Path) -> None:
    paper = build_parser().parse_args(["--paper", "--no-stream"])
    assert dashboard_argv(paper)[3:] == ["--paper", "--no-stream"]
    args = build_parser().parse_args(["--demo", "--pair", "ETH_USDT", "--no-stream",
                                      "--config", str(tmp_path / "c.toml")])
    argv = dashboard_argv(args)
    assert argv[:3] == [sys.executable, "-m", "alp_tui"]
    assert argv[3:] == ["--demo", "--pair", "ETH_USDT", "--config",
                        str(tmp_path / "c.toml"), "--no-stream"]
    plain = dashboard_argv(argparse.Namespace(demo=False, paper=False, pair=None, config=None,
                                              stream=True))
    assert plain[3:] == []


@pytest.mark.parametrize(("host", "origin", "loopback_only", "allowed"), [
    ("127.0.0.1:8000", None, True, True),
    ("127.0.0.1:8000", "http://127.0.0.1:8000", True, True),
    ("127.0.0.1:8000", "http://localhost:8000", True, True),
    ("[::1]:8000", "http://[::1]:8000", True, True),
    ("127.0.0.1:8000", "http://evil.example", True, False),
    ("127.0.0.1:8000", "http://evil.example:8000", True, False),
    ("127.0.0.1:8000", "http://127.0.0.1:9999", True, False),
    ("127.0.0.1:8000", "null", True, False),
    ("evil.example:8000", "http://evil.example:8000", True, False),
    ("", None, True, False),
    ("bad host\"<", None, True, False),
    ("box.lan:8000", "http://box.lan:8000", False, True),
    ("box.lan:8000", "http://evil.example:8000", False, False),
])
def test_only_pages_of_this_server_may_use_it(host: str, origin: str | None,
                                              loopback_only: bool, allowed: bool) -> None:
    reason = refusal_reason(host, origin, loopback_only=loopback_only)
    assert (reason is None) is allowed, reason


def test_the_serve_module_does_not_import_textual() -> None:
    """The server only starts dashboard processes; it runs none in itself."""
    code = ("import sys, alp_tui.web.serve; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))")
    done = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True,
                          text=True, timeout=60, cwd=REPO, check=True)
    assert json.loads(done.stdout) == []
