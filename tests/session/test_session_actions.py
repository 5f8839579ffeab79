"""The trader's actions go through the session, with no UI: each happens on the exchange and
the session's account snapshot shows it right after — the orders at once, loans and
balances from the re-read the action asks for (the polls here wait five minutes, so no
poll cycle can be what brought them)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from session_support import make_session, until

from alp_tui.api.enums import MarginDirection, OrderSide, OrderType, TimeInForce, WalletType
from alp_tui.config import Config, PollingConfig
from alp_tui.services.margin import LoanRequest, MarginRequestError, TransferRequest
from alp_tui.services.margin_alerts import WalletKey
from alp_tui.services.order_draft import OrderDraft
from alp_tui.services.trading import Outcome
from alp_tui.session import AccountSnapshot, ActionPort, Session

SLOW = 300.0  # seconds between polls of every account topic: only an action re-reads them
CROSS = WalletKey(WalletType.CROSS_MARGIN)
TRC20_ADDRESS = "T" + "A1b2C3d4E5f6G7h8J9k1M2n3P4q5R6s7T"  # 34 characters


def _config() -> Config:
    return Config(polling=PollingConfig(balances=SLOW, orders=SLOW, margin=SLOW,
                                        history=SLOW, tickers=SLOW))


def _bid(price: str, amount: str = "0.01") -> OrderDraft:
    return OrderDraft(pair="BTC_USDT", side=OrderSide.BID, order_type=OrderType.LIMIT,
                      wallet_type=WalletType.SPOT, base_amount=Decimal(amount),
                      limit_price=Decimal(price), tif=TimeInForce.GTC)


async def _started(server: Any, tmp_path: Path) -> Session:
    session = make_session(server, tmp_path, config=_config())
    await session.start()
    known = {"balances", "orders", "loans"}
    await until(lambda: known <= session.account.snapshot.known
                and session.account.snapshot.net_equity is not None)
    return session


def _open_ids(snapshot: AccountSnapshot) -> set[int]:
    return {o.id for o in snapshot.open_orders}


def _exchange_open_ids(server: Any) -> set[int]:
    rows = server.exchange.orders(server.account_id)
    return {int(r["id"]) for r in rows if r["status"] in ("OPEN", "PENDING", "PARTIAL_FILLED")}


async def test_place_cancel_and_replace_show_in_the_snapshot_at_once(
        sim_server: Any, tmp_path: Path) -> None:
    session = await _started(sim_server, tmp_path)
    try:
        assert isinstance(session, ActionPort)
        low = sim_server.exchange.last_price("BTC_USDT") * Decimal("0.8")
        placed = await session.place_order(_bid(f"{low:.2f}"))
        assert placed.placed, placed.message
        oid = placed.order_ids[0]
        assert oid in _exchange_open_ids(sim_server)
        assert oid in _open_ids(session.account.snapshot)  # no poll needed

        moved = await session.replace(placed.orders[0], Decimal(f"{low:.2f}") - 1)
        assert moved.replaced, moved.message
        new_id = moved.place.order_ids[0]  # type: ignore[union-attr]
        assert _exchange_open_ids(sim_server) >= {new_id} and oid not in _exchange_open_ids(
            sim_server)
        assert new_id in _open_ids(session.account.snapshot)
        assert oid not in _open_ids(session.account.snapshot)

        cancelled = await session.cancel([new_id], pair="BTC_USDT")
        assert cancelled.cancelled_ids == [new_id]
        assert new_id not in _exchange_open_ids(sim_server)
        assert new_id not in _open_ids(session.account.snapshot)  # right after, no poll
        # the re-read the action asked for agrees (and does not bring it back)
        orders = session.feed.pollers["orders"]  # type: ignore[union-attr]
        asked = orders.requests
        await until(lambda: orders.requests > asked and not orders.in_flight)
        assert new_id not in _open_ids(session.account.snapshot)
    finally:
        await session.aclose()


async def test_cancel_a_pair_and_all(sim_server: Any, tmp_path: Path) -> None:
    session = await _started(sim_server, tmp_path)
    try:
        low = sim_server.exchange.last_price("BTC_USDT") * Decimal("0.8")
        ids = [(await session.place_order(_bid(f"{low - i:.2f}"))).order_ids[0]
               for i in range(3)]
        assert set(ids) <= _open_ids(session.account.snapshot)
        pair = await session.cancel(ids[:2], pair="BTC_USDT", scope="pair")
        assert pair.outcome is Outcome.DONE
        assert set(ids) & _exchange_open_ids(sim_server) == set()  # the pair's: all three
        assert set(ids) & _open_ids(session.account.snapshot) == set()
        again = (await session.place_order(_bid(f"{low:.2f}"))).order_ids[0]
        everything = await session.cancel([again], scope="all")
        assert again in everything.cancelled_ids
        assert again not in _open_ids(session.account.snapshot)
    finally:
        await session.aclose()


async def test_borrow_repay_and_transfer_reach_the_snapshot_without_a_poll_cycle(
        sim_server: Any, tmp_path: Path) -> None:
    session = await _started(sim_server, tmp_path)
    try:
        moved = await session.transfer(TransferRequest(CROSS, MarginDirection.ADD,
                                                       Decimal(1000), "USDT"))
        assert moved.summary.startswith("Transferred")
        await until(lambda: any(
            b.wallet_type is WalletType.CROSS_MARGIN and b.currency == "USDT"
            and b.balance == 1000 for b in session.account.snapshot.balances), timeout=10)

        borrowed = await session.borrow(LoanRequest(CROSS, Decimal(500), "USDT"))
        assert borrowed.summary.startswith("Borrowed")
        assert sim_server.exchange.loans(sim_server.account_id, cross_margin=True)
        await until(lambda: session.account.snapshot.worst is not None, timeout=10)
        snap = session.account.snapshot
        assert sum(x.borrowed for x in snap.loans) == 500
        assert snap.worst is not None and snap.worst.level == Decimal(3)  # 1,500 / 500
        assert snap.debt == 500

        await session.repay(LoanRequest(CROSS, Decimal(500), "USDT"))
        await until(lambda: not session.account.snapshot.loans, timeout=10)
        assert session.account.snapshot.worst is None
    finally:
        await session.aclose()


async def test_close_position_and_margin_refusals(sim_server: Any, tmp_path: Path) -> None:
    session = await _started(sim_server, tmp_path)
    try:
        await session.transfer(TransferRequest(CROSS, MarginDirection.ADD, Decimal(1000),
                                               "USDT"))
        await session.borrow(LoanRequest(CROSS, Decimal(200), "USDT"))
        await until(lambda: bool(session.account.snapshot.loans), timeout=10)
        closed = await session.close_position(WalletType.CROSS_MARGIN)
        assert closed.summary == "Closed the cross position."
        assert not sim_server.exchange.loans(sim_server.account_id, cross_margin=True)
        await until(lambda: not session.account.snapshot.loans, timeout=10)
        # refused before sending: more than the wallet holds
        try:
            await session.transfer(TransferRequest(CROSS, MarginDirection.SUB,
                                                   Decimal(10**9), "USDT"))
        except MarginRequestError as exc:
            assert "available" in str(exc)
        else:
            raise AssertionError("a transfer of more than held was sent")
    finally:
        await session.aclose()


async def test_withdraw_goes_through_the_session(sim_server: Any, tmp_path: Path) -> None:
    session = await _started(sim_server, tmp_path)
    try:
        assert session.trading is not None
        methods = await session.trading.withdraw_methods("USDT")
        method = next(m for m in methods if m.network == "TRC20")
        def held() -> Decimal:  # the exchange holds the amount and fee until sent
            return next(b.reserve for b in session.account.snapshot.balances
                        if b.currency == "USDT" and b.wallet_type is WalletType.SPOT)

        before = held()
        result = await session.withdraw(method, Decimal(100), {"address": TRC20_ADDRESS})
        assert result.outcome is Outcome.DONE, result.message
        await until(lambda: held() >= before + 100, timeout=10)
    finally:
        await session.aclose()


async def test_without_keys_an_action_is_refused_in_a_sentence(tmp_path: Path) -> None:
    session = Session(Config(), lambda: None, has_credentials=False)
    result = await session.cancel([1])
    assert result.outcome is Outcome.REJECTED and "API key" in result.message
    placed = await session.place_order(_bid("1"))
    assert not placed.placed
    try:
        await session.borrow(LoanRequest(CROSS, Decimal(1), "USDT"))
    except MarginRequestError as exc:
        assert "Margin permission" in str(exc)
    else:
        raise AssertionError("a borrow without keys was sent")


def test_an_answer_sent_before_the_action_does_not_undo_it() -> None:
    from alp_tui.api.models import Order
    from alp_tui.services.trading import AccountChange
    from alp_tui.session import AccountState

    def order(oid: int) -> Order:
        return Order(id=oid, pair="BTC_USDT", amount=Decimal(1), price=Decimal(100),
                     side="BID", status="OPEN", type="LIMIT", amount_filled=Decimal(0))

    state = AccountState()
    state.set_open_orders([order(1)], now=0.0)
    state.apply_change(AccountChange("cancel", "BTC_USDT", (), (1,)), now=1.0)
    state.apply_change(AccountChange("place", "BTC_USDT", (order(2),)), now=1.0)
    assert [o.id for o in state.open_orders] == [2]
    state.set_open_orders([order(1)], now=2.0)  # a poll sent before both actions
    assert [o.id for o in state.open_orders] == [2]
    state.set_open_orders([order(2)], now=3.0)  # the exchange agrees: the holds end
    state.set_open_orders([order(1)], now=4.0)  # (a later answer is the truth again)
    assert [o.id for o in state.open_orders] == [1]
