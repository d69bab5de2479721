#!/usr/bin/env bash
# The test command behind `make test` and .ci/run. Installs Debian's Chromium for the browser tests
# when it is missing (root with apt-get), then runs the whole suite on the database that
# DATABASE_URL names (SQLite by default).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "安装浏览器测试所需的 Chromium（Debian 软件包）…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "警告：未找到 /usr/bin/chromium，浏览器测试将被跳过（apt-get install chromium）"
  fi
fi
exec .venv/bin/python -m pytest "$@"
