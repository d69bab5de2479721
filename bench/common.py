"""Shared set-up for the benchmark scripts: Django, timing and percentile helpers."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BENCH_USER = "bench_province"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ANJU_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    import django

    django.setup()
    OUT.mkdir(parents=True, exist_ok=True)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def vendor() -> str:
    from django.db import connection

    return connection.vendor


@contextlib.contextmanager
def gunicorn(port: int, workers: int, settings: str = "config.settings") -> Iterator[str]:
    """The production server on 127.0.0.1 against DATABASE_URL, yielding its base URL once it answers."""
    env = {**os.environ, "ANJU_DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": "bench-secret-key-not-for-production",
           "DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(ROOT / "bench")}  # fmt: skip
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--access-logfile", "-", "--log-level", "warning", "--timeout", "120"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/field/manifest.webmanifest", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
