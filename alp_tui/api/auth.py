"""Authentication: X-SIGN request signatures and the JWT token manager.

The token manager keeps one JWT per client, refreshes it shortly before its ``exp`` and
makes concurrent callers share a single refresh (one POST /auth however many requests are
waiting). Expiry is judged on the *server's* clock: the ``Date`` header of the /auth answer
(or the token's own ``iat``, or ``GET /time``) says what time the server thinks it is, so a
local clock several minutes off neither keeps a dead token nor refreshes in a loop. The
deadline is then kept on the local monotonic clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import jwt

from alp_tui.api.errors import BadResponseError
from alp_tui.api.models import loads
from alp_tui.api.token_cache import TokenCache, cache_key

log = logging.getLogger(__name__)

# Lifetime assumed for a token whose payload carries no ``exp`` (an opaque token).
DEFAULT_LIFETIME_S = 300.0
# Refresh this long before expiry at most; for short-lived tokens a fifth of the lifetime.
REFRESH_MARGIN_S = 60.0

_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class Secret:
    """A string that never shows itself in repr/str (api_secret, JWT)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that must use it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def sign(secret: str | bytes, body: bytes) -> str:
    """X-SIGN: lowercase hex HMAC-SHA256 of exactly ``body``, keyed with the api_secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def token_from_body(raw: bytes) -> str:
    """The JWT from a POST /auth answer: a JSON string, or bare text on older servers."""
    try:
        data: Any = loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
        text = raw.decode("utf-8", "replace").strip().strip('"')
        if _JWT_SHAPE.match(text):
            return text
    if isinstance(data, str) and data.strip():
        return data.strip()
    if isinstance(data, dict):
        # Tolerate servers that wrap it: {"token": "..."}.
        for key in ("token", "access_token", "jwt"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    raise BadResponseError("The exchange's answer to POST /auth did not contain a token.",
                           endpoint="/auth")


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload without verifying it (we only need ``exp``/``iat``); {} if opaque."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _number(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result else None  # NaN guard


def http_date(headers: httpx.Headers | None) -> float | None:
    """The server's clock from a ``Date`` header, as Unix seconds, or None."""
    if headers is None:
        return None
    value = headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class Token:
    """A JWT and when (on the local monotonic clock) to stop trusting it."""

    value: str = field(repr=False)
    expires_mono: float
    lifetime_s: float

    @property
    def refresh_at(self) -> float:
        """Monotonic time from which the token is refreshed before use."""
        margin = min(REFRESH_MARGIN_S, max(self.lifetime_s, 0.0) * 0.2)
        return self.expires_mono - margin


CACHE_CLOCK_SLACK_S = 300.0

AuthFetch = Callable[[], Awaitable[tuple[bytes, httpx.Headers]]]
ServerClock = Callable[[], Awaitable[float]]


