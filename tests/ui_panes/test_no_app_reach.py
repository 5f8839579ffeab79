"""Panes, modals, widgets and screens get their state handed in (constructor, ``use_*`` setters of
``ui/pane_inputs.py``, ``show_account``, messages); they never reach into the app for it.

Fails on ``getattr(self.app, ...)``, on ``service_for(...)`` (a service patched onto the
host app), and on ``self.app.<name>`` for any name that is not Textual's own ``App`` API
(``notify``, ``push_screen``, ``post_message``...): ``self.app.session`` or
``self.app.trading`` would be the same reach spelt without getattr.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.app import App

UI = Path(__file__).resolve().parents[2] / "alp_tui" / "ui"
PACKAGES = ("panes", "modals", "widgets", "screens")
MODULES = sorted(p for pkg in PACKAGES for p in (UI / pkg).rglob("*.py"))
TEXTUAL_APP_API = frozenset(dir(App))


def _is_self_app(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "app"
            and isinstance(node.value, ast.Name) and node.value.id == "self")


def reaches(source: str) -> list[str]:
    """Each reach into the app in ``source``, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "getattr" and node.args and _is_self_app(node.args[0]):
                found.append(f"{node.lineno}: getattr(self.app, ...)")
            elif name == "service_for":
                found.append(f"{node.lineno}: service_for(...)")
        elif (isinstance(node, ast.Attribute) and _is_self_app(node.value)
              and node.attr not in TEXTUAL_APP_API):
            found.append(f"{node.lineno}: self.app.{node.attr}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_the_check_sees_each_kind_of_reach() -> None:
    source = ("class P:\n"
              "    def f(self):\n"
              "        getattr(self.app, 'market', None)\n"
              "        service_for(self.app)\n"
              "        self.app.trading.cancel()\n"
              "        self.app.notify('fine')\n"
              "        self.app.push_screen(None)\n")
    assert reaches(source) == ["3: getattr(self.app, ...)", "4: service_for(...)",
                               "5: self.app.trading"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(UI)))
def test_no_pane_modal_widget_or_screen_reaches_into_the_app(path: Path) -> None:
    assert MODULES, "no modules found: the package layout moved"
    assert reaches(path.read_text(encoding="utf-8")) == []
