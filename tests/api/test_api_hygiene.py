"""alp_tui.api stays headless: importing it (and using the client) pulls in no textual."""

from __future__ import annotations

import subprocess
import sys


def test_api_imports_no_textual() -> None:
    code = (
        "import sys\n"
        "import alp_tui.api, alp_tui.api.client, alp_tui.api.auth, alp_tui.api.transport\n"
        "import alp_tui.api.token_cache\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_public_surface() -> None:
    import alp_tui.api as api

    for name in ("AlpClient", "RequestRecord", "NetworkError", "RequestTimeoutError",
                 "RateLimitedError", "AuthError", "ForbiddenError", "ValidationError",
                 "NotFoundError", "ServerError", "BadResponseError", "RequestError"):
        assert hasattr(api, name), name
    methods = [
        "currencies", "pairs", "ticker", "tickers", "orderbook", "charts", "trades",
        "server_time", "currency_rates", "accounts", "balances", "fees", "orders",
        "account_trades", "activity", "deposit_methods", "deposits", "withdraw_methods",
        "withdraw", "withdrawals", "place_order", "cancel_orders", "margin_transfer",
        "borrow", "repay", "close_position", "loans", "margin_transfers", "borrows",
        "repays", "interests", "liquidations", "add_observer", "new_client_order_id",
        "bearer_token", "aclose",
    ]
    for name in methods:
        assert callable(getattr(api.AlpClient, name)), name
