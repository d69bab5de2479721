"""Who is acting, from where: set per request (or per command) and read by the audit writer."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionContext:
    ip: str = ""
    source: str = "system"  # ui, api, import, command, system
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: contextvars.ContextVar[ActionContext | None] = contextvars.ContextVar("anju_action_context", default=None)


def current() -> ActionContext:
    return _current.get() or ActionContext()


@contextmanager
def acting(ctx: ActionContext) -> Iterator[ActionContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
