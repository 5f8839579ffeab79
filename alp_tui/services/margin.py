"""The margin names in one place, for the callers written before the split.

The margin code lives in four modules, one job each:

- :mod:`alp_tui.services.margin_requests` — form values validated into typed requests;
- :mod:`alp_tui.services.margin_math` — the snapshot, levels, liquidation prices, previews;
- :mod:`alp_tui.services.margin_service` — the actions over the client, journaled;
- :mod:`alp_tui.services.margin_history_table` — the history tabs' columns as text.

New code should import from those modules directly; this one only re-exports them.
"""

from __future__ import annotations

from alp_tui.services.margin_history_table import (
    HISTORY_COLUMNS,
    HistoryKind,
    history_cells,
    history_headers,
    history_time,
)
from alp_tui.services.margin_math import (
    USD_STABLES,
    USDT,
    CloseLeg,
    ClosePreview,
    LiquidationDistance,
    MarginSnapshot,
    PriceBook,
    PriceSide,
    RepayPreview,
    WalletPosition,
    preview_close,
    preview_repay,
    wallet_key,
)
from alp_tui.services.margin_requests import (
    MAX_DECIMALS,
    LoanRequest,
    MarginRequestError,
    TransferRequest,
    parse_amount,
    parse_wallet,
)
from alp_tui.services.margin_service import (
    LOOKUP_SKEW,
    MARGIN_FORBIDDEN_TEXT,
    MarginAction,
    MarginActionResult,
    MarginClient,
    MarginService,
    explain,
    fetch_margin_snapshot,
)

__all__ = [
    "HISTORY_COLUMNS",
    "LOOKUP_SKEW",
    "MARGIN_FORBIDDEN_TEXT",
    "MAX_DECIMALS",
    "USDT",
    "USD_STABLES",
    "CloseLeg",
    "ClosePreview",
    "HistoryKind",
    "LiquidationDistance",
    "LoanRequest",
    "MarginAction",
    "MarginActionResult",
    "MarginClient",
    "MarginRequestError",
    "MarginService",
    "MarginSnapshot",
    "PriceBook",
    "PriceSide",
    "RepayPreview",
    "TransferRequest",
    "WalletPosition",
    "explain",
    "fetch_margin_snapshot",
    "history_cells",
    "history_headers",
    "history_time",
    "parse_amount",
    "parse_wallet",
    "preview_close",
    "preview_repay",
    "wallet_key",
]
