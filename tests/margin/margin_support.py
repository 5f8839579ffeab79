"""Margin test helpers: an in-memory client and a small host app (a module of its own, so
tests import it by a unique name rather than ``from conftest import``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult

from alp_tui.api.enums import WalletType
from alp_tui.api.errors import ForbiddenError, ValidationError
from alp_tui.api.models import Balance, Borrow, Loan, MarginTransfer, PairInfo, Ticker
from alp_tui.services.margin import MarginService
from alp_tui.ui.panes.margin import MarginPane
from alp_tui.ui.panes.margin_history import MarginHistoryPane

TCSS = Path(__file__).resolve().parents[2] / "alp_tui" / "ui" / "margin.tcss"

BTC_USDT = PairInfo(name="BTC_USDT", currency1="BTC", currency2="USDT", amount_precision=6,
                    price_precision=2, maximum_order_size=Decimal(100),
                    minimum_order_size=Decimal("0.0001"), minimum_order_value=Decimal(1))


class FakeMarginClient:
    """Just enough of AlpClient for the margin flows, in memory."""

    def __init__(self) -> None:
        self.price = Decimal(40000)
        self.balances_: list[Balance] = [
            Balance(balance=Decimal(10000), reserve=Decimal(0), currency="USDT",
                    wallet_type=WalletType.SPOT),
            Balance(balance=Decimal(1), reserve=Decimal(0), currency="BTC",
                    wallet_type=WalletType.SPOT),
        ]
        self.loans_: list[Loan] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.forbid = False
        self.refuse: dict[str, str] | None = None
        self.transfers: list[MarginTransfer] = []
        self.borrows_: list[Borrow] = []

    def _check(self, name: str, **kw: Any) -> None:
        self.calls.append((name, kw))
        if self.forbid:
            raise ForbiddenError("403 Forbidden: key lacks permission", status=403)
        if self.refuse:
            raise ValidationError("refused", field_errors=self.refuse, status=400)

    def _wallet(self, wallet_type: Any, currency: str, pair: str | None) -> Balance:
        wt = WalletType.parse(wallet_type)
        for b in self.balances_:
            if b.wallet_type is wt and b.currency == currency and b.pair == pair:
                return b
        b = Balance(balance=Decimal(0), reserve=Decimal(0), currency=currency, wallet_type=wt,
                    pair=pair)
        self.balances_.append(b)
        return b

    async def margin_transfer(self, wallet_type: Any, direction: Any, amount: Any,
                              currency: str, pair: str | None = None, note: str | None = None,
                              account_id: int | None = None) -> int:
        self._check("margin_transfer", wallet_type=wallet_type, direction=direction,
                    amount=amount, currency=currency, pair=pair)
        sign = 1 if str(getattr(direction, "value", direction)) == "ADD" else -1
        self._wallet("SPOT", currency, None).balance -= sign * Decimal(amount)
        self._wallet(wallet_type, currency, pair).balance += sign * Decimal(amount)
        self.transfers.append(MarginTransfer(
            id=len(self.transfers) + 1, amount=Decimal(amount), currency=currency,
            date=datetime.now(UTC), direction=direction, wallet_type=wallet_type, pair=pair))
        return len(self.transfers)

    async def borrow(self, amount: Any, currency: str, wallet_type: Any,
                     pair: str | None = None, loan_type: Any = None,
                     account_id: int | None = None) -> int:
        self._check("borrow", amount=amount, currency=currency, wallet_type=wallet_type,
                    pair=pair)
        self._wallet(wallet_type, currency, pair).balance += Decimal(amount)
        loan_id = len(self.loans_) + 1
        self.loans_.append(Loan(id=loan_id, borrowed=Decimal(amount), interest=Decimal(0),
                                currency=currency, wallet_type=wallet_type, pair=pair))
        return loan_id

    async def repay(self, amount: Any, currency: str, wallet_type: Any,
                    pair: str | None = None, loan_type: Any = None,
                    account_id: int | None = None) -> int:
        self._check("repay", amount=amount, currency=currency, wallet_type=wallet_type,
                    pair=pair)
        return 7

    async def close_position(self, wallet_type: Any, pair: str | None = None,
                             account_id: int | None = None) -> Any:
        self._check("close_position", wallet_type=wallet_type, pair=pair)
        self.loans_.clear()
        return None

    async def loans(self, isolated_margin: bool | None = None,
                    cross_margin: bool | None = None) -> list[Loan]:
        wanted = set()
        if isolated_margin:
            wanted.add(WalletType.ISOLATED_MARGIN)
        if cross_margin:
            wanted.add(WalletType.CROSS_MARGIN)
        return [loan for loan in self.loans_ if loan.wallet_type in wanted]

    async def balances(self) -> list[Balance]:
        return [b.model_copy() for b in self.balances_]

    async def ticker(self, pair: str | None = None) -> list[Ticker]:
        return [Ticker(pair="BTC_USDT", last=self.price, vol=Decimal(1), high=self.price,
                       low=self.price, timestamp=Decimal(1))]

    async def margin_transfers(self, **kw: Any) -> list[MarginTransfer]:
        return list(self.transfers)

    async def borrows(self, **kw: Any) -> list[Borrow]:
        return []

    async def repays(self, **kw: Any) -> list[Any]:
        return []

    async def interests(self, **kw: Any) -> list[Any]:
        return []

    async def liquidations(self, **kw: Any) -> list[Any]:
        return []


class MarginHost(App[None]):
    """The margin pane and history above each other, with a margin service."""

    CSS_PATH = str(TCSS)

    def __init__(self, service: MarginService, export_dir: Path | None = None,
                 clock_offset: timedelta = timedelta(0)) -> None:
        super().__init__()
        self.margin_service = service
        self.export_dir = export_dir
        self.clock_offset = clock_offset
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield MarginPane(service=self.margin_service, id="margin-pane")
        yield MarginHistoryPane(service=self.margin_service, export_dir=self.export_dir,
                                id="margin-history",
                                now=lambda: datetime.now(UTC) + self.clock_offset)

    def bell(self) -> None:
        self.bells += 1

    def on_mount(self) -> None:
        self.query_one(MarginPane).set_pair(BTC_USDT)


