#!/usr/bin/env bash
# Runs the web UI and the background worker together; Ctrl-C stops both.
# The worker runs under scripts/supervise.py: restarted when it dies, its log var/worker.log kept
# across restarts (appended, rotated at 10 MB, 5 old files).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY scripts/supervise.py --log var/worker.log -- $PY manage.py run_worker --queue-name default --no-reload &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM
echo "后台任务进程已启动（断开后自动重启；日志 var/worker.log）"
echo "打开 http://${ANJU_ADDR:-127.0.0.1:8000} ，用上面列出的演示账号登录"
$PY manage.py runserver "${ANJU_ADDR:-127.0.0.1:8000}" --noreload
