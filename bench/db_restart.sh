#!/usr/bin/env bash
# Benchmark (not a test): restart PostgreSQL under wrk load and count the status codes.
#
# Issue 15, point 6: a PostgreSQL restart under load answered 500 fourteen times; it must answer
# 503 (with Retry-After) while the database is away, never 500, and 200 again once it is back.
#
# Run as root from the repository: bash bench/db_restart.sh [seconds] [connections]
# It makes a throwaway cluster under /tmp (PostgreSQL 15 binaries, run as the postgres user),
# serves the API on 127.0.0.1 with uvicorn, loads GET /v1/review/queue with wrk (installed
# with apt-get when absent), restarts the cluster with `pg_ctl restart -m fast` a third of the
# way in, and prints the count of each status. Traffic stays on the loopback interface and
# stops after the given seconds (20 by default). Exit status 1 if any answer was a 500.
set -euo pipefail

DURATION=${1:-20}
CONNECTIONS=${2:-32}
PG_BIN=/usr/lib/postgresql/15/bin
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.venv/bin

command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d /tmp/dme-restart-XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/data" "$WORK/sock"
chown -R postgres: "$WORK/data" "$WORK/sock"
PG_PORT=$(free_port)
API_PORT=$(free_port)
pg() { runuser -u postgres -- "$PG_BIN/$1" "${@:2}"; }
API_PID=""

cleanup() {
  [ -n "$API_PID" ] && kill "$API_PID" 2> /dev/null && wait "$API_PID" 2> /dev/null || true
  pg pg_ctl -D "$WORK/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

pg initdb -D "$WORK/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync > /dev/null
PG_OPTS="-k $WORK/sock -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off"
pg pg_ctl -D "$WORK/data" -l "$WORK/sock/server.log" -w -o "$PG_OPTS" start > /dev/null
pg createdb -h 127.0.0.1 -p "$PG_PORT" dme

export DME_DB__URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/dme"
export DME_AUTH__SECRET_KEY="bench-secret-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
"$BIN/dme-portal" migrate > /dev/null
"$BIN/dme-portal" seed-demo > /dev/null
TOKEN=$("$BIN/dme-portal" create-token --role reviewer --org choc)

"$BIN/dme-portal" serve --host 127.0.0.1 --port "$API_PORT" > "$WORK/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$API_PORT/readyz" > /dev/null 2>&1 && break
  sleep 0.2
done

cat > "$WORK/count.lua" << 'EOF'
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then
    counts["503 without Retry-After"] = (counts["503 without Retry-After"] or 0) + 1
  end
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  io.write("status counts:\n")
  for k, v in pairs(total) do io.write(string.format("  %s: %d\n", k, v)) end
end
EOF

echo "wrk: ${DURATION}s, $CONNECTIONS connections, GET /v1/review/queue; restart at $((DURATION / 3))s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/count.lua" \
  -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/v1/review/queue?limit=5" \
  > "$WORK/wrk.out" 2>&1 &
WRK_PID=$!
sleep $((DURATION / 3))
START=$(date +%s.%N)
pg pg_ctl -D "$WORK/data" -m fast -w -o "$PG_OPTS" restart > /dev/null
echo "pg_ctl restart took $(python3 -c "import time; print(round(time.time() - $START, 2))") s"
wait "$WRK_PID" || echo "wrk exited with status $?"
cat "$WORK/wrk.out"
curl -sS -o /dev/null -w 'readyz after the restart: %{http_code}\n' "http://127.0.0.1:$API_PORT/readyz"
if grep -Eq '^  500: ' "$WORK/wrk.out"; then
  echo "FAIL: 500s during the restart"
  exit 1
fi
