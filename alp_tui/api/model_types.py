"""The building blocks of the response models (:mod:`alp_tui.api.models`): the field types
every model shares (pair names, money, times) and :class:`ApiModel`, the base that keeps
unknown fields and reads a Go-style ``null`` as a field left out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from alp_tui.api.enums import normalize_pair


def _pair(value: Any) -> Any:
    return normalize_pair(value) if isinstance(value, str) else value


def blank_is_none(value: Any) -> Any:
    """A blank string ("") read as null."""
    return None if value == "" else value


def _money(value: Any) -> Any:
    # Floats reaching here come from callers that built dicts by hand; go through repr so
    # 0.1 stays 0.1 rather than its binary expansion.
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _int_seconds(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal | float) else value


Pair = Annotated[str, BeforeValidator(_pair)]
UnixSeconds = Annotated[int, BeforeValidator(_int_seconds)]
Money = Annotated[Decimal, BeforeValidator(_money)]
OptMoney = Annotated[Decimal | None, BeforeValidator(blank_is_none), BeforeValidator(_money)]


def _utc_if_naive(value: Any) -> Any:
    # The reference writes every time with a zone; one without means UTC, and a naive
    # datetime would raise the first time it met the app's aware ones.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Time = Annotated[datetime, AfterValidator(_utc_if_naive)]
OptTime = Annotated[datetime | None, BeforeValidator(blank_is_none),
                    AfterValidator(_utc_if_naive)]


class ApiModel(BaseModel):
    """Base of every response model: extra fields kept, names or aliases accepted.

    An explicit ``null`` in a field that has a non-null default reads as the field left
    out: a Go server writes an empty (nil) list as ``null``, and the official client's
    models take a null in such a field as "not given".
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    _null_means_default: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._null_means_default = frozenset(
            name for name, field in cls.model_fields.items()
            if not field.is_required()
            and (field.default is not None or field.default_factory is not None)
        )

    @model_validator(mode="before")
    @classmethod
    def _drop_null_defaults(cls, data: Any) -> Any:
        names = cls._null_means_default
        if names and isinstance(data, dict) and any(
                data.get(name, 0) is None for name in names):
            return {k: v for k, v in data.items() if not (v is None and k in names)}
        return data
