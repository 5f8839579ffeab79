"""The trading services stay headless: importing them loads no textual."""

from __future__ import annotations

import subprocess
import sys


def test_trading_services_import_no_textual() -> None:
    code = (
        "import sys\n"
        "import alp_tui.services.order_draft, alp_tui.services.journal\n"
        "import alp_tui.services.trading, alp_tui.services.reconcile\n"
        "import alp_tui.services.csv_export\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
