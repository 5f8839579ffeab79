"""Optional on-disk cache of the JWT, so a restart does not cost a POST /auth.

One small JSON file per (base URL, API key), named by a hash of both so the key itself is
not written anywhere. The directory is created 0700 and each file written 0600 through a
temporary file and an atomic rename; a file readable by others is ignored and removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir

log = logging.getLogger(__name__)


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

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    def _file(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> CachedToken | None:
        """The cached token for ``key``, or None when absent, unreadable or unsafe."""
        path = self._file(key)
        try:
            st = path.stat()
        except OSError:
            return None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Someone loosened the mode: the token may have leaked; never use it.
            log.warning("Ignoring token cache file %s: it is readable by others.", path)
            self.drop(key)
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return CachedToken(
                token=str(data["token"]),
                expires_wall=float(data["expires_wall"]),
                lifetime_s=float(data.get("lifetime_s", 0.0)),
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("Ignoring unreadable token cache file %s.", path)
            return None

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
