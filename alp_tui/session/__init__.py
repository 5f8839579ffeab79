"""The session: one headless core that watches the account all day (issue #12).

Never imports textual. A :class:`Session` owns the API client, the feed (pollers and
stream), one market, trading and margin service each, the account state, the alert engine
and the error log. The UI only shows what it publishes and asks it to act.

Topics
    *Watched* topics — ``balances``, ``orders``, ``margin`` (loans and margin levels) and
    ``fills`` — are always fed: by the stream where it delivers, else polled whether or not
    a pane shows them (slower while hidden: margin 15 s, orders and balances 10 s, see
    :mod:`alp_tui.session.watch`), and at once after any action (:meth:`Session.after_action`).
    *Shown* topics — ``orderbook``, ``trades``, ``chart``, ``history`` — are polled only
    while on screen: the UI says which with :meth:`Session.show`. ``tickers`` always run.

Subscribing
    ``unsubscribe = session.subscribe(listener)`` calls ``listener(event)`` on the event
    loop for every event (keep the listener quick: a Textual app posts a message), or
    ``async for event in session.events(): ...``. Events are frozen dataclasses
    (:mod:`alp_tui.session.events`):

    - :class:`TopicData` ``(topic, params, data)`` — a topic's new data, the objects the
      panes have always taken (``margin`` carries a :class:`MarginSnapshot` made of the
      latest loans, balances and prices);
    - :class:`TopicStateChanged` ``(topic, state)`` — freshness for the pane status lines;
    - :class:`ConnectionChanged` ``(badge)`` — STREAM / STREAM·POLL / POLLING / OFFLINE;
    - :class:`AccountSnapshot` — balances, open orders, loans, margin level and band per
      wallet (``levels``, ``worst``), positions, ``net_equity`` (assets − debt in
      ``quote``), ``debt``, and ``liquidation`` distances for the selected pair; published
      after every account topic and when prices move it;
    - :class:`FillEvent` — one of the user's orders filled (``partial``, ``average_price``);
    - :class:`AlertFired` ``(kind, text, pair, danger)`` — price, margin, liquidation,
      fill and stream alerts (``danger``: a banner that stays);
    - :class:`Notice` — a one-off sentence for a toast.

    The latest account state is also at ``session.account.snapshot`` (for a screen that
    opens later), the error log at ``session.errors``, prices at ``session.market``.

Alerts
    ``session.alerts`` (:class:`AlertEngine`) decides; every :class:`AlertFired` is also
    kept in ``session.alert_log`` and handed to the ``[alerts] command``
    (:mod:`alp_tui.session.alert_command`). ``await session.add_price_alert(PriceRule(...))``
    / ``remove_price_alert`` change the price alerts and save them to the config file.
    Ringing the bell (``config.alerts.bell``), toasts and banners are the UI's part.

Acting
    ``session.set_params(pair=..., interval=..., grouped=...)``, ``session.refresh_now()``,
    ``session.retry_auth()``. The trader's actions are session methods
    (:class:`~alp_tui.session.actions.ActionPort`, the UI is handed that): ``place_order``,
    ``cancel`` (ids, a pair's, all), ``replace``, ``borrow``, ``repay``, ``transfer``,
    ``close_position``, ``withdraw``. Each calls the one trading or margin service
    (``session.trading`` / ``session.margin``, None without keys: the action is refused),
    puts the orders it placed or removed in the account snapshot at once and re-reads the
    watched topics now (:meth:`Session.after_action`).
"""

from __future__ import annotations

from alp_tui.session.account import AccountState
from alp_tui.session.actions import ActionPort
from alp_tui.session.alerts import AlertEngine, PriceRule
from alp_tui.session.core import Session
from alp_tui.session.events import (
    AccountSnapshot,
    AlertFired,
    AlertKind,
    ConnectionChanged,
    FillEvent,
    Notice,
    SessionEvent,
    TopicData,
    TopicStateChanged,
    WalletLevel,
)
from alp_tui.session.watch import HIDDEN_INTERVALS, WATCHED

__all__ = [
    "HIDDEN_INTERVALS",
    "WATCHED",
    "AccountSnapshot",
    "AccountState",
    "ActionPort",
    "AlertEngine",
    "AlertFired",
    "AlertKind",
    "ConnectionChanged",
    "FillEvent",
    "Notice",
    "PriceRule",
    "Session",
    "SessionEvent",
    "TopicData",
    "TopicStateChanged",
    "WalletLevel",
]
