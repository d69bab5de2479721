"""A declared state machine: one per workflow (renovation cases, fund batches, inspection campaigns).

A workflow module declares its `Machine`: the states with their Chinese labels, the initial and final
states, and the steps, each with the states it may leave from, the state it reaches, its guards (each
returns the reason in Chinese why the step may not be taken now, or None) and whatever the workflow
needs to decide who may take it (`who`: a capability and region levels, say). The model's field takes
its choices and its database check from the machine, so an unknown state cannot be stored, and
`Machine.move` is the one function that writes the state column: a conditional UPDATE that only
matches rows still in a state the step may leave from, so two people racing for the same row cannot
both win. `tests/test_state_writes.py` checks that no other code writes a declared state column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

Guard = Callable[..., "str | None"]

REGISTRY: dict[str, Machine] = {}


@dataclass(frozen=True)
class Step:
    action: str
    label: Any  # a lazy translation
    sources: tuple[str, ...]
    target: str
    guards: tuple[Guard, ...] = field(default_factory=tuple)
    who: Any = None  # the workflow's own rule of who may take the step (read by the workflow, not here)
    needs_comment: bool = False


class Machine:
    def __init__(
        self,
        name: str,
        *,
        model: str,
        states: Mapping[str, Any],
        steps: Iterable[Step],
        initial: str,
        final: Iterable[str] = (),
        column: str = "state",
        register: bool = True,
    ) -> None:
        self.name, self.model, self.column = name, model, column
        self.states = dict(states)
        self.steps = tuple(steps)
        self.initial, self.final = initial, frozenset(final)
        self.by_action = {s.action: s for s in self.steps}
        problems = [f"{s.action}: {x}" for s in self.steps for x in (*s.sources, s.target) if x not in self.states]
        problems += [x for x in (initial, *self.final) if x not in self.states]
        if problems or len(self.by_action) != len(self.steps):
            raise ValueError(f"state machine {name}: unknown states or repeated actions {problems}")
        if register:
            REGISTRY[name] = self

    # --- declarations read by models, forms and pages ----------------------------------------------

    @property
    def choices(self) -> list[tuple[str, Any]]:
        return list(self.states.items())

    def label(self, state: str) -> str:
        return str(self.states.get(state, state))

    def constraint(self, name: str) -> models.CheckConstraint:
        """The database check that refuses a state this machine does not declare."""
        return models.CheckConstraint(condition=Q(**{f"{self.column}__in": list(self.states)}), name=name)

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(self.states) - self.final

    def step(self, action: str) -> Step:
        step = self.by_action.get(action)
        if step is None:
            raise ValidationError(_("未知的操作：%(a)s") % {"a": action})
        return step

    def steps_from(self, state: str) -> list[Step]:
        return [s for s in self.steps if state in s.sources]

    def sources_of(self, target: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x for s in self.steps if s.target == target for x in s.sources))

    # --- checking and moving ------------------------------------------------------------------------

    def reasons(self, obj: Any, step: Step, **context: Any) -> list[str]:
        """Why the step may not be taken on obj now: the state first, then each guard in turn."""
        state = getattr(obj, self.column)
        if state not in step.sources:
            return [_("当前状态为“%(s)s”，不能进行“%(a)s”") % {"s": self.label(state), "a": step.label}]
        return [reason for guard in step.guards if (reason := guard(obj, **context))]

    def move(self, queryset: models.QuerySet[Any], action: str, **values: Any) -> int:
        """Take the step on every row of the queryset still in one of its sources; other columns in
        `values` are written in the same UPDATE. Returns how many rows moved. Guards are the caller's
        (checked under select_for_update before this)."""
        step = self.step(action)
        return queryset.filter(**{f"{self.column}__in": step.sources}).update(**{self.column: step.target, **values})

    def move_ids(self, model: type[models.Model], ids: Sequence[int], action: str, *, increment: Sequence[str] = (),
                 **values: Any) -> int:  # fmt: skip
        """`move` for a long list of primary keys (a bank return of 50,000 lines): the ids travel as one array
        parameter on PostgreSQL (core.bulk.update_ids), the same condition on the step's sources."""
        from core.bulk import update_ids

        step = self.step(action)
        return update_ids(model, ids, {self.column: step.target, **values}, where_in={self.column: step.sources},
                          increment=increment)  # fmt: skip

    def move_one(self, obj: models.Model, action: str, **values: Any) -> None:
        """Move one row; refused with its current state in Chinese when another hand moved it first."""
        step = self.step(action)
        moved = self.move(type(obj)._default_manager.filter(pk=obj.pk), action, **values)
        if not moved:
            obj.refresh_from_db(fields=[self.column])
            raise ValidationError(
                _("当前状态为“%(s)s”，不能进行“%(a)s”") % {"s": self.label(getattr(obj, self.column)), "a": step.label}
            )
        setattr(obj, self.column, step.target)
