"""Configuration: TOML file → validated pydantic models, env overrides, safe writing.

No textual import here (``tests/test_layering.py`` checks it). Errors are :class:`ConfigError`
with one line naming the file, the key and the problem, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tomli_w
from platformdirs import user_config_dir
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

APP_NAME = "alp-tui"
DEFAULT_BASE_URL = "https://www.alp.com/api/v3"
ENV_BASE_URL = "ALP_BASE_URL"
ENV_API_KEY = "ALP_API_KEY"
ENV_API_SECRET = "ALP_API_SECRET"
# The chart intervals (minutes) the dashboard offers: the wire's ChartInterval without
# ONE_MIN. Written out so that config stays a leaf (tests/config/test_config_leaf.py
# keeps it equal to the enum).
VALID_INTERVALS = (5, 15, 30, 60, 240, 1440)
# BASE_QUOTE of letters and digits: a pair name ends up in URLs and file names.
PAIR_RE = re.compile(r"^[A-Z0-9]{1,16}_[A-Z0-9]{1,16}$")
MAX_POLL_INTERVAL_S = 86_400.0


def _normalize_pair(name: str) -> str:
    # api.enums.normalize_pair, written out so that config stays a leaf.
    return name.strip().upper().replace("/", "_").replace("-", "_")


def check_pair(value: str) -> str:
    """``value`` as a canonical pair name (``btc/usdt`` → ``BTC_USDT``); ValueError when it
    is not BASE_QUOTE of letters and digits."""
    pair = _normalize_pair(value)
    if not PAIR_RE.match(pair):
        raise ValueError(f"{value!r} is not a pair like BTC_USDT (letters and digits)")
    return pair


class ConfigError(Exception):
    """A config file that cannot be used; the message is one line naming file and key."""


class _Section(BaseModel):
    # No inf/nan anywhere: an interval of inf would fetch once and call it fresh forever.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class ExchangeConfig(_Section):
    """``[exchange]``: where the exchange is and how to sign in."""

    base_url: str = DEFAULT_BASE_URL
    """Base URL of the v3 REST API (env ``ALP_BASE_URL``)."""
    api_key: str = ""
    """API key; empty for public-only mode (env ``ALP_API_KEY``)."""
    api_secret: SecretStr = SecretStr("")
    """API secret (env ``ALP_API_SECRET``); a file holding it must be mode 0600."""
    api_secret_cmd: str = ""
    """A command printing the secret on stdout (e.g. ``pass show alp``), used when
    ``api_secret`` is empty."""
    timeout_s: float = Field(default=10, gt=0, le=120)
    """Seconds before a request is given up."""
    allow_insecure: bool = False
    """Allow plain http to a non-loopback host."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def has_credentials(self) -> bool:
        """True when a key and a secret (or a command giving one) are configured."""
        return bool(self.api_key) and bool(
            self.api_secret.get_secret_value() or self.api_secret_cmd
        )

    def resolve_secret(self) -> str:
        """The secret, running ``api_secret_cmd`` if needed; raises ConfigError on failure."""
        secret = self.api_secret.get_secret_value()
        if secret or not self.api_secret_cmd:
            return secret
        try:
            done = subprocess.run(
                shlex.split(self.api_secret_cmd),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"exchange.api_secret_cmd: cannot run it ({exc})") from None
        if done.returncode != 0:
            raise ConfigError(f"exchange.api_secret_cmd: exited with status {done.returncode}")
        secret = done.stdout.strip()
        if not secret:
            raise ConfigError("exchange.api_secret_cmd: printed nothing")
        return secret


