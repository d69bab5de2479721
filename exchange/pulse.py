"""A running job's heartbeat and progress, written beside the work on a connection of their own.

Why a thread of its own: on SQLite a task that streams rows out of a queryset (`.iterator()`) keeps
a read transaction open on its connection for as long as it reads. An UPDATE of the job's progress
on that same connection must turn that old read snapshot into a write; once the web has written
anything since (a session, the progress page's own request), SQLite refuses at once with
"database is locked", whatever the busy timeout. The pulse writes from its own thread, hence its
own connection, in short autocommit statements that simply wait their turn.

The pulse also tells the task when the job is no longer its own: every write is conditioned on the
job still being in the status it runs in and on the attempt number that the run claimed. A user
who cancelled it, or a recovery that gave the job to a new run, makes that write match nothing,
and the task's next `set()` raises `JobLost` so it stops instead of working for nobody.

When the task itself runs inside a transaction (tests, the immediate backend inside a request),
another connection could not see the job's row: the pulse then writes on the caller's connection.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from django.db import close_old_connections, connection, connections
from django.utils import timezone

from exchange.models import ExportJob, ImportJob

log = logging.getLogger(__name__)
BEAT_SECONDS = 5.0


class JobLost(Exception):
    """The job was cancelled, failed or handed to another run while this one worked on it."""


class Pulse:
    def __init__(self, model: type[ImportJob] | type[ExportJob], pk: Any, *, status: str, attempt: int,
                 every: float = BEAT_SECONDS) -> None:  # fmt: skip
        self.model, self.pk, self.runs_in, self.attempt, self.every = model, pk, status, attempt, every
        self._pending: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    # the task's side
    def set(self, **fields: Any) -> None:
        """Remember the latest progress (written at the next beat); raises JobLost once the job is gone."""
        if self.lost:
            raise JobLost
        with self._lock:
            self._pending.update(fields)
        if self._thread is None:
            self._write()
            if self.lost:
                raise JobLost

    def __enter__(self) -> Pulse:
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name=f"pulse-{self.pk}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        else:
            self._write()

    # the pulse's side
    def _beat(self) -> None:
        try:
            while True:
                stopping = self._stop.wait(self.every)
                self._write()
                if stopping or self.lost:
                    return
        finally:
            connections.close_all()  # this thread's connections only

    def _write(self) -> None:
        with self._lock:
            fields, self._pending = self._pending, {}
        try:
            matched = self.model.objects.filter(pk=self.pk, status=self.runs_in, attempts=self.attempt).update(
                heartbeat_at=timezone.now(), **fields
            )
        except Exception:  # a missed beat is retried at the next one; the work goes on
            log.warning("heartbeat of %s %s not written", self.model.__name__, self.pk, exc_info=True)
            with self._lock:
                self._pending = {**fields, **self._pending}
            if self._thread is not None:
                close_old_connections()
            return
        if not matched:
            self.lost = True
