"""A borrow or repay made outside the app (another client on the same account), with the
private stream on: the wallet's balances stream in at once, its loans are polled. The level
a trader watches must never mix the new balances with the old loans (a borrow read 1.800
for up to 15 s instead of 1.286, and a second 'fell below 1.5' alert fired when the real
level came; a repay read too low and raised a false alert)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from session_support import make_session, until

from alp_tui.api.client import AlpClient
from alp_tui.api.enums import WalletType
from alp_tui.services.margin_math import wallet_key
from alp_tui.session import AccountSnapshot, AlertFired, AlertKind, Session

CROSS = wallet_key(WalletType.CROSS_MARGIN, None)


def _other_client(server: Any) -> AlpClient:
    """A second client on the same account (another app, a script, the web site)."""
    return AlpClient(server.base_url, server.api_key, server.api_secret, 10)


def _cross_levels(seen: list[Any]) -> list[Decimal]:
    """Every cross-wallet level the session published, in order."""
    return [w.level for e in seen if isinstance(e, AccountSnapshot)
            for w in e.levels if w.wallet == CROSS and w.level is not None]


def _margin_alerts(seen: list[Any]) -> list[AlertFired]:
    return [e for e in seen if isinstance(e, AlertFired) and e.kind is AlertKind.MARGIN]


def _level(session: Session) -> Decimal | None:
    worst = session.account.snapshot.worst
    return None if worst is None or worst.level is None else worst.level.quantize(
        Decimal("0.001"))


async def _cross_position(server: Any, own: str, borrowed: str) -> None:
    async with _other_client(server) as other:
        await other.margin_transfer("CROSS_MARGIN", "ADD", own, "USDT")
        await other.borrow(borrowed, "USDT", "CROSS_MARGIN")


async def _streaming(session: Session) -> None:
    """Balances come by the stream and the margin level is known."""
    feed = session.stream_feed
    assert feed is not None
    await until(lambda: feed.is_streaming("balances")
                and session.account.snapshot.worst is not None)


async def test_a_borrow_elsewhere_never_shows_a_high_level_nor_alerts_twice(
    sim_server: Any, tmp_path: Path
) -> None:
    await _cross_position(sim_server, "1000", "2500")  # 3,500 / 2,500 = 1.400: warning
    session = make_session(sim_server, tmp_path, stream=True)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await _streaming(session)
        assert _level(session) == Decimal("1.400")
        await until(lambda: _margin_alerts(seen))  # the one alert: below 1.5
        before = len(_cross_levels(seen))

        async with _other_client(sim_server) as other:
            await other.borrow("1000", "USDT", "CROSS_MARGIN")  # 4,500 / 3,500 = 1.286
        await until(lambda: _level(session) == Decimal("1.286"))

        after = _cross_levels(seen)[before:]
        assert all(level <= Decimal("1.4") for level in after), after  # never 1.800
        assert len(_margin_alerts(seen)) == 1


async def test_a_repay_elsewhere_never_shows_a_low_level_nor_alerts(
    sim_server: Any, tmp_path: Path
) -> None:
    await _cross_position(sim_server, "1500", "2500")  # 4,000 / 2,500 = 1.600: safe
    session = make_session(sim_server, tmp_path, stream=True)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await _streaming(session)
        assert _level(session) == Decimal("1.600")
        before = len(_cross_levels(seen))

        async with _other_client(sim_server) as other:
            await other.repay("500", "USDT", "CROSS_MARGIN")  # 3,500 / 2,000 = 1.750
        await until(lambda: _level(session) == Decimal("1.750"))

        after = _cross_levels(seen)[before:]
        assert all(level >= Decimal("1.6") for level in after), after  # never 1.400
        assert _margin_alerts(seen) == []
