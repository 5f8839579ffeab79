"""The async ALP.COM v3 client: one method per endpoint, typed models, typed errors.

```python
async with AlpClient("https://www.alp.com/api/v3", api_key=k, api_secret=s) as client:
    book = await client.orderbook("BTC_USDT")
    ids = await client.place_order("BTC_USDT", "BUY", "LIMIT", base_amount="0.01",
                                   limit_price="45000")
```

Choices worth knowing:

- Money parameters take ``Decimal``, a decimal string or an int. Floats are refused with a
  :class:`RequestError` (a float has already lost the digits the user meant).
- Time filters take aware ``datetime`` or RFC 3339 strings; naive datetimes and windows over
  30 days are refused before sending.
- Enum parameters take the enum, its wire value or the reference's name (``BUY``/``BID``).
- GETs on a 401 refresh the token once and retry once. Nothing that creates or changes
  something (POST, DELETE) is ever resent automatically.
- A 429 pauses the endpoint that answered it until Retry-After (or a growing default
  backoff), and every caller once two endpoints answer 429 within 10 s: reads wait the
  pause out; writes (orders, withdrawals...) are refused with RateLimitedError when the
  pause has more than a second to run, never sent late.
- Secrets (api_secret, JWT, X-SIGN) appear in no repr, log line or error message.
"""

from __future__ import annotations

from alp_tui.api.client_account import AccountEndpoints
from alp_tui.api.client_funding import FundingEndpoints, WithdrawReceipt
from alp_tui.api.client_margin import MarginEndpoints
from alp_tui.api.client_public import PublicEndpoints
from alp_tui.api.client_trading import TradingEndpoints
from alp_tui.api.request_gate import RequestRecord

__all__ = ["AlpClient", "RequestRecord", "WithdrawReceipt"]


class AlpClient(PublicEndpoints, TradingEndpoints, FundingEndpoints, MarginEndpoints,
                AccountEndpoints):
    """Async client for the ALP.COM v3 REST API (see the module docstring).

    The request engine (:class:`~alp_tui.api.client_engine.RequestEngine`) sends every
    call; each base class adds one group of endpoints. One ``httpx.AsyncClient``
    (kept-alive pool) per instance; safe for many concurrent calls on one event loop.
    ``token_cache_path`` is a *directory* for cached tokens (``default_token_cache_dir()``
    is the XDG one); None keeps the token in memory only.
    """
