"""The headless core never imports textual.

Covered: every module of ``alp_tui.api``, ``alp_tui.sim``, ``alp_tui.paper``, ``alp_tui.feed``,
``alp_tui.services`` and ``alp_tui.session`` (found on disk, so a new module is covered the
day it lands), ``alp_tui.config``, and the pure UI helpers that say they are textual-free.
One more case runs the exchange core for a step, so a lazy import at run time is caught too.

Each module is imported on its own, in a fresh interpreter state: one helper process forks a
child per module, and the child imports just that module and reports the textual modules it
finds loaded. The parent imports a module itself only once its child came back clean, so
later children start from a clean state that already has the shared dependencies loaded
(cheap) and a failure names the module to blame.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import alp_tui

PACKAGES = ("api", "sim", "feed", "services", "paper", "session")
EXTRA = ("alp_tui.config", "alp_tui.ui.book_model",
         "alp_tui.ui.chart_render")
RUN_EXCHANGE = "run: alp_tui.sim.exchange.Exchange.step"


def _core_modules() -> list[str]:
    root = Path(alp_tui.__file__).parent
    found: list[str] = []
    for package in PACKAGES:
        found.append(f"alp_tui.{package}")
        found += sorted(f"alp_tui.{package}.{path.stem}"
                        for path in (root / package).glob("*.py") if path.stem != "__init__")
    return found + list(EXTRA)


CORE = _core_modules()

_CHECKER = r"""
import importlib, json, os, sys, traceback

def textual_loaded():
    return sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))[:5]

def in_child(action):
    pid = os.fork()
    if pid == 0:
        try:
            action()
            code = 3 if textual_loaded() else 0
        except BaseException:
            traceback.print_exc()
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return {0: "ok", 3: "loads textual", 4: "fails to import"}.get(
        os.waitstatus_to_exitcode(status), "child died")

def run_exchange():
    from alp_tui.sim.exchange import Exchange
    exchange = Exchange(seed=1, clock=lambda: 1_795_000_000.0)
    exchange.step(1_795_000_001.0)

results = {}
assert not textual_loaded(), textual_loaded()
for name in json.loads(sys.argv[1]):
    results[name] = in_child(lambda: importlib.import_module(name))
    if results[name] == "ok":
        importlib.import_module(name)  # later children inherit it, still clean
results[sys.argv[2]] = in_child(run_exchange)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def import_results() -> tuple[dict[str, str], str]:
    done = subprocess.run([sys.executable, "-c", _CHECKER, json.dumps(CORE), RUN_EXCHANGE],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


@pytest.mark.parametrize("module", [*CORE, RUN_EXCHANGE])
def test_core_module_does_not_import_textual(
    module: str, import_results: tuple[dict[str, str], str]
) -> None:
    results, stderr = import_results
    assert results[module] == "ok", f"{module}: {results[module]}\n{stderr[-2000:]}"


def test_the_list_covers_the_known_core() -> None:
    """A guard on the discovery itself: the modules the older per-area checks named."""
    for module in ("alp_tui.api.client", "alp_tui.api.auth", "alp_tui.api.transport",
                   "alp_tui.api.token_cache", "alp_tui.api.stream", "alp_tui.api.stream_events",
                   "alp_tui.api.local_book", "alp_tui.sim.server", "alp_tui.sim.cli",
                   "alp_tui.sim.app", "alp_tui.sim.faults", "alp_tui.sim.ws",
                   "alp_tui.sim.exchange", "alp_tui.feed.poller", "alp_tui.feed.stats",
                   "alp_tui.session.topics", "alp_tui.feed.stream_feed", "alp_tui.services.market",
                   "alp_tui.services.format", "alp_tui.services.margin",
                   "alp_tui.services.margin_alerts", "alp_tui.services.order_draft",
                   "alp_tui.services.journal", "alp_tui.services.trading",
                   "alp_tui.services.reconcile", "alp_tui.services.csv_export",
                   "alp_tui.session.core", "alp_tui.session.account", *EXTRA):
        assert module in CORE, module
