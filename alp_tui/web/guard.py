"""Who may use the served dashboard: loopback binding, Host and Origin checks.

Whoever opens the page drives a dashboard that trades with the configured keys, so the
server listens on loopback unless told otherwise. Loopback alone is not enough against a
web page in the user's own browser: another site could open a WebSocket to
``ws://127.0.0.1:8000/ws`` (the browser lets it, sending that site's ``Origin``), or point
its own name at 127.0.0.1 (DNS rebinding, seen as a foreign ``Host``). Both are refused here.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# A Host header we are willing to echo back into the page: a name or IPv4 address, or a
# bracketed IPv6 address, and an optional port. Nothing that could break out of an URL.
HOST_HEADER_RE = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (brackets allowed around IPv6)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it is written inside an URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def remote_refusal(host: str, port: int) -> str:
    """The one line that refuses a non-loopback ``--host`` and says how to tunnel instead."""
    return (f"serve --host {host}: refused, anyone who reaches the page can trade with your "
            f"keys; serve on loopback and tunnel over SSH from your machine "
            f"(ssh -L {port}:127.0.0.1:{port} THIS-HOST, then open http://127.0.0.1:{port}), "
            f"or pass --allow-remote if you really mean it")


def remote_warning(host: str) -> str:
    """The warning printed when ``--allow-remote`` serves beyond loopback."""
    return (f"warning: serving on {host} with --allow-remote: anyone who reaches this port "
            f"can trade with the configured keys (there is no login); prefer loopback and "
            f"an SSH tunnel")


def _split_host(host_header: str) -> tuple[str, str]:
    """``("host", "port")`` from a Host header (port "" when absent)."""
    if host_header.startswith("["):
        name, _, rest = host_header[1:].partition("]")
        return name, rest.removeprefix(":")
    name, _, port = host_header.partition(":")
    return name, port


def refusal_reason(host_header: str | None, origin: str | None, *,
                   loopback_only: bool) -> str | None:
    """Why a request must be refused, or None when it may go on.

    ``host_header`` is the request's Host, ``origin`` its Origin (browsers send one on every
    WebSocket handshake; other clients may not, and they already run on the machine).
    ``loopback_only`` is False only with ``--allow-remote``.
    """
    if not host_header or not HOST_HEADER_RE.match(host_header):
        return "missing or malformed Host header"
    host_name, host_port = _split_host(host_header)
    if loopback_only and not is_loopback(host_name):
        return f"Host {host_header!r} is not a loopback name (DNS rebinding?)"
    if origin is None:
        return None
    parts = urlsplit(origin)
    try:
        origin_port = str(parts.port or "")
    except ValueError:
        return f"malformed Origin {origin!r}"
    origin_name = parts.hostname or ""
    if parts.scheme not in ("http", "https") or origin_port != host_port:
        return f"cross-site request from {origin!r}"
    if loopback_only:
        # localhost and 127.0.0.1 name the same server: a page opened under one may talk
        # to the socket under the other.
        if is_loopback(origin_name):
            return None
        return f"cross-site request from {origin!r}"
    if origin_name.lower() != host_name.lower():
        return f"cross-site request from {origin!r}"
    return None
