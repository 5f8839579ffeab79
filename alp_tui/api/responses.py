"""Reading the exchange's answers: JSON decoding and one typed error per failure.

A 2xx body is decoded with exact decimals; a non-2xx status, a transport failure (refused,
timed out, dropped) or a body of the wrong shape each becomes one of the errors of
:mod:`alp_tui.api.errors`, worded as one sentence that names the endpoint and never
echoes a secret or a whole body.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

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
from alp_tui.api.jsonwire import loads

# httpx's words when a kept-alive connection was closed by the server before our request.
_DISCONNECTED = "server disconnected without sending a response"


def decode_json(raw: bytes, method: str, path: str) -> Any:
    """Decode a 2xx body; BadResponseError naming the endpoint when it is not JSON."""
    if not raw.strip():
        raise BadResponseError(
            f"The exchange sent an empty answer to {method} {path}.", endpoint=path
        )
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadResponseError(
            f"The exchange's answer to {method} {path} is not valid JSON.", endpoint=path
        ) from None


def _server_message(raw: bytes, content_type: str) -> tuple[Any, str | None, str | None]:
    """(decoded JSON or None, code, message) from an error body; HTML is ignored, plain
    text is the message."""
    if "html" in content_type.lower():
        return None, None, None
    try:
        data = loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        if "text/plain" in content_type.lower() and raw.strip():
            # The official client reads a text/plain answer as the message itself.
            return None, None, clean_text(raw.decode("utf-8", "replace"))
        return None, None, None
    code = message = None
    if isinstance(data, dict):
        c = data.get("code")
        m = data.get("message") or data.get("error") or data.get("detail")
        code = clean_text(c) if isinstance(c, str | int) else None
        message = clean_text(m) if isinstance(m, str) else None
    elif isinstance(data, str):
        message = clean_text(data)
    return data, code, message


def clean_text(value: object, limit: int = 200) -> str:
    """A server-provided string made safe to show in one line."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def required_permission(path: str) -> str:
    """The API-key flag a 403 on ``path`` points at."""
    if path.startswith("/withdraw"):
        return "Can Withdraw"
    if path.startswith("/margin"):
        return "Margin"
    return "Trade"


def parse_retry_after(
    value: str | None, *, date_header: str | None = None, now: float | None = None
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date).

    An HTTP-date is measured against the response's own ``Date`` header when there is one,
    so a skewed local clock does not stretch or shrink the pause.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    reference = None
    if date_header:
        try:
            reference = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            reference = None
    if reference is None:
        reference = time.time() if now is None else now
    return max(0.0, when - reference)


