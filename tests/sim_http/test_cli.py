"""``alp-tui sim``: prints URL and credentials, serves, stops cleanly; exit codes."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from alp_tui.sim.cli import main


class _Out(io.StringIO):
    """Captures output and signals when the banner is complete."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def write(self, s: str) -> int:
        n = super().write(s)
        if "Ctrl-C" in self.getvalue():
            self.ready.set()
        return n


def _run(argv: list[str]) -> tuple[_Out, threading.Event, threading.Thread, list[int]]:
    out, stop, codes = _Out(), threading.Event(), []
    thread = threading.Thread(target=lambda: codes.append(main(argv, out=out,
                                                               stop_event=stop)))
    thread.start()
    return out, stop, thread, codes


def test_serves_prints_credentials_and_stops(tmp_path) -> None:
    state = str(tmp_path / "s.sqlite")
    out, stop, thread, codes = _run(["--port", "0", "--api-key", "K", "--api-secret", "S",
                                     "--state", state, "--seed", "5", "--no-market-life"])
    assert out.ready.wait(30), out.getvalue()
    text = out.getvalue()
    url = re.search(r"(http://127\.0\.0\.1:\d+/api/v3)", text).group(1)
    assert "api_key    K" in text and "api_secret S" in text
    assert httpx.get(url + "/time").status_code == 200
    r = httpx.post(url + "/auth", json={"api_key": "K", "api_secret": "S"})
    assert r.status_code == 200
    stop.set()
    thread.join(30)
    assert codes == [0]
    assert "stopped" in out.getvalue()


@pytest.mark.parametrize("argv", [["--port", "99999"], ["--port", "x"], ["--bogus"],
                                  ["--tick", "0"], ["--rate-limit", "0"],
                                  ["--rate-limit", "x"]])
def test_bad_usage_exit_2(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    assert "alp-tui sim:" in capsys.readouterr().err


def test_port_in_use_exit_2(capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["--port", str(port), "--no-market-life"]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_help_exit_0(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--api-key" in out and "--rate-limit" in out


def test_ctrl_c_in_a_real_process() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "alp_tui.sim.cli", "--port", "0",
                             "--no-market-life"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "Ctrl-C" in line:
                break
        proc.send_signal(__import__("signal").SIGINT)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert any("ALP simulator serving" in line for line in lines)
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
