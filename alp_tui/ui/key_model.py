"""One key model for the dashboard: what ``q``, ``5`` and the user's ``[keys]`` do, and the
theme kept across sessions.

- ``q`` asks first while orders are open or an order form holds typed input (``ctrl+q``,
  Textual's own binding, quits at once); with nothing at stake it quits.
- ``5`` focuses the open account tab's table (pressed again there: the next tab).
- ``[keys]`` in the config maps binding ids to keys (``"app.quick_order" = "ctrl+o"``)
  through Textual's :meth:`~textual.app.App.set_keymap`; an unknown id is named in a
  notification rather than silently ignored.
- The theme chosen (palette or ``ctrl+p``) is saved to ``[dashboard] theme``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.keys import format_key
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Input, TabbedContent, TabPane

from alp_tui.config import save_theme

QUIT_BINDING = Binding("q", "request_quit", "Quit", id="app.quit",
                       tooltip="Leave the dashboard (asks first while orders are open or a "
                               "form has input; ctrl+q quits at once)")


def key_label(keys: str) -> str:
    """``plus,equals_sign`` → ``+ =``: the keys of a binding as a trader reads them."""
    return " ".join(format_key(k.strip()) for k in keys.split(",") if k.strip())


def binding_keys(app: Any, binding: Binding) -> str:
    """The keys that run ``binding`` now: the user's ``[keys]`` entry if it has one."""
    keymap = getattr(app, "_keymap", {}) or {}
    return str(keymap.get(binding.id, binding.key)) if binding.id else binding.key


def all_binding_ids(app: Any) -> set[str]:
    """Every binding id of the app, its screens' widgets and the modals (for ``[keys]``)."""
    from alp_tui.ui.modals import (
        borrow,
        confirm,
        margin_form,
        order_form,
        quick_order,
        repay,
        withdraw,
    )

    ids: set[str] = set()
    nodes: list[Any] = [app, *app.main.query("*")]
    classes = [type(n) for n in nodes] + [
        confirm.ConfirmModal, order_form.OrderFormModal, quick_order.QuickOrderModal,
        withdraw.WithdrawModal, margin_form.MarginFormModal, borrow.BorrowModal,
        repay.RepayModal,
    ]
    for cls in classes:
        for base in getattr(cls, "__mro__", ()):
            for binding in base.__dict__.get("BINDINGS", ()) or ():
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids


def apply_keymap(app: Any) -> None:
    """The ``[keys]`` of the config, through :meth:`App.set_keymap`."""
    keymap = dict(getattr(getattr(app, "config", None), "keys", None) or {})
    if not keymap:
        return
    unknown = sorted(set(keymap) - all_binding_ids(app))
    app.set_keymap({k: v for k, v in keymap.items() if k not in unknown})
    if unknown:
        app.notify(f"[keys] names no such binding: {', '.join(unknown)} (see the help, ?)",
                   severity="warning", timeout=10)


def keep_theme(app: Any) -> None:
    """Save the theme to the config whenever it changes (not in a session without a file)."""

    def changed(theme: Any) -> None:
        name = getattr(theme, "name", theme)
        config = getattr(app, "config", None)
        if config is None or config.dashboard.theme == name:
            return  # the theme the config already names (the start): nothing to write
        config.dashboard.theme = name
        path = getattr(app, "config_path", None)
        if path is not None:
            app.run_worker(lambda: _save_theme(app, path, name), thread=True,
                           group="config-theme", exclusive=True, exit_on_error=False)

    app.theme_changed_signal.subscribe(app, changed)


def _save_theme(app: Any, path: Any, name: str) -> None:
    try:
        save_theme(path, name)
    except Exception as exc:  # a read-only config must not take the app down
        app.call_from_thread(app.notify, f"Could not save the theme: {exc}", severity="error")


