"""Small portable SQL expressions with a spelling per database."""

from __future__ import annotations

from typing import Any

from django.db import models


class GroupConcat(models.Aggregate):
    """Comma-joined values of a group: string_agg on PostgreSQL, group_concat on SQLite."""

    function = "GROUP_CONCAT"
    output_field = models.TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s, ',')",
                           **extra)  # fmt: skip
