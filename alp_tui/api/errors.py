"""The client's typed errors. Each says what happened in one sentence, never a secret."""

from __future__ import annotations

import httpx


class AlpError(Exception):
    """Base of every error the client raises."""

    def __init__(self, message: str, *, endpoint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status

    def __str__(self) -> str:
        return self.message


class RequestError(AlpError, ValueError):
    """A call refused before anything was sent: a missing or malformed parameter."""

    def __init__(self, message: str, *, field: str | None = None, endpoint: str | None = None):
        super().__init__(message, endpoint=endpoint)
        self.field = field


class NetworkError(AlpError):
    """The server could not be reached (connection refused, DNS, reset)."""


class RequestTimeoutError(NetworkError):
    """The server did not answer in time; the request may or may not have been processed."""


class RateLimitedError(AlpError):
    """429: too many requests. ``retry_after`` is in seconds when the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AuthError(AlpError):
    """401: the key, secret or token was refused."""


class ForbiddenError(AlpError):
    """403: the key lacks a permission (e.g. "Can Withdraw" or "Margin").

    ``permission`` names the API-key flag the endpoint needs ("Can Withdraw" for
    /withdraw*, "Margin" for /margin*, "Trade" otherwise), when known.
    """

    def __init__(self, message: str, *, permission: str | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.permission = permission


class ValidationError(AlpError):
    """400: the server refused the request; ``field_errors`` maps field → message."""

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, str] | None = None,
        code: str | None = None,
        **kw: object,
    ):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.field_errors = field_errors or {}
        self.code = code


class NotFoundError(AlpError):
    """404 (or the exchange's equivalent): the thing asked for does not exist."""


class ServerError(AlpError):
    """5xx: the exchange failed; safe to retry a read later."""


class BadResponseError(AlpError):
    """The answer was not what the endpoint returns: malformed JSON, wrong shape or type."""


# How the client words a NetworkError for a connection that was never made.
_NEVER_SENT = ("Could not connect", "Timed out connecting", "No free connection")


def answer_may_be_lost(exc: BaseException) -> bool:
    """True when the request may have reached the exchange but its answer did not reach us.

    Such a request must never be sent again blindly: look it up in the exchange's lists
    instead. A refusal (4xx) or a connection that was never made is not a lost answer.
    """
    if isinstance(exc, RequestTimeoutError | ServerError | BadResponseError):
        return True
    if isinstance(exc, NetworkError):
        # A connection that was never made (refused, connect timeout, no free connection)
        # never carried the request; any other network failure may have.
        cause = exc.__cause__
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return False
        return not str(exc).startswith(_NEVER_SENT)
    return False