def _typed_forms(app: Any) -> list[Any]:
    """Open order / withdraw / margin forms with something typed into them (a form that
    tells, as the order form does, what is prefilled rather than typed)."""
    found = []
    for screen in app.screen_stack[1:]:
        typed = getattr(screen, "has_typed_input", None)
        if callable(typed):
            if typed():
                found.append(screen)
        elif any(isinstance(w, Input) and w.value.strip() and w.id != "quick-line"
                 for w in screen.query(Input)):
            found.append(screen)
    return found


def open_order_count(app: Any) -> int:
    """Open orders of the account, all pairs: the session's watch, current whether or not
    a pane shows them (a hidden pane's copy can lag behind)."""
    return len(app.session.account.open_orders)


def request_quit(app: Any) -> None:
    """``q``: quit, or ask first when there is something at stake."""
    from alp_tui.ui.modals.confirm import ConfirmModal

    orders = open_order_count(app)
    forms = _typed_forms(app)
    if not orders and not forms:
        app.exit()
        return
    body = Text()
    if orders:
        one = orders == 1
        body.append(f"{orders} open order{'' if one else 's'}", style="bold")
        body.append(f" {'stays' if one else 'stay'} on the exchange and can fill while the "
                    "dashboard is closed.\n")
    if forms:
        body.append("A form has typed input that will be lost.\n", style="bold")
    body.append("\nctrl+q quits without asking.", style="dim")
    app.push_screen(ConfirmModal("Quit alp-tui?", body, confirm_label="Quit", tone="danger"),
                    lambda ok: app.exit() if ok else None)


def shown(widget: Widget) -> bool:
    """True when ``widget`` and every container above it are displayed (an inactive tab's
    pane, a hidden strip's pane are not)."""
    node: Any = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def shown_first(widgets: list[Any]) -> list[Any]:
    """``widgets`` with the ones on screen first (a pane shown twice: strip and tab)."""
    return sorted(widgets, key=lambda w: not shown(w))


def _account_stops(app: Any) -> list[tuple[Widget, str | None]]:
    """Where ``5`` goes, in order: each account pane in view (the strip's), then every tab
    (with the tab id to open first)."""
    stops: list[tuple[Widget, str | None]] = []
    strip = app.main.query("#account-strip")
    if strip and shown(strip.first()):
        stops += [(pane, None) for pane in strip.first().children if shown(pane)]
    tabs = app.main.query_one("#account-tabs", TabbedContent)
    for pane in tabs.get_child_by_type(ContentSwitcher).children:  # not nested tabs'
        if isinstance(pane, TabPane) and pane.id and tabs.get_tab(pane.id).display:
            stops.append((pane, pane.id))
    return stops


def _table_in(widget: Widget) -> Widget | None:
    """The pane's table (its first focusable widget when it has none)."""
    focusable = [w for w in widget.query("*") if w.focusable]
    return next((w for w in focusable if isinstance(w, DataTable)),
                focusable[0] if focusable else None)


def account_focus_target(app: Any) -> Widget | None:
    """``5``: the first account pane's table; pressed again there, the next pane's (the
    strip's panes in view, then each tab), never the tab strip."""
    stops = _account_stops(app)
    if not stops:
        return None
    focused = app.focused
    index = next((i for i, (w, _t) in enumerate(stops)
                  if focused is not None and w in focused.ancestors_with_self), None)
    tabs = app.main.query_one("#account-tabs", TabbedContent)
    if index is not None:
        widget, tab_id = stops[(index + 1) % len(stops)]
    else:  # from elsewhere: the strip's first pane, else the open tab
        widget, tab_id = next((stop for stop in stops if stop[1] is None
                               or stop[1] == tabs.active), stops[0])
    if tab_id is not None and tabs.active != tab_id:
        tabs.active = tab_id
        app.call_after_refresh(lambda: _focus(_table_in(widget)))
        return None
    return _table_in(widget)


def _focus(widget: Widget | None) -> None:
    if widget is not None:
        widget.focus()


def help_title(pane: Any) -> str:
    """A pane's name in words: its title, else its class name spelled out."""
    title = getattr(pane, "border_title", None) or getattr(pane, "title", None)
    if isinstance(title, str) and title.strip():
        return title.strip()
    name = type(pane).__name__.removesuffix("Pane")
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:]
