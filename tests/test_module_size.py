"""Small modules with one job each: none over 500 lines, and the app module only composes
and wires (under 300). A module that grows past its limit fails here, named with its size,
before it becomes the next 700-line file to split."""

from __future__ import annotations

from pathlib import Path

import alp_tui

ROOT = Path(alp_tui.__file__).parent
MODULE_LIMIT = 500
APP_LIMIT = 300


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_500_lines() -> None:
    too_long = {str(path.relative_to(ROOT)): _lines(path)
                for path in sorted(ROOT.rglob("*.py")) if _lines(path) >= MODULE_LIMIT}
    assert too_long == {}


def test_the_app_module_only_composes_and_wires() -> None:
    assert _lines(ROOT / "ui" / "app.py") < APP_LIMIT
