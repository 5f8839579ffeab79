"""Save the README screenshot: ``.venv/bin/python -m tests.ui.docs_screenshot`` (from the
repository root).

Runs the dashboard headless against a seeded simulator (demo account, market life warmed
up), waits until every pane has data, and writes ``docs/screenshot.svg`` (and a PNG next to
it when ``rsvg-convert`` is installed). Credentials never appear on screen.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from alp_tui.config import Config
from alp_tui.sim.server import SimServer
from alp_tui.ui.app import create_app
from tests.support.dashboard import all_fresh
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[2]


async def shoot(server: SimServer, out: Path, size: tuple[int, int]) -> None:
    app = create_app(Config(), base_url=server.base_url, api_key=server.api_key,
                     api_secret=server.api_secret, mode="demo")
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: all_fresh(app, ("tickers", "orderbook", "chart",
                                                        "trades", "balances")),
                         what="every pane")
        await pilot.pause(1.5)
        svg = app.export_screenshot(title="alp-tui --demo")
        assert server.api_secret not in svg
        out.write_text(svg, encoding="utf-8")


def main() -> int:
    server = SimServer(seed=7, market_life=True)
    server.start()
    try:
        out = ROOT / "docs" / "screenshot.svg"
        out.parent.mkdir(exist_ok=True)
        asyncio.run(shoot(server, out, (160, 48)))
    finally:
        server.stop()
    print(f"wrote {out}")
    if shutil.which("rsvg-convert"):
        png = out.with_suffix(".png")
        subprocess.run(["rsvg-convert", str(out), "-o", str(png)], check=True)
        print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
