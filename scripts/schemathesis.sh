#!/usr/bin/env bash
# A bounded schemathesis run against a live gunicorn on a throwaway SQLite database: every operation
# of /api/schema/, fixed seed, few examples each, check "not_a_server_error" (and the other stable
# checks in CHECKS). Fails on any HTTP 500. Run from .ci/run after the SQLite tests; ADR 0023.
#
# Who it signs in as (the one place to adapt when authentication changes):
#   ANJU_FUZZ_USERS     space-separated demo usernames, one run each (default "sd_county sd_village")
#   ANJU_FUZZ_PASSWORD  the password create_demo_users gives every demo account (default: a random one)
#   token()             below: POST /api/auth/token/ {username, password} -> {"token": ...}, sent as
#                       "Authorization: Token <key>". If a role gets a second factor or the answer
#                       changes shape, change token() only.
#   It assumes the demo accounts can sign in with that password straight away (no forced first change,
#   no second factor for the roles used) and that no operation of the run revokes the token.
# Other knobs: ANJU_FUZZ_SEED (2026), ANJU_FUZZ_EXAMPLES per operation (10), ANJU_FUZZ_MAX_TIME per
# user in seconds (60), ANJU_FUZZ_PORT (a free one), ANJU_FUZZ_KEEP=1 keeps the var dir and reports.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ROOT=$(pwd)

USERS=${ANJU_FUZZ_USERS:-"sd_county sd_village"}
PASSWORD=${ANJU_FUZZ_PASSWORD:-"Fz-$($PY -c 'import secrets; print(secrets.token_hex(8))')-9a"}
SEED=${ANJU_FUZZ_SEED:-2026}
EXAMPLES=${ANJU_FUZZ_EXAMPLES:-10}
MAX_TIME=${ANJU_FUZZ_MAX_TIME:-60}
CHECKS=${ANJU_FUZZ_CHECKS:-not_a_server_error,content_type_conformance,response_headers_conformance}
PORT=${ANJU_FUZZ_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"

mkdir -p var
WORK=$(mktemp -d "$ROOT/var/schemathesis.XXXXXX")
export ANJU_VAR_DIR="$WORK" ANJU_DEBUG=0 ANJU_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=ERROR  # plain HTTP on loopback
export SECRET_KEY="schemathesis-throwaway-$RANDOM$RANDOM" ANJU_FIELD_KEY=$($PY -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
export ANJU_AUDIT_KEY=$($PY -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
# The run fuzzes the API's inputs, not its sign-in (tested in accounts/tests): the throwaway server asks no second factor.
export ANJU_SECOND_FACTOR_CAPS=""
unset DATABASE_URL  # always the throwaway SQLite file in $WORK, never a shared database
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ "${ANJU_FUZZ_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "保留：$WORK"; fi
}
trap cleanup EXIT

echo "== schemathesis: demo database in $WORK =="
$PY manage.py migrate --no-input -v0
$PY manage.py load_regions --province 61 >/dev/null
$PY manage.py create_demo_users --password "$PASSWORD" >/dev/null
$PY manage.py generate_demo --households 300 >/dev/null
$PY manage.py generate_demo_safety >/dev/null
$PY manage.py generate_demo_renovation >/dev/null

.venv/bin/gunicorn config.wsgi -w 2 -b "127.0.0.1:$PORT" --timeout 60 --log-level warning \
  --error-logfile "$WORK/gunicorn.log" >"$WORK/gunicorn.out" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "$BASE/field/manifest.webmanifest" && break
  kill -0 "$SERVER" 2>/dev/null || { echo "gunicorn 启动失败：" >&2; cat "$WORK/gunicorn.log" >&2; exit 1; }
  sleep 0.2
done

token() {  # username -> API token on stdout
  curl -fsS -X POST "$BASE/api/auth/token/" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$PASSWORD\"}" | $PY -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

status=0
for user in $USERS; do
  key=$(token "$user") || { echo "无法为 $user 取得令牌（POST /api/auth/token/）。" >&2; exit 1; }
  auth="Authorization: Token $key"
  # A run whose token is refused everywhere would pass without testing anything: check it first.
  probe=$(curl -sS -o "$WORK/probe.json" -w '%{http_code}' -H "$auth" "$BASE/api/regions/?parent=61")
  [ "$probe" = 200 ] || { echo "$user 的令牌被拒绝（HTTP $probe）：$(cat "$WORK/probe.json")" >&2; exit 1; }
  curl -fsS -H "$auth" "$BASE/api/schema/?format=json" -o "$WORK/schema.json"
  echo "== schemathesis as $user: seed $SEED, $EXAMPLES examples per operation, at most ${MAX_TIME}s =="
  # /api/auth/token/ is left out: random passwords for real usernames would lock the accounts this run uses;
  # /api/auth/logout/ too: it revokes the very token the run uses, and every later request would be a 401.
  # run inside $WORK: schemathesis keeps a crash cache (.schemathesis/) in its working directory.
  # One worker: two threads parsing at once trip CPython 3.11's "AST constructor recursion depth mismatch".
  (cd "$WORK" && "$ROOT/.venv/bin/schemathesis" run "$WORK/schema.json" --url "$BASE" -H "$auth" \
    --checks "$CHECKS" --seed "$SEED" --max-examples "$EXAMPLES" --max-time "$MAX_TIME" \
    --phases examples,coverage,fuzzing --workers 1 --request-timeout 30 --no-color \
    --suppress-health-check all --generation-database none --exclude-path /api/auth/token/ --exclude-path /api/auth/logout/ \
    --report junit --report-dir "$WORK/report-$user") || status=1
done
if grep -q "Internal Server Error" "$WORK"/gunicorn.* 2>/dev/null; then
  echo "服务器日志中有未处理的异常：" >&2
  { grep -h -v "^\(Bad Request\|Not Found\|Forbidden\|Unauthorized\|Method Not Allowed\|Conflict\|Unsupported Media Type\|Not Acceptable\): " "$WORK"/gunicorn.* | grep -A25 "Unhandled API error\|Internal Server Error" | head -120 >&2; } || true
  status=1
fi
[ "$status" = 0 ] && echo "schemathesis：没有服务器错误。" || echo "schemathesis：发现服务器错误（见上）。" >&2
exit "$status"
