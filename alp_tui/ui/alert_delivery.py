"""Alerts from the session, delivered on screen: a toast, the bell, a banner that stays.

Whatever tab is open: the session raises alerts whether or not a pane shows their data,
and this puts them on the dashboard screen. Margin alerts and every danger alert
(liquidation near, private stream lost) also go to an :class:`AlertBanner` that stays
until dismissed. The bell rings when ``[alerts] bell`` is on (margin alerts also follow
``[margin] alert_bell``). A calm stream alert says the private stream is back: a toast,
no bell, and the banner takes back its "lost" line. The alert log itself is
``session.alert_log``.
"""

from __future__ import annotations

from typing import Any

from alp_tui.session import AlertFired, AlertKind
from alp_tui.ui.widgets.alert_banner import AlertBanner

# The app is typed Any here: ui.app imports this module, so no import back (acyclic).
AlpApp = Any

TITLES = {AlertKind.PRICE: "Price alert", AlertKind.MARGIN: "Margin alert",
          AlertKind.LIQUIDATION: "Liquidation risk", AlertKind.FILL: "Order filled",
          AlertKind.STREAM: "Stream lost"}
BANNER_ID = "margin-alert-banner"  # the id the margin pane's banner always had
MARGIN_HINT = "click to dismiss (or press a on the Margin pane)"  # a tab or the strip


class AlertDelivery:
    """Shows the session's alerts on the app's main screen."""

    def __init__(self, app: AlpApp) -> None:
        self.app = app
        self.delivered = 0
        self._stream_lost: set[str] = set()  # "lost" lines on the banner

    def deliver(self, alert: AlertFired) -> None:
        """Toast, bell, and the banner for margin and danger alerts."""
        app = self.app
        if not app.screen_stack:
            return  # shutting down
        self.delivered += 1
        config = app.config
        if alert.kind is AlertKind.STREAM and not alert.danger:  # back: the danger is over
            app.notify(alert.text, title="Stream back", severity="information", timeout=8)
            if self._stream_lost:
                self.banner().withdraw(self._stream_lost)
                self._stream_lost.clear()
            return
        severity = "error" if alert.danger else (
            "information" if alert.kind is AlertKind.FILL else "warning")
        app.notify(alert.text, title=TITLES.get(alert.kind, "Alert"), severity=severity,
                   timeout=20 if alert.danger else 8)
        bell = config.alerts.bell
        if alert.kind is AlertKind.MARGIN:
            bell = bell and config.margin.alert_bell
        if bell:
            app.bell()
        if alert.danger or alert.kind is AlertKind.MARGIN:
            # `a` dismisses from the Margin tab: only the margin alerts mention it
            hint = MARGIN_HINT if alert.kind in (AlertKind.MARGIN, AlertKind.LIQUIDATION) else None
            self.banner().push(alert.text, danger=alert.danger, at=alert.at, hint=hint)
            if alert.kind is AlertKind.STREAM:
                self._stream_lost.add(alert.text)

    def banner(self) -> AlertBanner:
        """The dashboard screen's alert banner, mounted at its top if missing."""
        screen = self.app.main
        found = screen.query(AlertBanner)
        if found:
            return found.first(AlertBanner)
        banner = AlertBanner(id=BANNER_ID, hint="click to dismiss")
        screen.mount(banner)
        return banner
