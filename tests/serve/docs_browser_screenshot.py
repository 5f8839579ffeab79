"""Save the README's browser screenshot: ``alp-tui serve --demo`` in the system's Chromium.

Run from the repository root: ``.venv/bin/python tests/serve/docs_browser_screenshot.py``
(writes docs/serve-browser.png; needs Chromium at /usr/bin/chromium and playwright).
"""

from __future__ import annotations

import signal
import sys
import time

from playwright.sync_api import sync_playwright
from serve_support import REPO, Served

OUT = REPO / "docs" / "serve-browser.png"
READY = (b"BTC_USDT", b"DEMO", b"ETH_USDT", b"100,000.00")


def main() -> int:
    """Serve the demo, open it in Chromium, wait for data, save the page."""
    with Served(["--demo"]) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        received = bytearray()
        page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.extend(
            p if isinstance(p, bytes) else p.encode())))
        page.goto(served.url)
        deadline = time.monotonic() + 60
        while not all(word in received for word in READY):
            if time.monotonic() > deadline:
                print("the dashboard never showed", file=sys.stderr)
                return 1
            page.wait_for_timeout(100)
        # A few seconds of market life, so the chart, book and trades have filled in.
        page.wait_for_timeout(4000)
        page.screenshot(path=str(OUT))
        browser.close()
        served.stop(signal.SIGTERM)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
