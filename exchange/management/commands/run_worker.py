"""`manage.py run_worker`: django-tasks' db_worker, plus the sweep that recovers jobs whose worker died.

Takes every option of `db_worker`. At start and every exchange.recovery.SWEEP_SECONDS a thread of its
own (its own database connection) calls `exchange.recovery.recover()`. Run it under a supervisor that
restarts it when it dies: scripts/supervise.py in `make demo`, systemd (Restart=always) in production
(docs/operations.md).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from exchange import recovery

log = logging.getLogger("exchange.recovery")


def sweep_forever(stop: threading.Event, every: float) -> None:
    while True:
        try:
            recovery.recover()
        except Exception:  # the next sweep tries again; the worker itself goes on
            log.exception("recovering jobs failed")
        finally:
            connections.close_all()  # this thread's connection
        if stop.wait(every):
            return


class Command(DbWorker):
    help = "Run the background worker (django-tasks db_worker) and recover jobs whose worker died"

    def handle(self, *args: Any, **options: Any) -> None:
        # with --reload the parent process only watches files; the child (DJANGO_AUTORELOAD_ENV) works
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            stop = threading.Event()
            threading.Thread(target=sweep_forever, args=(stop, recovery.SWEEP_SECONDS), name="recovery", daemon=True).start()
        super().handle(*args, **options)
