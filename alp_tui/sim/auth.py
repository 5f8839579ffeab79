"""Authentication for the simulator: API key + secret → JWT, Bearer and X-SIGN checks,
permission flags.

- ``POST /auth`` trades a key and secret for an HS256 JWT whose ``exp`` says when it
  expires. The signing key is random per :class:`Authenticator` (one per server run), so
  tokens from another simulator never validate here.
- Every private call needs ``Authorization: Bearer <jwt>``; the token names the API key,
  and the key is looked up again on each call so a replaced key takes effect at once.
- Every request with a body must carry ``X-SIGN``: lowercase hex HMAC-SHA256 of the exact
  body bytes, keyed with the API secret. A missing or wrong signature answers **401**: a
  signature is proof of holding the secret, so failing it is an authentication failure
  (and the official client treats 401 as its AuthError). ``POST /auth`` is the exception:
  its body already carries the secret, so X-SIGN is verified there only when sent.
- Missing permissions answer 403 naming the flag: "Trade", "Can Withdraw" or "Margin".
- All secret comparisons are constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from alp_tui.sim.accounts import ApiKeyRecord
from alp_tui.sim.errors import SimError
from alp_tui.sim.textcheck import text_problem

TRADE = "Trade"
WITHDRAW = "Can Withdraw"
MARGIN = "Margin"

_ALGORITHM = "HS256"


def sign(secret: str, body: bytes) -> str:
    """The X-SIGN value for ``body``: lowercase hex HMAC-SHA256 keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def unauthorized(message: str) -> SimError:
    """A 401 in the exchange's shape."""
    return SimError(401, message, code="UNAUTHORIZED")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's record, with its account id and permissions."""

    record: ApiKeyRecord

    @property
    def account_id(self) -> int:
        """The account the key belongs to."""
        return self.record.account_id

    def require(self, permission: str | None) -> None:
        """Raise 403 naming ``permission`` when the key lacks it."""
        if permission is None:
            return
        granted = {
            TRADE: self.record.can_trade,
            WITHDRAW: self.record.can_withdraw,
            MARGIN: self.record.can_margin,
        }.get(permission, False)
        if not granted:
            raise SimError(
                403,
                f'this API key lacks the "{permission}" permission',
                code="FORBIDDEN",
            )


class Authenticator:
    """Issues and checks tokens for one simulator run."""

    def __init__(
        self,
        find_key: Callable[[str], ApiKeyRecord | None],
        *,
        token_ttl_s: float = 3600.0,
        signing_key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._find_key = find_key
        self.token_ttl_s = token_ttl_s
        self.signing_key = signing_key or secrets.token_bytes(32)
        self._clock = clock
        # A fixed dummy so an unknown key costs the same comparison as a known one.
        self._dummy_secret = secrets.token_hex(32)
        # token → (api_key, exp) for tokens whose signature was already verified: a JWT
        # decode costs ~50-120 µs and a client sends the same token on every call.
        self._verified: dict[str, tuple[str, int]] = {}

    def set_key_lookup(self, find_key: Callable[[str], ApiKeyRecord | None]) -> None:
        """Point at another exchange's key table (after a restart)."""
        self._find_key = find_key

    # --- POST /auth ----------------------------------------------------------------------
    def login(self, api_key: Any, api_secret: Any) -> str:
        """A JWT for a valid key and secret, else 401."""
        if not isinstance(api_key, str) or not isinstance(api_secret, str) \
                or text_problem(api_key) or text_problem(api_secret):
            raise unauthorized("invalid api key or secret")
        record = self._find_key(api_key) if api_key else None
        expected = record.api_secret if record else self._dummy_secret
        ok = hmac.compare_digest(expected.encode("utf-8"), api_secret.encode("utf-8"))
        if record is None or not ok:
            raise unauthorized("invalid api key or secret")
        return self.issue(record)

    def issue(self, record: ApiKeyRecord, ttl_s: float | None = None) -> str:
        """Sign a token for ``record`` valid ``ttl_s`` seconds (negative: already expired;
        tests use that)."""
        now = int(self._clock())
        ttl = self.token_ttl_s if ttl_s is None else ttl_s
        payload = {
            "sub": record.api_key,
            "account_id": record.account_id,
            "iat": now,
            "exp": int(now + ttl),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(payload, self.signing_key, algorithm=_ALGORITHM)

    # --- private calls -------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind an ``Authorization`` header, or 401."""
        if not authorization:
            raise unauthorized("missing bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 4096:
            raise unauthorized("missing bearer token")
        cached = self._verified.get(token)
        if cached is not None:
            api_key, exp = cached
            if self._clock() >= exp:
                self._verified.pop(token, None)
                raise unauthorized("token expired")
            record = self._find_key(api_key)
            if record is None:
                raise unauthorized("invalid token")
            return Principal(record)
        try:
            claims = jwt.decode(
                token,
                self.signing_key,
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "sub"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.PyJWTError:
            raise unauthorized("invalid token") from None
        api_key = claims.get("sub")
        record = self._find_key(api_key) if isinstance(api_key, str) else None
        if record is None:
            raise unauthorized("invalid token")
        exp = claims.get("exp")
        if isinstance(exp, int) and isinstance(api_key, str):
            if len(self._verified) >= 4096:
                self._verified.clear()
            self._verified[token] = (api_key, exp)
        return Principal(record)

    def verify_signature(self, principal: Principal, body: bytes, x_sign: str | None) -> None:
        """Check ``X-SIGN`` over the exact body bytes; 401 when missing or wrong."""
        if not x_sign:
            raise unauthorized("missing X-SIGN header")
        expected = sign(principal.record.api_secret, body)
        given = x_sign.strip().lower().encode("ascii", "replace")
        if not hmac.compare_digest(expected.encode("ascii"), given):
            raise unauthorized("invalid X-SIGN signature")

    def verify_login_signature(self, api_secret: Any, body: bytes, x_sign: str | None) -> None:
        """On ``POST /auth`` an X-SIGN, when sent, must match the secret in the body."""
        if x_sign is None or not isinstance(api_secret, str) or text_problem(api_secret):
            return  # a secret that can't be encoded fails the login itself
        expected = sign(api_secret, body)
        given = x_sign.strip().lower().encode("ascii", "replace")
        if not hmac.compare_digest(expected.encode("ascii"), given):
            raise unauthorized("invalid X-SIGN signature")
