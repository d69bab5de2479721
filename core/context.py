"""Who is acting, from where: set per request (or per command) and read by the audit writer."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator


@dataclass(frozen=True)
class ActionContext:
    ip: str = ""
    source: str = "system"  # ui, api, import, command, system
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: contextvars.ContextVar[ActionContext] = contextvars.ContextVar("anju_action_context", default=ActionContext())


def current() -> ActionContext:
    return _current.get()


@contextmanager
def acting(ctx: ActionContext) -> Iterator[ActionContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
