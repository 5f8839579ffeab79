"""Margin endpoints of the ALP.COM v3 API: transfers between spot and margin, borrow,
repay, close a position, open loans, and the margin histories (the key needs the
"Margin" flag)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alp_tui.api.client_account import AccountEndpoints
from alp_tui.api.enums import LoanType, MarginDirection, WalletType
from alp_tui.api.errors import RequestError
from alp_tui.api.models import Borrow, Interest, Liquidation, Loan, MarginTransfer, Repay
from alp_tui.api.transport import (
    time_window,
    to_currency,
    to_enum,
    to_money,
    to_opt_bool,
    to_pair,
)


class MarginEndpoints(AccountEndpoints):
    """The /margin endpoints; writes resolve the account id through the account group."""

    async def _post_for_id(self, path: str, body: dict[str, Any], account_id: int | None,
                           what: str) -> int:
        """POST a margin body whose other fields are checked already: the account id is
        resolved only now (so bad input costs no request) into the slot the body keeps for
        it, and the answer's one operation id is returned."""
        body["account_id"] = await self._resolve_account(account_id)
        data = await self._request("POST", path, body=body, private=True)
        return self._one_id(data, "POST", path, what)


    @staticmethod
    def _margin_wallet(wallet_type: Any, pair: str | None) -> tuple[WalletType, str | None]:
        wallet = to_enum(WalletType, wallet_type, "wallet_type")
        if not wallet.is_margin:
            raise RequestError(
                f"wallet_type must be CROSS_MARGIN or ISOLATED_MARGIN; got {wallet.value}.",
                field="wallet_type",
            )
        if wallet is WalletType.ISOLATED_MARGIN and pair is None:
            raise RequestError("An ISOLATED_MARGIN wallet needs its pair.", field="pair")
        return wallet, None if pair is None else to_pair(pair)

    async def margin_transfer(self, wallet_type: WalletType | str,
                              direction: MarginDirection | str, amount: Decimal | str | int,
                              currency: str, pair: str | None = None, note: str | None = None,
                              account_id: int | None = None) -> int:
        """POST /margin/transfer (ADD: spot → margin, SUB: back); returns the transfer id."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": None,
            "wallet_type": wallet,
            "direction": to_enum(MarginDirection, direction, "direction"),
            "amount": to_money(amount, "amount"),
            "currency": to_currency(currency),
            "pair": wire_pair,
            "note": None if note is None else str(note),
        }
        return await self._post_for_id("/margin/transfer", body, account_id, "transfer")

    async def borrow(self, amount: Decimal | str | int, currency: str,
                     wallet_type: WalletType | str, pair: str | None = None,
                     loan_type: LoanType | str = "LOAN_MANUAL",
                     account_id: int | None = None) -> int:
        """POST /margin/borrow (wire field ``borrow`` holds the amount); returns its id."""
        body = self._loan_body("borrow", amount, currency, wallet_type, pair, loan_type)
        return await self._post_for_id("/margin/borrow", body, account_id, "borrow")

    async def repay(self, amount: Decimal | str | int, currency: str,
                    wallet_type: WalletType | str, pair: str | None = None,
                    loan_type: LoanType | str = "LOAN_MANUAL",
                    account_id: int | None = None) -> int:
        """POST /margin/repay (wire answers ``[id]``); returns the repay id."""
        body = self._loan_body("amount", amount, currency, wallet_type, pair, loan_type)
        return await self._post_for_id("/margin/repay", body, account_id, "repay")

    def _loan_body(self, amount_field: str, amount: Decimal | str | int, currency: str,
                   wallet_type: WalletType | str, pair: str | None,
                   loan_type: LoanType | str) -> dict[str, Any]:
        """The body borrow and repay share; only the amount's wire field differs."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        return {
            "account_id": None,
            amount_field: to_money(amount, "amount"),
            "currency": to_currency(currency),
            "wallet_type": wallet,
            "pair": wire_pair,
            "type": to_enum(LoanType, loan_type, "loan_type"),
        }

    async def close_position(self, wallet_type: WalletType | str, pair: str | None = None,
                             account_id: int | None = None) -> Any:
        """DELETE /margin: close a margin position; returns whatever the server answered."""
        wallet, wire_pair = self._margin_wallet(wallet_type, pair)
        body = {
            "account_id": await self._resolve_account(account_id),
            "wallet_type": wallet,
            "pair": wire_pair,
        }
        return await self._request("DELETE", "/margin", body=body, private=True,
                                   allow_empty=True)

    async def loans(self, isolated_margin: bool | None = None,
                    cross_margin: bool | None = None) -> list[Loan]:
        """GET /margin: open loans. With neither flag given both kinds are asked for.

        The reference wants one of the flags set ("rather isolated_margin or cross_margin")
        and the official client refuses both at once, so both kinds are two requests.
        """
        iso = to_opt_bool(isolated_margin, "isolated_margin")
        cross = to_opt_bool(cross_margin, "cross_margin")
        if iso is None and cross is None:
            iso = cross = True
        if not iso and not cross:
            raise RequestError("loans() needs isolated_margin=True or cross_margin=True.",
                               field="isolated_margin")
        loans: list[Loan] = []
        if cross:
            loans += await self._get(list[Loan], "/margin", {"cross_margin": True},
                                     private=True)
        if iso:
            loans += await self._get(list[Loan], "/margin", {"isolated_margin": True},
                                     private=True)
        return loans

    async def _margin_history(self, tp: Any, path: str, pair: str | None,
                              currency: str | None, start_time: Any, end_time: Any,
                              open_only: bool | None = None) -> Any:
        start, end = time_window(start_time, end_time)
        params = {
            "pair": None if pair is None else to_pair(pair),
            "currency": None if currency is None else to_currency(currency),
            "open_only": to_opt_bool(open_only, "open_only"),
            "start_time": start,
            "end_time": end,
        }
        return await self._get(tp, path, params, private=True)

    async def margin_transfers(self, pair: str | None = None, currency: str | None = None,
                               start_time: Any = None, end_time: Any = None,
                               open_only: bool | None = None) -> list[MarginTransfer]:
        """GET /margin/transfer: transfer history."""
        return await self._margin_history(list[MarginTransfer], "/margin/transfer", pair,
                                          currency, start_time, end_time, open_only)

    async def borrows(self, pair: str | None = None, currency: str | None = None,
                      start_time: Any = None, end_time: Any = None,
                      open_only: bool | None = None) -> list[Borrow]:
        """GET /margin/borrow: borrow history."""
        return await self._margin_history(list[Borrow], "/margin/borrow", pair, currency,
                                          start_time, end_time, open_only)

    async def repays(self, pair: str | None = None, currency: str | None = None,
                     start_time: Any = None, end_time: Any = None) -> list[Repay]:
        """GET /margin/repay: repayment history."""
        return await self._margin_history(list[Repay], "/margin/repay", pair, currency,
                                          start_time, end_time)

    async def interests(self, pair: str | None = None, currency: str | None = None,
                        start_time: Any = None, end_time: Any = None) -> list[Interest]:
        """GET /margin/interest: interest history."""
        return await self._margin_history(list[Interest], "/margin/interest", pair, currency,
                                          start_time, end_time)

    async def liquidations(self, pair: str | None = None, currency: str | None = None,
                           start_time: Any = None, end_time: Any = None,
                           open_only: bool | None = None) -> list[Liquidation]:
        """GET /margin/liquidation: liquidation history."""
        return await self._margin_history(list[Liquidation], "/margin/liquidation", pair,
                                          currency, start_time, end_time, open_only)

