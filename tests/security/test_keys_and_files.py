"""Security: keys never over plain http to a remote host, TLS always verified, secret-holding
files private (config, init, token cache), the simulator's own hygiene, and order amounts
parsed as Decimal from the user's text."""

from __future__ import annotations

import inspect
import logging
import os
import ssl
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alp_tui.api.client import AlpClient
from alp_tui.api.errors import AuthError, RequestError
from alp_tui.api.token_cache import TokenCache
from alp_tui.config import Config, write_config
from alp_tui.sim import auth as sim_auth
from alp_tui.sim.app import DEFAULT_BODY_LIMIT
from alp_tui.sim.server import SimServer

SECRET = "cafe" * 16


def _cli(*args: str, stdin: str = "", env: dict[str, str] | None = None,
         home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, detached from any terminal (getpass reads stdin)."""
    full_env = {**os.environ, **(env or {})}
    for name in ("ALP_API_KEY", "ALP_API_SECRET", "ALP_BASE_URL"):
        full_env.pop(name, None)
    if home is not None:
        full_env["XDG_CONFIG_HOME"] = str(home / "config")
        full_env["XDG_DATA_HOME"] = str(home / "data")
        full_env["XDG_CACHE_HOME"] = str(home / "cache")
    return subprocess.run([sys.executable, "-m", "alp_tui", *args], input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=60,
                          start_new_session=True, check=False)


# --- transport --------------------------------------------------------------------------


def test_keys_are_refused_over_plain_http_to_a_remote_host() -> None:
    with pytest.raises(RequestError) as info:
        AlpClient("http://exchange.example.com/api/v3", "key", SECRET)
    text = str(info.value)
    assert "plain http://" in text and "exchange.example.com" in text and "https://" in text
    assert SECRET not in text


def test_allow_insecure_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = AlpClient("http://10.1.2.3/api/v3", "key", SECRET, allow_insecure=True)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and "INSECURE" in warnings[0].getMessage()
    assert "10.1.2.3" in warnings[0].getMessage()
    assert client.base_url.startswith("http://")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/api/v3", "http://localhost/api/v3",
                                 "http://[::1]:9/api/v3"])
def test_loopback_http_is_allowed(url: str) -> None:
    AlpClient(url, "key", SECRET)


def test_public_only_http_needs_no_keys() -> None:
    AlpClient("http://exchange.example.com/api/v3")  # nothing secret to protect


def test_tls_verification_is_always_on() -> None:
    client = AlpClient("https://www.alp.com/api/v3", "key", SECRET)
    http = client._http
    pool = http._transport._pool  # type: ignore[attr-defined]
    context: ssl.SSLContext = pool._ssl_context
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert "verify" not in inspect.signature(AlpClient.__init__).parameters


def test_cli_refuses_a_remote_http_url_with_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    write_config(path, Config.model_validate({"exchange": {
        "base_url": "http://exchange.example.com/api/v3", "api_key": "k",
        "api_secret": SECRET}}))
    done = _cli("--config", str(path), home=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "plain http://" in done.stderr and str(path) in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


# --- files holding secrets ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_config_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[exchange]\napi_key = "k"\napi_secret = "{SECRET}"\n', encoding="utf-8")
    path.chmod(mode)
    done = _cli("--config", str(path), home=tmp_path)
    assert done.returncode == 2
    assert str(path) in done.stderr and f"chmod 600 {path}" in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_init_writes_0600_file_in_0700_dir(tmp_path: Path) -> None:
    path = tmp_path / "new" / "alp-tui" / "config.toml"
    answers = "\n".join(["https://www.alp.com/api/v3", "my-key", SECRET, "BTC_USDT",
                         "BTC_USDT,ETH_USDT"]) + "\n"
    done = _cli("init", "--config", str(path), stdin=answers, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the app's own directory
    assert SECRET in path.read_text(encoding="utf-8")
    assert SECRET not in done.stdout + done.stderr  # never echoed


async def test_token_cache_is_private(sim_server: SimServer, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache" / "tokens"
    async with AlpClient(sim_server.base_url, sim_server.api_key, sim_server.api_secret,
                         token_cache_path=cache_dir) as client:
        await client.balances()
    (file,) = list(cache_dir.iterdir())
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    text = file.read_text(encoding="utf-8")
    assert sim_server.api_key not in file.name and sim_server.api_secret not in text
    # loosened by someone: the token may have leaked, so it is dropped, never used
    file.chmod(0o644)
    assert TokenCache(cache_dir).load(file.stem) is None
    assert not file.exists()


def test_secret_command_is_documented() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    assert "api_secret_cmd" in example.read_text(encoding="utf-8")


# --- the simulator ----------------------------------------------------------------------


def test_simulator_binds_loopback_by_default() -> None:
    assert SimServer().host == "127.0.0.1"
    from alp_tui.sim.cli import build_parser  # type: ignore[attr-defined]

    assert build_parser().parse_args([]).host == "127.0.0.1"


def test_simulator_compares_secrets_in_constant_time() -> None:
    source = inspect.getsource(sim_auth.Authenticator)
    assert source.count("hmac.compare_digest(") >= 3  # secret, X-SIGN, login X-SIGN
    for line in source.splitlines():
        code = line.split("#")[0]
        assert not ("secret" in code and " == " in code), line
        assert not ("x_sign" in code and " == " in code), line


async def test_jwt_signing_key_is_random_per_run(make_sim_server: Any) -> None:
    one = make_sim_server()
    two = make_sim_server(api_key=one.api_key, api_secret=one.api_secret)
    assert one.auth.signing_key != two.auth.signing_key
    token = one.token()
    async with AlpClient(two.base_url, one.api_key, one.api_secret) as client:
        client._tokens._token = None
        r = await client._http.get("accounts/balances",
                                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_simulator_limits_request_bodies(sim_server: SimServer) -> None:
    body = b'{"pair": "' + b"A" * (DEFAULT_BODY_LIMIT + 10) + b'"}'
    async with httpx.AsyncClient(base_url=sim_server.base_url + "/") as http:
        r = await http.post("auth", content=body,
                            headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/json")


async def test_unsigned_or_badly_signed_order_is_refused(sim_server: SimServer) -> None:
    body = (b'{"pair":"BTC_USDT","order_type":"LIMIT","order_side":"BID",'
            b'"wallet_type":"SPOT","base_amount":0.01,"limit_price":90000}')
    async with httpx.AsyncClient(base_url=sim_server.base_url + "/") as http:
        token = sim_server.token()
        for sign in (None, "0" * 64, sim_auth.sign(sim_server.api_secret, body + b" ")):
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            if sign:
                headers["X-SIGN"] = sign
            r = await http.post("trading/order", content=body, headers=headers)
            assert r.status_code == 401
    assert sim_server.exchange.orders(sim_server.account_id) == []


# --- order entry: Decimal from the text -----------------------------------------------------


def _btc() -> Any:
    from alp_tui.api.models import PairInfo

    return PairInfo.model_validate({
        "name": "BTC_USDT", "currency1": "BTC", "currency2": "USDT",
        "price_precision": 2, "amount_precision": 6, "minimum_order_size": "0.000100",
        "maximum_order_size": "1000", "minimum_order_value": "1"})


@settings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=6),
       price=st.decimals(min_value=Decimal("1"), max_value=Decimal("500000"), places=2))
def test_order_amounts_are_decimal_from_the_text(amount: Decimal, price: Decimal) -> None:
    from alp_tui.services.order_draft import FormInput, MarketContext, build_draft

    ctx = MarketContext(pair=_btc())
    result = build_draft(FormInput(amount=str(amount), price=str(price)), ctx)
    if result.draft is None:  # refused by a limit, with a message
        assert result.errors
        return
    assert result.draft.base_amount == amount and result.draft.limit_price == price
    assert isinstance(result.draft.base_amount, Decimal)
    kwargs = result.draft.request_kwargs("tui-x")
    assert kwargs["base_amount"] == amount and kwargs["limit_price"] == price


def test_no_float_in_order_entry() -> None:
    from alp_tui.services import order_draft

    source = inspect.getsource(order_draft)
    assert "float(" not in source
    client_source = inspect.getsource(AlpClient.place_order)
    assert "float(" not in client_source


def test_auth_error_names_no_secret(sim_server: SimServer) -> None:
    err = AuthError("The exchange refused the API key and secret (HTTP 401 on POST /auth).")
    assert SECRET not in repr(err) + str(err)
