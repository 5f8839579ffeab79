"""The ALP.COM v3 API: async client, typed models, wire enums and errors. No UI here."""

from alp_tui.api.client import AlpClient, WithdrawReceipt
from alp_tui.api.errors import (
    AlpError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)
from alp_tui.api.request_gate import RequestRecord
from alp_tui.api.token_cache import default_token_cache_dir

__all__ = [
    "AlpClient",
    "AlpError",
    "AuthError",
    "BadResponseError",
    "ForbiddenError",
    "NetworkError",
    "NotFoundError",
    "RateLimitedError",
    "RequestError",
    "RequestRecord",
    "RequestTimeoutError",
    "ServerError",
    "ValidationError",
    "WithdrawReceipt",
    "default_token_cache_dir",
]
