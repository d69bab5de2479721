"""Export of the audit log to .xlsx through the worker's own path (issue 12): rows/s and the memory
the export takes, for --events events (default 1,000,000) on the database in DATABASE_URL.

The log is filled up to --events with one INSERT … SELECT generate_series (events of five kinds,
each with a small before/after in the shapes the services write). Their hashes are not a valid
chain: the export reads rows, it does not verify them. The export runs as the worker runs it:
`exchange.services.start_export` with the immediate task backend, so the job's count, progress
pulse and closing audit event are measured too. Memory is the process's resident set, sampled
every 50 ms while the export runs, against the set before it started.

    DATABASE_URL=postgres://root@127.0.0.1:5432/h_auditlog_bench .venv/bin/python bench/bench_audit_export.py
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

from common import setup_django

AUDITOR = "bench_auditor"
PAGE = os.sysconf("SC_PAGE_SIZE")

FILL = """
INSERT INTO audit_auditevent (at, actor_id, actor_name, ip, source, request_id, verb, object_type, object_id,
                              object_label, archive_id, region_code, before, after, success, prev_hash, hash, key_id)
SELECT now() - (i || ' seconds')::interval, NULL, 'bench_county', '10.0.0.' || (i %% 250), 'ui', md5(i::text),
       (ARRAY['auth.login', 'household.update', 'renovation.start', 'inspection.record', 'funds.bank_return'])[i %% 5 + 1],
       (ARRAY['accounts.user', 'households.household', 'renovation.case', 'inspections.inspection',
              'funds.disbursementbatch'])[i %% 5 + 1],
       (i %% 100000)::text, '郝建国户', i %% 100000, '610826100201',
       CASE i %% 5 WHEN 1 THEN '{"phone": "139****5678", "family_size": 3, "head_name": "郝建国"}'::jsonb
                  WHEN 2 THEN '{"state": "agreed"}'::jsonb END,
       CASE i %% 5 WHEN 0 THEN NULL
                  WHEN 1 THEN '{"phone": "137****1111", "family_size": 5, "head_name": "郝建国"}'::jsonb
                  WHEN 2 THEN '{"state": "started", "started_on": "2026-05-01"}'::jsonb
                  WHEN 3 THEN '{"source": "field", "verdict": "unsafe", "risk_parts": ["wall", "roof"]}'::jsonb
                  ELSE '{"lines": 2000, "paid": 1990, "failed": 10}'::jsonb END,
       true, repeat('0', 64), md5(i::text) || md5(i::text), 'bench'
FROM generate_series(%s, %s) AS i
"""


class Peak:
    """The highest resident set seen while running, sampled from /proc."""

    def __init__(self) -> None:
        self.base = self.now()
        self.high = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def now() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.high = max(self.high, self.now())

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import create_user
    from audit.models import AuditEvent
    from exchange.models import ExportJob
    from exchange.services import start_export

    assert connection.vendor == "postgresql", "the figures are for PostgreSQL: set DATABASE_URL"
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username=AUDITOR).exists():
        call_command("load_regions", verbosity=0)
        create_user(actor=None, username=AUDITOR, password="Bench#2026pw", region_code="61", roles=[Role.AUDITOR])
    have = AuditEvent.objects.count()
    if have < args.events:
        start = time.perf_counter()
        step = 200_000
        for low in range(have + 1, args.events + 1, step):
            with connection.cursor() as cur:
                cur.execute(FILL, [low, min(low + step - 1, args.events)])
            print(f"\r  {min(low + step - 1, args.events):,} events ({time.perf_counter() - start:.0f} s)", end="")
        with connection.cursor() as cur:
            cur.execute("ANALYZE audit_auditevent")
        print()
    auditor = User.objects.get(username=AUDITOR)
    events = AuditEvent.objects.count()

    start = time.perf_counter()
    with Peak() as peak:
        job = start_export(user=auditor, params={}, kind="audit")  # the worker's run_export, run here
    elapsed = time.perf_counter() - start
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.DONE, job.message
    size = Path(job.file_path).stat().st_size
    print(
        json.dumps(
            {
                "bench": "audit_export_xlsx",
                "events": events,
                "rows": job.processed_rows,
                "seconds": round(elapsed, 1),
                "rows_per_s": round(job.processed_rows / elapsed),
                "rss_before_mb": round(peak.base / 1e6),
                "rss_peak_mb": round(peak.high / 1e6),
                "rss_growth_mb": round((peak.high - peak.base) / 1e6),
                "file_mb": round(size / 1e6, 1),
            }
        )
    )
    Path(job.file_path).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
