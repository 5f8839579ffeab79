"""A real browser (Debian's Chromium, driven by playwright) shows the dashboard and takes keys.

No browser is downloaded: playwright is pointed at the system's Chromium
(``apt-get install chromium``; ``make test`` installs it where it can). Without Chromium or
playwright the test is skipped, saying which one is missing.
"""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from serve_support import Served, wait_ended

CHROMIUM = Path(os.environ.get("ALP_TEST_CHROMIUM", "/usr/bin/chromium"))
# Generous: Chromium plus a dashboard process on a busy 2-core box.
TIMEOUT_S = 60.0

# How many distinct colours the screenshot has, counted by the browser itself (it decodes
# the PNG): a blank or single-colour page has one or two, the dashboard dozens.
COUNT_COLOURS_JS = """async (data) => {
  const image = new Image();
  image.src = "data:image/png;base64," + data;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  const colours = new Set();
  for (let i = 0; i < pixels.length; i += 4) {
    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  }
  return colours.size;
}"""


def _wait(page, condition: Callable[[], bool], what: str) -> None:  # type: ignore[no-untyped-def]
    """Let the page run (its events arrive meanwhile) until ``condition()`` holds."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"the browser never showed {what}"
        page.wait_for_timeout(50)


@pytest.mark.slow
def test_the_dashboard_in_chromium_takes_a_key(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright for Python is not installed (pip install "
        "playwright; no browser download needed)")

    with Served(["--demo", "--pair", "BTC_USDT"]) as served, \
            sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             timeout=TIMEOUT_S * 1000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(TIMEOUT_S * 1000)
            # What the server sends the page: the terminal output xterm.js draws.
            received = bytearray()

            def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
                ws.on("framereceived", lambda payload: received.extend(
                    payload if isinstance(payload, bytes) else payload.encode()))

            page.on("websocket", on_socket)
            page.goto(served.url)
            # The dashboard is up once the markets and the demo account's balances show.
            _wait(page, lambda: all(word in received for word in (
                b"BTC_USDT", b"DEMO", b"ETH_USDT", b"100,000.00")), "the dashboard")
            page.wait_for_function("document.body.classList.contains('-first-byte')")
            # Type into the terminal as a user would: "?" opens the help screen.
            before = len(received)
            page.locator("#terminal textarea").first.focus()
            page.keyboard.press("?")
            _wait(page, lambda: b"keys and mouse" in received[before:], "the help screen")
            # Two animation frames: xterm.js has painted what arrived.
            page.evaluate("() => new Promise(r => requestAnimationFrame("
                          "() => requestAnimationFrame(r)))")
            shot = tmp_path / "dashboard-help.png"
            page.screenshot(path=str(shot))
            colours = browser.new_page().evaluate(
                COUNT_COLOURS_JS, base64.b64encode(shot.read_bytes()).decode())
        finally:
            browser.close()
        # The tab closed with the browser: its dashboard process ends, then the server.
        pids = served.dashboard_pids()
        assert served.stop(signal.SIGTERM) == 0
    assert len(pids) == 1 and wait_ended(pids) == []
    assert colours >= 16, f"the screenshot {shot} looks blank ({colours} colours)"
