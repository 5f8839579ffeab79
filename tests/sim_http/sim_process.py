"""``alp-tui sim`` run as a real process, for tests that look at it from outside."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sim_command(*args: str) -> list[str]:
    """The command line of ``alp-tui sim ARGS`` with this interpreter."""
    return [sys.executable, "-m", "alp_tui.sim.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_sim(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``alp-tui sim ARGS`` to its end (for starts that must fail)."""
    return subprocess.run(sim_command(*args), capture_output=True, text=True,
                          timeout=timeout, env=_env(), check=False)


@dataclass
class SimProcess:
    """A running ``alp-tui sim``: its base URL and the demo credentials it printed."""

    proc: subprocess.Popen[str]
    base_url: str = ""
    api_key: str = ""
    api_secret: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(re.search(r":(\d+)/", self.base_url).group(1))  # type: ignore[union-attr]

    def stop(self, timeout: float = 30) -> int:
        """Ctrl-C, then its exit code (killed if it does not stop)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise

    def stderr(self) -> str:
        """What it wrote to stderr (only once it has exited)."""
        return self.proc.stderr.read() if self.proc.stderr else ""


def start_sim(*args: str, timeout: float = 60) -> SimProcess:
    """Start ``alp-tui sim --port 0 ARGS`` and wait for its banner."""
    proc = subprocess.Popen(sim_command("--port", "0", *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    sim = SimProcess(proc)
    try:
        while True:
            line = lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"alp-tui sim exited {proc.wait(10)}: {sim.stderr()}")
            sim.lines.append(line)
            if m := re.search(r"serving (\S+)", line):
                sim.base_url = m.group(1)
            elif m := re.match(r"\s+api_key\s+(\S+)", line):
                sim.api_key = m.group(1)
            elif m := re.match(r"\s+api_secret\s+(\S+)", line):
                sim.api_secret = m.group(1)
            elif "Ctrl-C" in line:
                return sim
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        raise
