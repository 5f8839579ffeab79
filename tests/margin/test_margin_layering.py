"""The margin service and alert logic stay free of textual (a headless core)."""

from __future__ import annotations

import subprocess
import sys


def test_margin_services_import_no_textual() -> None:
    code = (
        "import sys\n"
        "import alp_tui.services.margin, alp_tui.services.margin_alerts\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == ""
