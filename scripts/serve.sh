#!/usr/bin/env bash
# Runs the web UI and the background worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY manage.py db_worker --queue-name default >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo "后台任务进程已启动（日志 var/worker.log）"
echo "打开 http://${ANJU_ADDR:-127.0.0.1:8000} ，用上面列出的演示账号登录"
$PY manage.py runserver "${ANJU_ADDR:-127.0.0.1:8000}" --noreload
