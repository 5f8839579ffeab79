"""The simulator's HTTP face imports no textual (it runs headless)."""

from __future__ import annotations

import subprocess
import sys


def test_sim_http_imports_no_textual() -> None:
    code = ("import sys, alp_tui.sim.server, alp_tui.sim.cli, alp_tui.sim.app, "
            "alp_tui.sim.faults; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