class DashboardConfig(_Section):
    """``[dashboard]``: what the screen shows at start."""

    pair: str = "BTC_USDT"
    """Pair selected at start."""
    watchlist: list[str] = Field(default_factory=lambda: ["BTC_USDT", "ETH_USDT"])
    """Pairs pinned on top of the markets pane (toggled with ``*``; saved back here)."""
    chart_interval: int = 60
    """Candle interval in minutes: 5, 15, 30, 60, 240 or 1440."""
    theme: str = "textual-dark"
    """Textual theme name (``ctrl+p`` → theme to try others)."""

    @field_validator("pair")
    @classmethod
    def _pair(cls, value: str) -> str:
        return check_pair(value)

    @field_validator("watchlist")
    @classmethod
    def _watchlist(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for item in value:
            name = check_pair(item)
            if name not in seen:
                seen.append(name)
        return seen

    @field_validator("chart_interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in VALID_INTERVALS:
            raise ValueError(f"must be one of {', '.join(map(str, VALID_INTERVALS))}")
        return value


class PollingConfig(_Section):
    """``[polling]``: seconds between refreshes, per pane."""

    tickers: float = Field(default=2, ge=0.2, le=MAX_POLL_INTERVAL_S)
    orderbook: float = Field(default=1, ge=0.2, le=MAX_POLL_INTERVAL_S)
    chart: float = Field(default=10, ge=0.5, le=MAX_POLL_INTERVAL_S)
    trades: float = Field(default=2, ge=0.2, le=MAX_POLL_INTERVAL_S)
    balances: float = Field(default=5, ge=0.5, le=MAX_POLL_INTERVAL_S)
    orders: float = Field(default=2, ge=0.5, le=MAX_POLL_INTERVAL_S)
    history: float = Field(default=10, ge=0.5, le=MAX_POLL_INTERVAL_S)
    margin: float = Field(default=10, ge=0.5, le=MAX_POLL_INTERVAL_S)

    def interval(self, topic: str, default: float = 5.0) -> float:
        """Interval for ``topic``, or ``default`` for a topic this section does not name."""
        value = getattr(self, topic, None)
        return float(value) if isinstance(value, int | float) else default


class TradingConfig(_Section):
    """``[trading]``: the order form's fat-finger guard. An order that crosses either limit
    is flagged on the confirm step before anything is sent."""

    max_balance_share: float = Field(default=0.5, gt=0, le=1)
    """Flag an order using more than this share (0-1] of the available balance."""
    max_price_deviation_pct: float = Field(default=10, gt=0, le=1000)
    """Flag an order priced more than this many per cent away from the last price."""


class MarginConfig(_Section):
    """``[margin]``: margin-level alerts. A margin wallet's level is its assets over its
    debt (both in USDT); the exchange liquidates the wallet below ``liquidation_level``."""

    warning_level: float = Field(default=1.5, gt=0, le=100)
    """Below this the app rings the bell, shows a banner until dismissed, and logs it."""
    danger_level: float = Field(default=1.2, gt=0, le=100)
    """A second, red alert ("near liquidation") below this."""
    liquidation_level: float = Field(default=1.1, gt=0, le=100)
    """The exchange's liquidation line, used for the distance-to-liquidation price."""
    alert_hysteresis: float = Field(default=0.05, ge=0, le=10)
    """How far back above a line the level must climb before that line alerts again."""
    alert_bell: bool = True
    """Ring the terminal bell with a margin alert."""

    @model_validator(mode="after")
    def _ordered(self) -> MarginConfig:
        if not self.warning_level > self.danger_level > self.liquidation_level:
            raise ValueError("needs warning_level > danger_level > liquidation_level")
        return self


class PriceAlertConfig(_Section):
    """One ``[[alerts.price]]``: alert when ``pair``'s last price is at or above ``above``
    (or at or below ``below``); levels are decimal strings."""

    pair: str
    above: str | None = None
    below: str | None = None

    @field_validator("pair")
    @classmethod
    def _pair(cls, value: str) -> str:
        return check_pair(value)

    @field_validator("above", "below")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is None:
            return None
        level = _decimal_text(str(value), "a price level")
        if level <= 0:
            raise ValueError("a price level must be above 0")
        return str(level)

    @model_validator(mode="after")
    def _one_side(self) -> PriceAlertConfig:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above = \"...\" or below = \"...\"")
        return self


class AlertsConfig(_Section):
    """``[alerts]``: how alerts reach the trader, and the price alerts.

    ``command`` is an argv (no shell) run in the background for every alert, with the
    alert text appended as the last argument and ``ALP_ALERT_KIND`` (price, margin,
    liquidation, fill, stream), ``ALP_ALERT_PAIR`` and ``ALP_ALERT_TEXT`` in its
    environment.
    """

    command: list[str] = Field(default_factory=list)
    bell: bool = True
    """Ring the terminal bell with every alert."""
    price: list[PriceAlertConfig] = Field(default_factory=list)
    price_hysteresis_pct: float = Field(default=0.5, ge=0, le=50)
    """A price alert fires again only after the price went back past its level by this."""
    liquidation_pct: float = Field(default=5, gt=0, le=100)
    """Alert when a price is within this many per cent of a liquidation price."""
    stream_lost_s: float = Field(default=30, gt=0, le=86_400)
    """Alert when the private stream is lost longer than this while orders are open."""
    fills: bool = True
    """Alert on every fill and partial fill of the user's orders."""
    command_timeout_s: float = Field(default=10, gt=0, le=600)
    """The command is stopped after this long."""


DEFAULT_PAPER_BALANCES = {"USDT": "10000", "BTC": "0.1"}


class PaperConfig(_Section):
    """``[paper]``: the paper account of ``alp-tui --paper`` (live prices, local money)."""

    balances: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PAPER_BALANCES))
    """Starting SPOT balances by currency, as decimal strings (used when the account is
    created, and again after ``alp-tui paper reset``)."""
    maker_fee: str = "0.0015"
    """Fee rate of a fill that rested in the book (the reference's public tier)."""
    taker_fee: str = "0.002"
    """Fee rate of a fill that took liquidity."""

    @field_validator("balances")
    @classmethod
    def _balances(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for currency, amount in value.items():
            code = currency.strip().upper()
            if not code.isalnum() or len(code) > 16:
                raise ValueError(f"{currency!r} is not a currency code like USDT")
            out[code] = str(_decimal_text(str(amount), f"balance of {code}"))
        return out

    @field_validator("maker_fee", "taker_fee")
    @classmethod
    def _fee(cls, value: str) -> str:
        rate = _decimal_text(str(value), "a fee rate")
        if rate >= 1:
            raise ValueError("a fee rate is a fraction below 1 (0.002 = 0.2 %)")
        return str(rate)


def _decimal_text(text: str, what: str) -> Decimal:
    """A non-negative finite decimal from ``text`` (a string, so no float ever rounds it)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{what} must be a decimal number like \"0.1\"") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0")
    return value


class Config(_Section):
    """The whole config file. New sections ([alerts], [margin]...) are added as fields."""

    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    trading: TradingConfig = Field(default_factory=TradingConfig)
    margin: MarginConfig = Field(default_factory=MarginConfig)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    keys: dict[str, str] = Field(default_factory=dict)
    """[keys]: binding id → keys, e.g. ``"app.quick_order" = "ctrl+o"`` (ids in the help)."""

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        for binding_id, keys in value.items():
            if not re.fullmatch(r"[a-z_]+\.[a-z_]+", binding_id):
                raise ValueError(f"{binding_id!r} is not a binding id like app.quick_order")
            if not keys.strip():
                raise ValueError(f"{binding_id}: give at least one key")
        return value

    def to_toml_dict(self, *, include_secret: bool = True) -> dict[str, Any]:
        """Plain dict for tomli-w (the secret in clear only if ``include_secret``)."""
        data = self.model_dump(mode="python")
        secret = self.exchange.api_secret.get_secret_value() if include_secret else ""
        data["exchange"]["api_secret"] = secret
        # TOML has no null: a price alert keeps only its side (above or below).
        data["alerts"]["price"] = [{k: v for k, v in a.items() if v is not None}
                                   for a in data["alerts"]["price"]]
        return data


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/alp-tui/config.toml`` (platformdirs' answer on each OS)."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path(user_config_dir(APP_NAME, appauthor=False)).parent
    return base / APP_NAME / "config.toml"


def _describe_validation(path: Path | None, exc: PydanticValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    where = f"{path}: " if path else ""
    if err["type"] == "extra_forbidden":
        return f"{where}unknown key '{key}'"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{where}{key}: {msg}"


def _check_permissions(path: Path, raw: Mapping[str, Any]) -> None:
    exchange = raw.get("exchange")
    holds_secret = isinstance(exchange, Mapping) and bool(exchange.get("api_secret"))
    if not holds_secret or os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path}: holds exchange.api_secret but is readable by others "
            f"(mode {mode:04o}); fix with: chmod 600 {path}"
        )


def read_raw(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; ConfigError when unreadable or not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        # e.g. arrays nested thousands deep: the parser gives up, the app must not.
        raise ConfigError(f"{path}: cannot be read as TOML ({type(exc).__name__})") from None


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    required: bool = False,
) -> Config:
    """Load and validate the config, then apply env overrides.

    ``path`` None means the default path, which may be missing (defaults apply); an explicit
    path (``required``) must exist. Raises :class:`ConfigError` with a one-line message.
    """
    env = os.environ if env is None else env
    if path is None:
        path = default_config_path()
    raw: dict[str, Any] = {}
    if path.exists() or required:
        raw = read_raw(path)
        _check_permissions(path, raw)
    try:
        config = Config.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(_describe_validation(path, exc)) from None
    return apply_env(config, env)


def apply_env(config: Config, env: Mapping[str, str]) -> Config:
    """Return ``config`` with ``ALP_BASE_URL``, ``ALP_API_KEY``, ``ALP_API_SECRET`` applied."""
    updates: dict[str, Any] = {}
    if env.get(ENV_BASE_URL):
        updates["base_url"] = env[ENV_BASE_URL]
    if env.get(ENV_API_KEY):
        updates["api_key"] = env[ENV_API_KEY]
    if env.get(ENV_API_SECRET):
        updates["api_secret"] = env[ENV_API_SECRET]
    if not updates:
        return config
    try:
        exchange = ExchangeConfig.model_validate(
            {**config.exchange.model_dump(), **updates}
        )
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        name = {"base_url": ENV_BASE_URL}.get(str(err["loc"][0]), str(err["loc"][0]))
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"environment {name}: {msg}") from None
    return config.model_copy(update={"exchange": exchange})


def write_config(path: Path, config: Config | Mapping[str, Any]) -> None:
    """Write ``config`` as TOML: file mode 0600, new directories 0700, atomically."""
    data = config.to_toml_dict() if isinstance(config, Config) else dict(config)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(data, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def save_watchlist(path: Path, watchlist: list[str]) -> None:
    """Store ``watchlist`` in ``[dashboard]`` of the file at ``path``, keeping its other keys.

    Env overrides are never written back. A missing file is created (0600).
    """
    raw = read_raw(path) if path.exists() else {}
    dashboard = raw.setdefault("dashboard", {})
    if not isinstance(dashboard, dict):
        raise ConfigError(f"{path}: dashboard must be a table")
    dashboard["watchlist"] = [_normalize_pair(p) for p in watchlist]
    write_config(path, raw)


def save_theme(path: Path, theme: str) -> None:
    """Store ``theme`` in ``[dashboard]`` of the file at ``path`` (as :func:`save_watchlist`)."""
    raw = read_raw(path) if path.exists() else {}
    dashboard = raw.setdefault("dashboard", {})
    if not isinstance(dashboard, dict):
        raise ConfigError(f"{path}: dashboard must be a table")
    dashboard["theme"] = theme
    write_config(path, raw)


def save_price_alerts(path: Path, alerts: list[PriceAlertConfig]) -> None:
    """Store the price alerts as ``[[alerts.price]]`` of the file at ``path``, keeping its
    other keys (as :func:`save_watchlist` does). A missing file is created (0600)."""
    raw = read_raw(path) if path.exists() else {}
    section = raw.setdefault("alerts", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: alerts must be a table")
    section["price"] = [a.model_dump(exclude_none=True) for a in alerts]
    write_config(path, raw)
