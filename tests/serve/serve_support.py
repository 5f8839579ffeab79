"""A real ``alp-tui serve`` process for the serve tests, and what they check about it.

:class:`Served` starts ``python -m alp_tui serve ... --port 0`` (any free port), reads the
URL it prints, keeps its log, and stops it with a signal, so a test can check the exit code
and that every dashboard process it started has ended. Waits are on conditions (a line
printed, a process gone) with generous deadlines: the CI box is small and busy.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import alp_tui

# Generous: on a loaded 2-core box a Python process with the dashboard takes seconds.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0

URL_RE = re.compile(r"open (http://\S+) in a browser")
DASHBOARD_PID_RE = re.compile(r"dashboard process (\d+)")
WS_URL_RE = re.compile(r'data-session-websocket-url="([^"]+)"')

REPO = Path(alp_tui.__file__).resolve().parent.parent


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # The dashboards run this tree's alp_tui, whatever is installed in the venv.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


class Served:
    """One ``alp-tui serve`` process; use as a context manager (it is stopped on exit)."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        port = [] if "--port" in args else ["--port", "0"]  # any free port: tests run in parallel
        self.args = [sys.executable, "-m", "alp_tui", "serve", *args, *port]
        self.env = _env(env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Served:
        """Start it; returns once it printed its URL (or fails the test)."""
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=self.env)
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()
        match = self.wait_for(lambda: URL_RE.search(self.stdout), "the URL line")
        self.url = match.group(1) if match else ""
        return self

    def _read(self, stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def stdout(self) -> str:
        """Everything printed on stdout so far."""
        with self._changed:
            return "".join(self.out)

    @property
    def stderr(self) -> str:
        """Everything logged on stderr so far."""
        with self._changed:
            return "".join(self.err)

    def wait_for(self, check, what: str, timeout: float = START_TIMEOUT_S):  # type: ignore[no-untyped-def]
        """Wait until ``check()`` is truthy (re-checked on every line) and return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                self._changed.release()
                try:
                    value = check()
                finally:
                    self._changed.acquire()
                if value:
                    return value
                assert self.proc is not None
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no {what} from alp-tui serve; stdout: "
                                         f"{''.join(self.out)!r} stderr: {''.join(self.err)!r}")
                self._changed.wait(min(left, 0.5))

    def dashboard_pids(self) -> list[int]:
        """The dashboard processes the server said it started."""
        return sorted({int(p) for p in DASHBOARD_PID_RE.findall(self.stderr)})

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send ``signum`` and wait for the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        return self.proc.wait(STOP_TIMEOUT_S)

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)
        for pid in self.dashboard_pids():  # never leave a dashboard behind a failed test
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_ended(pids: Sequence[int], timeout: float = STOP_TIMEOUT_S) -> list[int]:
    """Wait for every pid to end; returns those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if process_alive(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)  # polling a condition, not timing anything
