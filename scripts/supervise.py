#!/usr/bin/env python3
"""Keep a command running: restart it when it dies, keep its output in a log that is appended to
across restarts and rotated by size.

    scripts/supervise.py --log var/worker.log -- .venv/bin/python manage.py run_worker

Each output line of the command is written with a timestamp to the log (rotated at --max-bytes,
keeping --backups old files: worker.log.1, .2, ...). When the command exits it is started again
after a pause that doubles from 1 s up to 60 s while it keeps dying quickly, and is back to 1 s once
it has run a minute. SIGTERM or SIGINT stops the command (SIGTERM, then SIGKILL after --grace
seconds) and then the supervisor; nothing is restarted after that. Standard library only, so it
runs before the virtual environment exists or with any Python 3.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--log", required=True, type=Path)
    p.add_argument("--max-bytes", type=int, default=10 * 1024 * 1024)
    p.add_argument("--backups", type=int, default=5)
    p.add_argument("--grace", type=float, default=30.0, help="seconds a stopping command may take")
    p.add_argument("--min-delay", type=float, default=1.0)
    p.add_argument("--max-delay", type=float, default=60.0)
    p.add_argument("--healthy-after", type=float, default=60.0, help="a run this long resets the delay")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        p.error("no command to supervise")
    return args


def make_log(path: Path, max_bytes: int, backups: int) -> logging.Logger:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log = logging.getLogger(f"supervise:{path}")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    return log


class Supervisor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.log = make_log(args.log, args.max_bytes, args.backups)
        self.stopping = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.log.info("[supervise] 收到 %s，停止进程", signal.Signals(signum).name)
        if self.stopping.is_set():  # asked once is enough: a second SIGTERM would cut the running task short
            return
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    def copy_output(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdout is not None
        for raw in child.stdout:
            self.log.info("%s", raw.decode("utf-8", "replace").rstrip("\n"))

    def run_once(self) -> int:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # a Python command's lines reach the log as they are written
        # its own session: a Ctrl-C in the terminal reaches the supervisor only, which stops the command once
        self.child = child = subprocess.Popen(
            self.args.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.log.info("[supervise] 已启动（pid %s）：%s", child.pid, " ".join(self.args.command))
        reader = threading.Thread(target=self.copy_output, args=(child,), daemon=True)
        reader.start()
        while child.poll() is None:
            if self.stopping.wait(0.5):
                try:
                    child.wait(self.args.grace)
                except subprocess.TimeoutExpired:
                    self.log.info("[supervise] %s 秒内未退出，强制结束", self.args.grace)
                    child.kill()
                    child.wait()
        reader.join(5)
        return child.returncode

    def run(self) -> int:
        delay = self.args.min_delay
        while True:
            started = time.monotonic()
            code = self.run_once()
            if self.stopping.is_set():
                self.log.info("[supervise] 已停止（退出码 %s）", code)
                return 0
            if time.monotonic() - started >= self.args.healthy_after:
                delay = self.args.min_delay
            self.log.info("[supervise] 进程退出（退出码 %s），%.0f 秒后重启", code, delay)
            if self.stopping.wait(delay):
                self.log.info("[supervise] 已停止")
                return 0
            delay = min(delay * 2, self.args.max_delay)


def main(argv: list[str]) -> int:
    supervisor = Supervisor(parse(argv))
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
