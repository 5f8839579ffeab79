"""The headless core never imports textual: api, sim, config (and feed scheduling)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["alp_tui.api", "alp_tui.api.client", "alp_tui.sim", "alp_tui.sim.server",
        "alp_tui.config", "alp_tui.feed.poller", "alp_tui.feed.stats", "alp_tui.feed.topics",
        "alp_tui.services.market", "alp_tui.services.format"]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad[:5]))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"{module} imports textual: {done.stdout} {done.stderr[-500:]}"
