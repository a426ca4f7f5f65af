"""Parameters every endpoint shares: one bounded page, finite numbers, and PATCH bodies.

- `Page` (and its shorter and longer kinds) is the only way a list endpoint takes `limit` and
  `offset`: out of bounds is a 400 naming the field, never an unclamped slice or an integer the
  database cannot hold.
- `Finite` is the only float type of a request: `inf`, `nan` and numbers that overflow to them
  are refused (pydantic accepts them by default).
- `changes_of` turns a PATCH body into changes, refusing null for a field that cannot be empty.
"""

from typing import Annotated, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from ninja import Field, Schema

from gridgov.core.paging import MAX_OFFSET

Finite = Annotated[float, Field(allow_inf_nan=False)]

NULL_MESSAGE = "不能为 null（要清空文字请发送空字符串）"


class Page(Schema):
    """`limit` rows from `offset`: 50 by default, at most 200."""

    limit: int = Field(50, ge=1, le=200, description="rows in this page (1–200)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"rows to skip (0–{MAX_OFFSET})")


class ShortPage(Page):
    """Lists of heavy rows (events, disputes): 20 by default, at most 100."""

    limit: int = Field(20, ge=1, le=100, description="rows in this page (1–100)")


class LongPage(Page):
    """Lists of light rows (hierarchy nodes): 100 by default, at most 1000."""

    limit: int = Field(100, ge=1, le=1000, description="rows in this page (1–1000)")


def changes_of(body: Schema, model: type[models.Model]) -> dict[str, Any]:
    """The fields a PATCH body sent; null for a field the model cannot leave empty is refused.

    Every PATCH schema makes its fields optional (`X | None = None`) so that "not sent" can be
    told from "sent"; null itself is then only meaningful for a nullable column.
    """
    changes = body.dict(exclude_unset=True)
    errors = {
        name: NULL_MESSAGE
        for name, value in changes.items()
        if value is None and name != "version" and not _nullable(model, name)
    }
    if errors:
        raise ValidationError(errors)
    return changes


def _nullable(model: type[models.Model], name: str) -> bool:
    for candidate in (name, name.removesuffix("_id")):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        return bool(getattr(field, "null", False))
    return False
