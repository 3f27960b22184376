#!/usr/bin/env bash
# Load test on loopback (not part of ./scripts/test). Measures, with SQLite:
#   1. startup: exec to the first 200 from /ok, and idle RSS one second later
#   2. GET /threads/{id} throughput (wrk)
#   3. POST /threads/search with a metadata filter over SEED_THREADS threads
#      (one matching 1%, two 0.1%): latency percentiles with one connection
# Targets (docs/benchmarks.md): >= 25,000 req/s, p50 <= 5 ms, startup <= 100 ms,
# idle RSS < 30 MB.
#
# Environment: DURATION (default 10s), CONNECTIONS (64), SEED_THREADS (100000),
# KEEP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
SEED_THREADS=${SEED_THREADS:-100000}

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
  else
    echo "load.sh needs wrk: sudo apt-get install -y wrk" >&2
    exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/agentgate-load.XXXXXX")
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

echo "== build"
go build -o "$work/agentgate" ./cmd/agentgate
go build -o "$work/loadtool" ./scripts/loadtool
echo '{}' >"$work/langgraph.json"

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "go: $(go version | cut -d' ' -f3-)  wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load average before the run: $(cut -d" " -f1-3 /proc/loadavg)"

echo "== startup and idle RSS (SQLite; 5 runs, the first creates the database)"
"$work/loadtool" startup -runs 5 -- "$work/agentgate" dev --port 0 --config "$work" --log-level warn

echo "== start the server"
"$work/agentgate" dev --port 0 --config "$work" --log-level warn >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 200); do
  grep -q '^agentgate listening on ' "$work/stdout" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^agentgate listening on //p' "$work/stdout")
[[ -n "$url" ]] || { cat "$work/stderr"; exit 1; }
echo "url: $url (pid $pid)"

tid=$(curl -fsS -X POST "$url/threads" -H 'content-type: application/json' -d '{"metadata":{"load":"get"}}' |
  sed -n 's/.*"thread_id":"\([^"]*\)".*/\1/p')
echo "== GET /threads/$tid: wrk -t2 -c$CONNECTIONS -d$DURATION --latency"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$url/threads/$tid"

echo "== seed $SEED_THREADS threads through POST /threads"
"$work/loadtool" seed -url "$url" -n "$SEED_THREADS" -c 8

# Filters: "user" (a string) matches 1% of the threads; "tenant" (a string)
# and "bucket" (a number) match 0.1%.
for filter in '{"user": "user-7"}' '{"tenant": "t-42"}' '{"bucket": 42}'; do
  body="{\"metadata\": $filter, \"limit\": 10}"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' "'$body'" >"$work/search.lua"
  matches=$(curl -fsS -X POST "$url/threads/count" -H 'content-type: application/json' -d "{\"metadata\": $filter}")
  echo "== POST /threads/search $body over $SEED_THREADS threads ($matches match): wrk -t1 -c1 -d$DURATION --latency"
  wrk -t1 -c1 -d"$DURATION" --latency -s "$work/search.lua" "$url/threads/search"
done

echo "== idle RSS after the load: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
