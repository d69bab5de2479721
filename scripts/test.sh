#!/usr/bin/env bash
# The test command behind `make test` and .ci/run. Installs Debian's Chromium for the browser tests
# when it is missing (scripts/ensure_chromium.sh), then runs the whole suite on the database that
# DATABASE_URL names (SQLite by default).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure_chromium.sh
exec .venv/bin/python -m pytest "$@"