def error_for_status(
    status: int,
    raw: bytes,
    headers: httpx.Headers,
    method: str,
    path: str,
    scrub: Callable[[str], str] = lambda s: s,
) -> AlpError:
    """The typed error for a non-2xx answer: one readable sentence, no body dumps."""
    content_type = headers.get("content-type", "")
    data, code, message = _server_message(raw, content_type)
    detail = f": {scrub(message)}" if message else ""
    where = f"{method} {path}"
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "error"
    if status == 400 or status == 422:
        field_errors: dict[str, str] = {}
        if isinstance(data, dict) and isinstance(data.get("formErrors"), dict):
            for key, msg in data["formErrors"].items():
                if isinstance(msg, list):
                    msg = "; ".join(str(m) for m in msg)
                field_errors[str(key)] = scrub(clean_text(msg))
        if field_errors:
            listed = "; ".join(f"{k}: {v}" for k, v in field_errors.items())
            text = f"The exchange rejected {where}: {listed}."
        elif message:
            text = f"The exchange rejected {where}{detail}" + (f" ({code})." if code else ".")
        else:
            text = f"The exchange rejected {where} as invalid (HTTP {status})."
        return ValidationError(text, field_errors=field_errors, code=code, endpoint=path,
                               status=status)
    if status == 401:
        return AuthError(
            f"The exchange refused authentication for {where} (HTTP 401){detail}; "
            "check the API key and secret.",
            endpoint=path, status=status,
        )
    if status == 403:
        perm = required_permission(path)
        return ForbiddenError(
            f"The API key is not allowed to use {where}: it lacks the \"{perm}\" permission "
            "(enable it for the key on the exchange).",
            permission=perm, endpoint=path, status=status,
        )
    if status == 404:
        return NotFoundError(f"The exchange has no such resource for {where} (HTTP 404){detail}.",
                             endpoint=path, status=status)
    if status == 429:
        retry = parse_retry_after(headers.get("retry-after"), date_header=headers.get("date"))
        when = f"; retry in {retry:.0f} s" if retry is not None else ""
        return RateLimitedError(
            f"The exchange is rate limiting requests (HTTP 429 on {where}){when}.",
            retry_after=retry, endpoint=path, status=status,
        )
    if status >= 500:
        return ServerError(
            f"The exchange failed with HTTP {status} {reason} on {where}{detail}; "
            "try again later.",
            endpoint=path, status=status,
        )
    if 400 <= status < 500:
        return ValidationError(
            f"The exchange refused {where} with HTTP {status} {reason}{detail}.",
            code=code, endpoint=path, status=status,
        )
    location = headers.get("location", "")
    if 300 <= status < 400 and location:
        # Redirects are not followed (the token must not go to a host not configured).
        target = scrub(clean_text(location.split("?", 1)[0], 120))
        return BadResponseError(
            f"The exchange redirected {where} to {target} (HTTP {status}); point base_url "
            "there if that is the exchange's API.",
            endpoint=path, status=status,
        )
    return BadResponseError(
        f"The exchange answered {where} with an unexpected HTTP {status}.",
        endpoint=path, status=status,
    )


def status_error_name(status: int) -> str:
    """Error class name an observer sees for an HTTP status (no body needed)."""
    return {400: "ValidationError", 401: "AuthError", 403: "ForbiddenError",
            404: "NotFoundError", 429: "RateLimitedError"}.get(
        status, "ServerError" if status >= 500 else "ValidationError")


def transport_error(exc: httpx.HTTPError, method: str, path: str, *, timeout_s: float,
                    scrub: Callable[[str], str]) -> AlpError:
    """The typed error for an HTTP attempt that got no usable answer.

    Whether the request may have been processed decides the class: a connection never
    made is a plain :class:`NetworkError`; one that may have carried the request is a
    :class:`RequestTimeoutError` (writes then say so, and are never resent).
    """
    where = f"{method} {path}"
    reason = clean_text(scrub(str(exc)) or type(exc).__name__, 120)
    changes = method != "GET"
    maybe = (" It may or may not have been processed; check before repeating it."
             if changes else "")
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"Timed out connecting to the exchange for {where}.",
                            endpoint=path)
    if isinstance(exc, httpx.PoolTimeout):
        return NetworkError(f"No free connection to the exchange for {where} in time.",
                            endpoint=path)
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(
            f"The exchange did not answer {where} within {timeout_s:g} s.{maybe}",
            endpoint=path,
        )
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"Could not connect to the exchange for {where} ({reason}).",
                            endpoint=path)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        err = RequestTimeoutError(
            f"The connection dropped before the answer to {where} was complete.{maybe}",
            endpoint=path,
        )
        # httpx says this when a kept-alive connection was already closed by the server
        # before our request: nothing was processed, so a GET may safely go again.
        err.unanswered = _DISCONNECTED in str(exc).lower()  # type: ignore[attr-defined]
        return err
    if isinstance(exc, httpx.DecodingError):
        return BadResponseError(f"The exchange's answer to {where} could not be decoded.",
                                endpoint=path)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return RequestError(f"The URL for {where} is not usable ({reason}).", endpoint=path)
    return NetworkError(f"A network error interrupted {where} ({reason}).", endpoint=path)


def first_validation_problem(errors: Iterable[Mapping[str, Any]]) -> str:
    """Describe pydantic's first error without echoing the input values."""
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        return f"{loc}: {err.get('msg', 'invalid')}"
    return "unexpected shape"
