"""Files that outlive their purpose are deleted (ADR 0020, finding 8 of issue 11).

`run()` is what `manage.py purge_expired_files` does once a day: each app named in
settings.ANJU_RETENTION_PURGERS deletes its own expired files (imports and their error files and
exports after ANJU_RETENTION_DAYS, abandoned photo pieces) and keeps its rows with the time the
files went; leftovers in VAR_DIR/tmp older than a few hours (a request that died before it could
delete its file) go too. Each run writes one audit event with what it deleted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from core.uploads import temp_dir

TEMP_MAX_AGE = dt.timedelta(hours=6)  # no request or task keeps a temporary file that long


@dataclass
class Purge:
    """One run's cutoff and what it deleted (counts by kind, and bytes)."""

    now: dt.datetime
    cutoff: dt.datetime
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    freed: int = 0

    def delete(self, path: str | Path | None, kind: str) -> bool:
        """Delete one file (if it is there), counting it under `kind`; True if a file was there."""
        if not path:
            return False
        file = Path(path)
        try:
            size = file.stat().st_size
        except OSError:
            return False
        if not self.dry_run:
            file.unlink(missing_ok=True)
        self.counts[kind] += 1
        self.freed += size
        return True


def retention_days() -> int:
    return max(1, int(getattr(settings, "ANJU_RETENTION_DAYS", 30)))


def sweep_temp(purge: Purge) -> None:
    limit = time.time() - TEMP_MAX_AGE.total_seconds()
    for path in temp_dir().iterdir():
        try:
            old = path.is_file() and path.stat().st_mtime < limit
        except OSError:
            continue
        if old:
            purge.delete(path, "temporary")


def run(*, now: dt.datetime | None = None, days: int | None = None, dry_run: bool = False) -> Purge:
    from audit.services import record

    now = now or timezone.now()
    purge = Purge(now=now, cutoff=now - dt.timedelta(days=days or retention_days()), dry_run=dry_run)
    for dotted in getattr(settings, "ANJU_RETENTION_PURGERS", []):
        purger: Callable[[Purge], None] = import_string(dotted)
        purger(purge)
    sweep_temp(purge)
    if not dry_run:
        record(
            "files.purge",
            object_type="retention",
            object_label="到期文件清理",
            after={"cutoff": purge.cutoff.isoformat(), "deleted": dict(purge.counts), "bytes": purge.freed},
            plain=True,
        )
    return purge
