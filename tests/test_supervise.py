"""scripts/supervise.py: the worker is restarted when it dies and its log survives restarts."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPERVISE = ROOT / "scripts" / "supervise.py"


def start(log: Path, *command: str, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(SUPERVISE), "--log", str(log), "--min-delay", "0.1", "--max-delay", "0.2", *extra]
    return subprocess.Popen([*args, "--", *command])


def wait_for(predicate, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_dying_command_is_restarted_and_its_output_kept(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("earlier run\n", encoding="utf-8")  # a restart of the supervisor must not wipe it
    dying = "import sys; print('工作中', flush=True); sys.exit(3)"
    sup = start(log, sys.executable, "-c", dying)
    try:
        wait_for(lambda: log.read_text(encoding="utf-8").count("已启动") >= 3)
    finally:
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(20) == 0
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier run\n")
    assert "工作中" in text and "进程退出（退出码 3）" in text and "已停止" in text


def test_sigterm_stops_the_command_and_nothing_is_restarted(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    sup = start(log, sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(600)")
    wait_for(lambda: log.exists() and "ready" in log.read_text(encoding="utf-8"))
    sup.send_signal(signal.SIGTERM)
    assert sup.wait(20) == 0
    text = log.read_text(encoding="utf-8")
    assert text.count("已启动") == 1 and "已停止" in text


def test_the_log_is_rotated_by_size(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    chatty = "import sys\nfor n in range(400): print('行' * 20, n)\nsys.exit(1)"
    sup = start(log, sys.executable, "-c", chatty, extra=("--max-bytes", "4000", "--backups", "2"))
    try:
        wait_for(lambda: (tmp_path / "worker.log.2").exists())
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(20)
    assert not (tmp_path / "worker.log.3").exists()
    assert all(p.stat().st_size <= 4000 + 200 for p in tmp_path.glob("worker.log*"))


def test_a_second_stop_signal_does_not_cut_the_running_task_short(tmp_path: Path) -> None:
    """serve.sh's trap and the terminal can both signal the supervisor: the worker is asked once."""
    log = tmp_path / "worker.log"
    # The worker runs until it is asked to stop (never ends on its own, which on a loaded machine could
    # come before the first signal and have it restarted), then takes two seconds to finish its task.
    child = (
        "import signal, time\n"
        "asked = []\n"
        "def got(*a): asked.append(1); print('GOT' + 'TERM', flush=True)\n"  # the log's start line quotes this source
        "signal.signal(signal.SIGTERM, got)\n"
        "print('RE' + 'ADY', flush=True)\n"  # said once the handler is set (the start line quotes only the source)
        "end = time.monotonic() + 120\n"
        "while not asked and time.monotonic() < end: time.sleep(0.05)\n"
        "time.sleep(2)\n"
    )
    sup = start(log, sys.executable, "-c", child)
    wait_for(lambda: log.exists() and "READY" in log.read_text(encoding="utf-8"))
    sup.send_signal(signal.SIGTERM)
    # the second signal comes once the first has reached the worker (on a loaded machine that takes a while)
    wait_for(lambda: log.read_text(encoding="utf-8").count("GOTTERM") == 1)
    sup.send_signal(signal.SIGTERM)
    assert sup.wait(20) == 0
    assert log.read_text(encoding="utf-8").count("GOTTERM") == 1
