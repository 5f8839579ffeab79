"""Margin alerts from the session with no app, against an in-memory margin client: once per
crossing of the warning and danger lines, never on the line itself, never from loans alone
(what the margin pane's own alert tracker was tested for before the session raised them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from session_support import FastSleep, until

from alp_tui.api.enums import WalletType
from alp_tui.api.models import Balance, Loan, Ticker
from alp_tui.config import Config
from alp_tui.feed.poller import TopicSpec
from alp_tui.services.margin_service import fetch_margin_snapshot
from alp_tui.session import AlertFired, AlertKind, Session


class MarginAccount:
    """Just the margin reading's endpoints, in memory: loans, balances, one ticker."""

    def __init__(self, loans: list[Loan], balances: list[Balance], price: Decimal) -> None:
        self.loans_, self.balances_, self.price = loans, balances, price

    async def loans(self, isolated_margin: bool | None = None,
                    cross_margin: bool | None = None) -> list[Loan]:
        isolated = WalletType.ISOLATED_MARGIN
        return [x for x in self.loans_ if (x.wallet_type is isolated) == bool(isolated_margin)]

    async def balances(self) -> list[Balance]:
        return list(self.balances_)

    async def ticker(self, pair: str | None = None) -> list[Ticker]:
        return [Ticker(pair="BTC_USDT", last=self.price, vol=Decimal(1), high=self.price,
                       low=self.price, timestamp=Decimal(1))]


def _isolated_long() -> MarginAccount:
    """1,000 USDT own + 2,000 borrowed, all in BTC (0.075 at 40,000): level 1.500."""
    loan = Loan(id=1, borrowed=Decimal(2000), interest=Decimal(0), currency="USDT",
                wallet_type=WalletType.ISOLATED_MARGIN, pair="BTC_USDT")
    btc = Balance(currency="BTC", wallet_type=WalletType.ISOLATED_MARGIN, pair="BTC_USDT",
                  balance=Decimal("0.075"), reserve=Decimal(0))
    return MarginAccount([loan], [btc], Decimal(40000))


def _session(client: MarginAccount, fetch: Callable[[Any], Any]) -> Session:
    """A session whose one topic is ``margin``, read from ``client`` by ``fetch``."""

    @contextlib.asynccontextmanager
    async def factory() -> AsyncIterator[MarginAccount]:
        yield client

    def topics(c: Any) -> list[TopicSpec]:
        return [TopicSpec("margin", lambda _params: fetch(c), 0.01, private=True)]

    return Session(Config(), factory, has_credentials=True, trading=False,
                   topics=topics, sleep=FastSleep())


def _margin_alerts(seen: list[Any]) -> list[AlertFired]:
    return [e for e in seen if isinstance(e, AlertFired) and e.kind is AlertKind.MARGIN]


async def _polls(session: Session, count: int) -> None:
    poller = session.feed.pollers["margin"]  # type: ignore[union-attr]
    asked = poller.requests
    await until(lambda: poller.requests >= asked + count)


async def test_margin_alert_once_per_crossing_and_never_on_the_line() -> None:
    client = _isolated_long()
    session = _session(client, fetch_margin_snapshot)
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await until(lambda: session.account.snapshot.worst is not None)
        assert session.account.snapshot.worst.level == Decimal("1.5")
        await _polls(session, 3)
        assert _margin_alerts(seen) == []  # on the warning line is not below it

        client.price = Decimal(38000)  # 0.075 * 38,000 / 2,000 = 1.425: warning
        await until(lambda: _margin_alerts(seen))
        (warning,) = _margin_alerts(seen)
        assert "isolated BTC_USDT" in warning.text and "1.425" in warning.text
        assert not warning.danger and warning.pair == "BTC_USDT"
        await _polls(session, 3)
        assert len(_margin_alerts(seen)) == 1  # still below: no second alert

        client.price = Decimal(30000)  # 1.125 < 1.2: near liquidation
        await until(lambda: len(_margin_alerts(seen)) == 2)
        danger = _margin_alerts(seen)[1]
        assert danger.danger and "near liquidation" in danger.text
        await _polls(session, 3)
        assert len(_margin_alerts(seen)) == 2
        assert all(a in session.alert_log for a in _margin_alerts(seen))  # F4 keeps them


async def test_loans_alone_never_alert() -> None:
    client = _isolated_long()
    client.price = Decimal(1)  # far below any line, but no balances read: no level known
    session = _session(client, lambda c: c.loans(isolated_margin=True))
    seen: list[Any] = []
    session.subscribe(seen.append)
    async with session:
        await until(lambda: "loans" in session.account.snapshot.known)
        await _polls(session, 3)
        assert session.account.snapshot.loans and session.account.snapshot.worst is None
        assert [e for e in seen if isinstance(e, AlertFired)] == []
