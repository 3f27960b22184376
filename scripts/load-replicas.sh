#!/usr/bin/env bash
# Replica scale-out on loopback (not part of ./scripts/test): stateless
# POST /runs/wait on one and on two `agentgate serve` processes sharing one
# fresh Postgres database, run events through Redis, 10 clients per replica.
# Each replica is held to CPU_PER_REPLICA cores by a cgroup of its own (as if
# each ran on a small machine; needs root), so that on a two-core machine the
# second replica brings its own CPU instead of taking the first one's; what
# is measured is whether the shared database lets it add throughput.
# Target (issue 13, docs/benchmarks.md): two replicas >= 1.6 x one.
#
# Environment: AGENTGATE_TEST_POSTGRES_URL (a database to connect to for
# CREATE/DROP DATABASE), AGENTGATE_TEST_REDIS_URL, CPU_PER_REPLICA (0.4),
# RUNS (3000), ROUNDS (3; one and two replicas alternate).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${AGENTGATE_TEST_POSTGRES_URL:?set AGENTGATE_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
: "${AGENTGATE_TEST_REDIS_URL:?set AGENTGATE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0}"
CPU_PER_REPLICA=${CPU_PER_REPLICA:-0.4}
RUNS=${RUNS:-3000}
ROUNDS=${ROUNDS:-3}
command -v psql >/dev/null || { echo "load-replicas.sh needs psql (apt-get install postgresql-client)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/agentgate-replicas.XXXXXX")
db="agentgate_replicas_$$"
cleanup() {
  psql -q "$AGENTGATE_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/agentgate" ./cmd/agentgate
go build -o "$work/loadtool" ./scripts/loadtool
echo '{"graphs":{"chatbot":"builtin:chatbot"}}' >"$work/langgraph.json"
psql -q "$AGENTGATE_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
# the same URL with the new database's name as its path
dburl=$(sed -E "s#^(postgres(ql)?://[^/?]+)(/[^?]*)?#\1/$db#" <<<"$AGENTGATE_TEST_POSTGRES_URL")

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
for _ in $(seq "$ROUNDS"); do
  for n in 1 2; do
    "$work/loadtool" replicas -n "$n" -cpu "$CPU_PER_REPLICA" -runs "$RUNS" -- \
      "$work/agentgate" serve --addr 127.0.0.1:0 --config "$work" --database "$dburl" \
      --redis-url "$AGENTGATE_TEST_REDIS_URL" --no-request-log --log-level warn
  done
done
echo "load average after: $(cut -d" " -f1-3 /proc/loadavg)"
