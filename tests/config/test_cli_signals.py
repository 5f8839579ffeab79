"""The dashboard ends when its terminal goes away or when it is told to stop.

A real ``alp-tui --demo`` runs on a pseudo-terminal in its own session; once it has drawn
its screen, the terminal is hung up (with SIGHUP inherited as ignored, as under nohup, the
case that used to leave the process spinning on the dead terminal) or it gets SIGTERM. It
must be gone within a bounded wait.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

STARTUP_S = 60.0  # a loaded CI machine
EXIT_S = 20.0  # the app's own bound is 5 s for an orderly exit, 10 s at the most


def _start_demo(home: Path, *, ignore_hangup: bool) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

    def in_child() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        if ignore_hangup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    env = {"XDG_CONFIG_HOME": str(home), "HOME": str(home), "PATH": "/usr/bin:/bin",
           "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "alp_tui", "--demo"], stdin=slave,
                            stdout=slave, stderr=slave, preexec_fn=in_child, env=env,
                            close_fds=True)
    os.close(slave)
    return proc, master


def _wait_for_screen(proc: subprocess.Popen[bytes], master: int) -> None:
    """Read the terminal until the dashboard shows DEMO (and keep it drained)."""
    seen = b""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen = (seen + os.read(master, 65536))[-200_000:]
            except OSError:
                break
            if b"DEMO" in seen:
                return
    raise AssertionError(f"the demo did not come up (exit {proc.poll()}): {seen[-500:]!r}")


def _wait_gone(proc: subprocess.Popen[bytes], master: int | None) -> int:
    deadline = time.monotonic() + EXIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.returncode
        if master is not None:  # keep the terminal drained so the app never blocks on it
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    pass
        else:
            time.sleep(0.1)
    raise AssertionError(f"still running {EXIT_S:.0f} s after the signal")


def _run_case(home: Path, *, ignore_hangup: bool, how: str) -> int:
    proc, master = _start_demo(home, ignore_hangup=ignore_hangup)
    try:
        _wait_for_screen(proc, master)
        if how == "hangup":
            os.close(master)  # the terminal goes away: the kernel hangs up the session
            master = -1
            return _wait_gone(proc, None)
        proc.send_signal(signal.SIGTERM)
        return _wait_gone(proc, master)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if master >= 0:
            os.close(master)


def test_demo_exits_when_its_terminal_goes_away(tmp_path: Path) -> None:
    code = _run_case(tmp_path, ignore_hangup=True, how="hangup")
    assert code == 1  # anything else: not asked to stop, the terminal vanished


def test_demo_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    code = _run_case(tmp_path, ignore_hangup=False, how="term")
    assert code == 0


def _drain_until_gone(proc: subprocess.Popen[bytes], master: int) -> bytes:
    """Everything the app writes to its terminal until it exits (bounded wait)."""
    out = b""
    deadline = time.monotonic() + EXIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                out += os.read(master, 65536)
            except OSError:  # the app closed its terminal: it is on its way out
                break
        elif proc.poll() is not None:
            break
    try:
        proc.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {EXIT_S:.0f} s after ctrl+q") from None
    return out


def test_ctrl_q_while_data_flows_leaves_no_traceback(tmp_path: Path) -> None:
    """The session keeps delivering events while the screens are torn down; none of them
    may end as a traceback on the trader's terminal."""
    proc, master = _start_demo(tmp_path, ignore_hangup=False)
    try:
        _wait_for_screen(proc, master)
        seen = b""
        deadline = time.monotonic() + STARTUP_S
        while b"fresh" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen = (seen + os.read(master, 65536))[-200_000:]
        os.write(master, b"\x11")  # ctrl+q: quit at once
        out = _drain_until_gone(proc, master)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0
    assert b"Traceback" not in out and b"listener failed" not in out, out[-2000:]
