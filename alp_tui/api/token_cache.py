"""Optional on-disk cache of the JWT, so a restart does not cost a POST /auth.

One small JSON file per (base URL, API key), named by a hash of both so the key itself is
not written anywhere. The directory is created 0700 and each file written 0600 through a
temporary file and an atomic rename; a file readable by others is ignored and removed.

A file that can't be used (not JSON, not an object, a token that is not a JWT-shaped
string, an expiry that is not a finite positive number, not a regular file, too big) never
stops the app: it is moved aside to ``<name>.corrupt-<time>`` (still 0600), a new token is
fetched and cached, and :attr:`TokenCache.notice` says so in one sentence for the UI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024  # a cached token is a few hundred bytes
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,8192}")  # what may go into a Bearer header


def default_token_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/alp-tui/tokens`` (platformdirs picks the right place per OS)."""
    return Path(user_cache_dir("alp-tui", appauthor=False)) / "tokens"


def cache_key(base_url: str, api_key: str) -> str:
    """File stem for one credential on one server: a hash, never the key itself."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\0{api_key}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class CachedToken:
    """A token read back from disk; ``expires_wall`` is local ``time.time()`` seconds."""

    token: str = field(repr=False)
    expires_wall: float
    lifetime_s: float


class TokenCache:
    """A directory of cached tokens (see module docstring)."""

    def __init__(self, directory: Path | str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory).expanduser()
        self.notice: str | None = None  # set once a bad file was moved aside
        self.moved_to: Path | None = None
        self._clock = clock

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    def _file(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> CachedToken | None:
        """The cached token for ``key``, or None when absent, unsafe or unusable (an
        unusable file is moved aside, see the module docstring)."""
        path = self._file(key)
        try:
            st = path.lstat()
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            self._move_aside(path, "not a regular file")
            return None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Someone loosened the mode: the token may have leaked; never use it.
            log.warning("Ignoring token cache file %s: it is readable by others.", path)
            self.drop(key)
            return None
        if st.st_size > MAX_FILE_BYTES:
            self._move_aside(path, f"{st.st_size} bytes")
            return None
        try:
            raw = path.read_bytes()
        except OSError as exc:
            log.warning("Ignoring unreadable token cache file %s (%s).", path,
                        type(exc).__name__)
            return None
        try:
            return parse_cached(raw)
        except ValueError as exc:
            self._move_aside(path, str(exc))
            return None

    def _move_aside(self, path: Path, why: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists() or aside.is_symlink():
            n += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        moved: Path | None = aside
        try:
            os.replace(path, aside)
        except OSError:
            # Can't move it: remove it, so a new token can be cached in its place.
            with contextlib.suppress(OSError):
                path.unlink()
            moved = None
        log.warning("Token cache file %s unusable (%s)%s.", path, why,
                    f"; moved to {moved}" if moved else "")
        self.moved_to = moved
        self.notice = (f"The saved API token could not be used ({why})"
                       + (f"; it was moved to {moved}" if moved else "")
                       + ". A new token is fetched and saved.")

    def save(self, key: str, token: str, expires_wall: float, lifetime_s: float) -> None:
        """Write the token (0600, atomically). Failures are logged, never raised: the cache
        only saves a round trip."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                os.chmod(self.directory, 0o700)
            path = self._file(key)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(
                        {"token": token, "expires_wall": expires_wall, "lifetime_s": lifetime_s},
                        fh,
                    )
                os.chmod(tmp, 0o600)  # in case the umask or an old file widened it
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        except OSError as exc:
            log.warning("Could not write the token cache in %s (%s).", self.directory,
                        type(exc).__name__)

    def drop(self, key: str) -> None:
        """Forget the token for ``key``."""
        with contextlib.suppress(OSError):
            self._file(key).unlink()


def parse_cached(raw: bytes) -> CachedToken:
    """A cache file's bytes as a :class:`CachedToken`; ValueError (saying why) when they
    are not what :meth:`TokenCache.save` writes."""
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    token = data.get("token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValueError("no usable token")
    expires = data.get("expires_wall")
    lifetime = data.get("lifetime_s", 0.0)
    for name, value in (("expires_wall", expires), ("lifetime_s", lifetime)):
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} is not a finite positive number")
    if expires == 0:
        raise ValueError("expires_wall is not a finite positive number")
    return CachedToken(token=token, expires_wall=float(expires), lifetime_s=float(lifetime))
