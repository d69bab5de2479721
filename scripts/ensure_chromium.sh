#!/usr/bin/env bash
# Debian's Chromium and CJK fonts: the browser tests drive it, and the server prints PDFs with it
# (labels, appraisal forms; docs/adr/0009). Installed when missing and we may (root with apt-get).
set -uo pipefail
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装 Chromium 与中文字体（Debian 软件包，用于打印 PDF 和浏览器测试）…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
    || echo "警告：Chromium 安装失败，PDF 打印和浏览器测试将不可用。" >&2
else
  echo "警告：未找到 /usr/bin/chromium 或中文字体（apt-get install chromium fonts-noto-cjk），PDF 打印和浏览器测试将不可用。" >&2
fi
exit 0
