"""The exchange core stays headless: importing and running it never loads textual."""

from __future__ import annotations

import subprocess
import sys


def test_core_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from alp_tui.sim.exchange import Exchange\n"
        "ex = Exchange(seed=1, clock=lambda: 1_795_000_000.0)\n"
        "ex.step(1_795_000_001.0)\n"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), \\\n"
        "    sorted(m for m in sys.modules if m.startswith('textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
