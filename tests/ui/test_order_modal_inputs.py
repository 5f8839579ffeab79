"""The modals get what they show from whoever opens them: no modal reads the app.

The paper flag (order form, withdraw and their confirms) and each currency's display
precision (the margin forms) are handed in through the constructor by the opener
(``ui/trading_ui.py``, the margin pane), so a modal works the same on any app.
"""

from __future__ import annotations

import re
from pathlib import Path

import alp_tui.ui.modals as modals

APP_READ = re.compile(r"getattr\(\s*self\.app\b|self\.app\.(?!push_screen|pop_screen|notify|"
                      r"post_message|screen\b|exit)\w+")


def test_no_modal_reads_the_app() -> None:
    found = []
    for path in sorted(Path(modals.__file__).parent.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if APP_READ.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
