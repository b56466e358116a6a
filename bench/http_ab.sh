#!/usr/bin/env bash
# A/B the hub's HTTP hot paths between two checkouts, from outside, with wrk, on PostgreSQL,
# alternating A B A B in one run (this machine drifts 20-25% between runs; ratios do not), with
# PostgreSQL's own rate (pgbench -S) measured in the same run for scale.
#
#   bash bench/http_ab.sh OLD_CHECKOUT NEW_CHECKOUT [seconds per round, default 10]
#
# Each checkout needs its .venv (`make install`). Each gets its own database (dropped after),
# is migrated and seeded with the demo by `dme-portal serve`, and is served by one uvicorn
# process. Paths: a vendor's read of one request, and a reviewer's queue page of 20.
set -euo pipefail
old=$(realpath "$1"); new=$(realpath "$2"); secs=${3:-10}
pg=${DME_BENCH_PG:-postgresql://postgres@127.0.0.1:5432}
work=$(mktemp -d /tmp/http-ab.XXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for side in a b; do psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS bench_ab_$side" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start() {  # side checkout port
  local side=$1 dir=$2 port=$3
  psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS bench_ab_$side" -c "CREATE DATABASE bench_ab_$side"
  mkdir -p "$work/$side"
  (cd "$dir" && DME_DB__URL="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_ab_$side" \
    DME_DATA_DIR="$work/$side" DME_LOG__LEVEL=WARNING DME_LIMITS__MEMBER_LOOKUPS_PER_MINUTE=100000 \
    exec .venv/bin/dme-portal serve --host 127.0.0.1 --port "$port" >"$work/$side.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return; sleep 1; done
  echo "side $side did not start"; tail -20 "$work/$side.log"; exit 1
}

token() {  # side checkout role org
  (cd "$2" && DME_DB__URL="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_ab_$1" \
    DME_DATA_DIR="$work/$1" .venv/bin/dme-portal create-token --role "$3" --org "$4" | tail -1)
}

q() { psql -qtA "$pg/bench_ab_$1" -c "$2"; }

start a "$old" 18081
start b "$new" 18082
for side in a b; do
  dir=$old; [ $side = b ] && dir=$new
  npi=$(q $side "SELECT v.npi FROM vendor v JOIN authorization_request r ON r.vendor_id = v.id GROUP BY v.npi ORDER BY count(*) DESC LIMIT 1")
  id=$(q $side "SELECT r.id FROM authorization_request r JOIN vendor v ON v.id = r.vendor_id WHERE v.npi = '$npi' ORDER BY r.received_at DESC LIMIT 1")
  net=$(q $side "SELECT n.code FROM network n JOIN authorization_request r ON r.network_id = n.id GROUP BY n.code ORDER BY count(*) DESC LIMIT 1")
  echo "$(token $side "$dir" vendor "$npi") $id $(token $side "$dir" reviewer "$net")" >"$work/$side.args"
done

run() {  # side port path-kind
  read -r vendor id reviewer <"$work/$1.args"
  local url auth
  if [ "$3" = read ]; then url="http://127.0.0.1:$2/v1/authorization-requests/$id"; auth=$vendor
  else url="http://127.0.0.1:$2/v1/review/queue?limit=20"; auth=$reviewer; fi
  wrk -t1 -c8 -d"${secs}s" -H "Authorization: Bearer $auth" "$url" | awk '/Requests\/sec/ {print $2}'
}

printf 'round  path   old(req/s)  new(req/s)  new/old\n'
for round in 1 2; do
  for kind in read queue; do
    a=$(run a 18081 $kind); b=$(run b 18082 $kind)
    printf '%-6s %-6s %-11s %-11s %.2f\n' "$round" "$kind" "$a" "$b" "$(echo "$b / $a" | bc -l)"
  done
done
pgbench -i -q -s 1 "$pg/bench_ab_a" >/dev/null 2>&1
printf 'PostgreSQL alone (pgbench -S -c8 -j1 -T%s, prepared): %s tps\n' "$secs" \
  "$(pgbench -S -M prepared -c8 -j1 -T"$secs" "$pg/bench_ab_a" 2>/dev/null | awk '/^tps/ {print $3; exit}')"
