"""`path__under=P`: the row's hierarchy path starts with P (the node itself or anything below it).

Paths are fixed-width digit strings, so a prefix match is exact. It is written so that both
databases use the path index: GLOB on SQLite (LIKE there is case-insensitive and skips a
BINARY index), LIKE on PostgreSQL (Django adds a varchar_pattern_ops index to indexed
CharFields).
"""

from typing import Any

from django.db import models
from django.db.models import Lookup


class PathField(models.CharField[str, str]):
    """A materialized hierarchy path: the concatenated codes of a node's ancestors and itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, **kwargs)


@PathField.register_lookup
class Under(Lookup[str]):
    lookup_name = "under"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        prefix = str(value)
        if not prefix.isdigit():
            raise ValueError(f"hierarchy path must be digits, got {prefix!r}")
        wildcard = "*" if connection.vendor == "sqlite" else "%"
        return ("%s", [prefix + wildcard])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "GLOB" if connection.vendor == "sqlite" else "LIKE"
        return f"{lhs} {operator} {rhs}", [*lhs_params, *rhs_params]
