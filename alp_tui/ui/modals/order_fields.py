"""The order form's fields: one labelled row each, and their values: read them into a
:class:`FormInput`, fill them from one, clear what was typed. Kept apart from the form's
behaviour (open, validate, send) so each stays small."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.widgets import Input, Label, Select, Static

from alp_tui.services.order_draft import AMOUNT, PRICE, STOP_PRICE, FormInput
from alp_tui.ui.modals.form_parts import hidden

SELECT_FIELDS = ("side", "order_type", "amount_in", "stop_operator", "tif", "wallet_type",
                 "side_effect")
INPUT_FIELDS = (AMOUNT, PRICE, STOP_PRICE)


def field_row(name: str, label: str, widget: Input | Select, *,
              shown: bool = True) -> ComposeResult:
    """One labelled field (``#row-<name>``) with its error line under it
    (``#<name>-error``); a field the order type does not need is hidden, not removed."""
    row = Vertical(id=f"row-{name}", classes="field")
    row.display = shown
    with row:
        with Horizontal(classes="field-line"):
            yield Label(label, classes="field-label")
            yield widget
        yield hidden(Static(id=f"{name}-error", classes="field-error"))


def read_form(form: DOMNode) -> FormInput:
    """The current raw values of ``form``'s fields (a blank Select reads as ``""``)."""
    values: dict[str, str] = {}
    for name in SELECT_FIELDS:
        value = form.query_one(f"#{name}", Select).value
        values[name] = "" if value is Select.NULL else str(value)
    for name in INPUT_FIELDS:
        values[name] = form.query_one(f"#{name}", Input).value
    return FormInput(**values)


def fill_form(form: DOMNode, values: FormInput) -> None:
    """Set every field of ``form`` to ``values``."""
    for name in SELECT_FIELDS:
        form.query_one(f"#{name}", Select).value = getattr(values, name)
    for name in INPUT_FIELDS:
        form.query_one(f"#{name}", Input).value = getattr(values, name)


def clear_inputs(form: DOMNode) -> None:
    """Empty the typed fields (amount, price, stop price)."""
    for name in INPUT_FIELDS:
        form.query_one(f"#{name}", Input).value = ""


def has_typed(values: FormInput, prefilled: str) -> bool:
    """True when something in ``values`` was typed (``prefilled``, the price the form put
    in itself, is not typed)."""
    return bool(values.amount.strip() or values.stop_price.strip()
                or values.price.strip() not in ("", prefilled))
