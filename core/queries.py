"""ORM queries compiled once for hot paths, where building the SQL costs more than running it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


class CompiledQuery(Generic[M]):
    """A queryset built once from example values, compiled to SQL, and run again with other values
    in the same places. Examples must be distinct strings that appear nowhere else in the query.

    >>> by_hash = CompiledQuery(lambda digest: Household.objects.filter(head_id_hash=digest), digest="\\0d")
    >>> by_hash.run(digest=blind_index(number))
    """

    def __init__(self, build: Callable[..., models.QuerySet[M]], **examples: str) -> None:
        self.build = build
        self.examples = examples
        self.compiled: dict[str, tuple[type[M], str, list[tuple[str | None, Any]]]] = {}

    def run(self, **values: Any) -> list[M]:
        compiled = self.compiled.get(connection.vendor)
        if compiled is None:
            qs = self.build(**self.examples)
            sql, params = qs.query.sql_with_params()
            slot_of = {example: name for name, example in self.examples.items()}
            slots = [(slot_of.get(p) if isinstance(p, str) else None, p) for p in params]
            if {s for s, _ in slots if s} != set(self.examples):
                raise ValueError("CompiledQuery: an example value is missing from the compiled query")
            compiled = self.compiled[connection.vendor] = (qs.model, sql, slots)
        model, sql, slots = compiled
        return list(model._default_manager.raw(sql, [values[slot] if slot else p for slot, p in slots]))