class TokenManager:
    """Holds the JWT; ``await get()`` returns a usable one, fetching at most one at a time.

    ``fetch`` performs POST /auth and returns (body, headers) of a 2xx answer (errors are
    raised by it, typed). ``server_clock`` (optional) returns the server's Unix time, used
    only when neither the Date header nor the token's ``iat`` says it.
    """

    def __init__(
        self,
        fetch: AuthFetch,
        *,
        server_clock: ServerClock | None = None,
        cache: TokenCache | None = None,
        cache_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._server_clock = server_clock
        self._cache = cache
        self._cache_id = cache_id
        self._cache_checked = cache is None
        self._clock = clock
        self._wall = wall
        self._token: Token | None = None
        self._lock = asyncio.Lock()
        # Counts finished POST /auth attempts; callers that queued while an attempt was under
        # way get its error instead of each trying again (no stampede on bad keys).
        self._attempts_done = 0
        self._last_error: BaseException | None = None
        self.refreshes = 0  # POST /auth calls made; the API-health view may show it
        self.clock_offset_s: float | None = None  # server clock - local clock, when known

    def __repr__(self) -> str:
        state = "none" if self._token is None else f"{self.remaining_s():.0f}s left"
        return f"TokenManager(token={state}, refreshes={self.refreshes})"

    @staticmethod
    def cache_id_for(base_url: str, api_key: str) -> str:
        """Cache key for these credentials on this server."""
        return cache_key(base_url, api_key)

    def remaining_s(self) -> float:
        """Seconds until the current token expires (0 without a token)."""
        if self._token is None:
            return 0.0
        return max(0.0, self._token.expires_mono - self._clock())

    def _usable(self) -> Token | None:
        tok = self._token
        if tok is not None and self._clock() < tok.refresh_at:
            return tok
        return None

    async def get(self) -> str:
        """A token valid for a while yet; refreshes (once, shared) when needed."""
        tok = self._usable()
        if tok is not None:
            return tok.value
        seen = self._attempts_done
        async with self._lock:
            # Whoever held the lock before us may have refreshed already, or failed.
            tok = self._usable()
            if tok is not None:
                return tok.value
            if self._attempts_done != seen and self._last_error is not None:
                raise self._last_error
            if not self._cache_checked:
                self._cache_checked = True
                tok = self._from_cache()
                if tok is not None:
                    self._token = tok
                    return tok.value
            try:
                tok = await self._new_token()
            except Exception as exc:
                self._last_error = exc
                raise
            finally:
                self._attempts_done += 1
            self._last_error = None
            self._token = tok
            return tok.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` after the server refused it (a newer token is left alone)."""
        if self._token is not None and self._token.value == value:
            self._token = None
            if self._cache is not None and self._cache_id:
                self._cache.drop(self._cache_id)

    def _from_cache(self) -> Token | None:
        assert self._cache is not None
        if not self._cache_id:
            return None
        cached = self._cache.load(self._cache_id)
        if cached is None:
            return None
        remaining = cached.expires_wall - self._wall()
        tok = Token(cached.token, self._clock() + remaining, cached.lifetime_s)
        # Expiring later than its own lifetime allows (a hand-edited file, or the wall
        # clock set back): not trusted, a new token is fetched and cached instead.
        too_late = remaining > cached.lifetime_s + CACHE_CLOCK_SLACK_S
        if too_late or self._clock() >= tok.refresh_at:
            self._cache.drop(self._cache_id)
            return None
        log.debug("Using the cached API token (%.0f s left).", remaining)
        return tok

    async def _new_token(self) -> Token:
        started_mono = self._clock()
        started_wall = self._wall()
        raw, headers = await self._fetch()
        self.refreshes += 1
        value = token_from_body(raw)
        claims = token_claims(value)
        exp = _number(claims.get("exp"))
        lifetime = await self._lifetime(exp, _number(claims.get("iat")), headers, started_wall)
        if lifetime <= 0:
            # A token that is already dead by the server's own clock: use it for this
            # request anyway (refreshing in a loop would not help) and say so.
            log.warning("The exchange issued a token that expires immediately.")
            lifetime = 0.0
        tok = Token(value, started_mono + lifetime, lifetime)
        if self._cache is not None and self._cache_id:
            self._cache.save(self._cache_id, value, started_wall + lifetime, lifetime)
        return tok

    async def _lifetime(
        self, exp: float | None, iat: float | None, headers: httpx.Headers, local_wall: float
    ) -> float:
        """Seconds the token lives from the moment we asked for it, by the server's clock."""
        if exp is None:
            return DEFAULT_LIFETIME_S
        server_now = http_date(headers)
        if server_now is not None:
            self.clock_offset_s = server_now - local_wall
            return exp - server_now
        if iat is not None:
            return exp - iat
        if self._server_clock is not None:
            try:
                server_now = await self._server_clock()
            except Exception as exc:  # any failure: fall back to the local clock
                log.debug("GET /time failed (%s); judging token expiry by the local clock.",
                          type(exc).__name__)
            else:
                self.clock_offset_s = server_now - self._wall()
                return exp - server_now
        return exp - local_wall
