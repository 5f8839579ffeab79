"""alp_tui.api's public surface (that it imports no textual: tests/test_layering.py)."""

from __future__ import annotations


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
