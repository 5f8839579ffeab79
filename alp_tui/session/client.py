"""How the session gets its API client: from a factory, or built from the config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alp_tui.config import Config

ClientFactory = Callable[[], Any]


def client_factory_for(config: Config, *, base_url: str | None = None,
                       api_key: str | None = None, api_secret: str | None = None,
                       mode: str = "live") -> tuple[ClientFactory, bool]:
    """A factory of :class:`AlpClient` for ``base_url`` (default: the config's exchange)
    with these credentials (default: the config's), and whether there are credentials.

    The first client is built now, so an unusable URL (or keys over plain http to a remote
    host) is refused here with a RequestError the CLI turns into exit 2, not a crash later.
    """
    from alp_tui.api.client import AlpClient
    from alp_tui.api.token_cache import default_token_cache_dir

    key = api_key if api_key is not None else config.exchange.api_key
    secret = api_secret
    if secret is None:
        secret = config.exchange.resolve_secret() if config.exchange.has_credentials else ""
    url = base_url or config.exchange.base_url
    # Live tokens are cached on disk (0600) like the secret in the config file; a secret
    # kept off disk (api_secret_cmd) keeps its tokens in memory too.
    from_cmd = secret and not config.exchange.api_secret.get_secret_value()
    cache = default_token_cache_dir() if mode == "live" and not from_cmd else None

    def new_client() -> Any:
        return AlpClient(url, key or None, secret or None, config.exchange.timeout_s,
                         allow_insecure=config.exchange.allow_insecure,
                         token_cache_path=cache)

    ready = [new_client()]

    def factory() -> Any:
        return ready.pop() if ready else new_client()

    return factory, bool(key and secret)


def has_credentials(config: Config, api_key: str | None, api_secret: str | None) -> bool:
    """Whether these credentials (default: the config's) make a usable key pair."""
    key = api_key if api_key is not None else config.exchange.api_key
    secret = api_secret
    if secret is None:
        secret = config.exchange.resolve_secret() if config.exchange.has_credentials else ""
    return bool(key and secret)
