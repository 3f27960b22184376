#!/usr/bin/env bash
# api-suite.sh runs the official LangGraph API suite (langgraphjs
# libs/langgraph-api/tests/api.test.mts) against agentgate serving the Go
# ports of the suite's graphs (internal/apisuite). It is not part of
# ./scripts/test or CI: it needs a langgraphjs checkout and the npm registry.
#
#   scripts/api-suite.sh /path/to/langgraphjs [vitest args...]
#
# The checkout should be at the pinned commit below (others are tried with a
# warning). Nothing from it is copied into this repository: the test files
# are copied to a temporary directory, where the suite's fixed
# http://localhost:2024 is rewritten to a free loopback port, its npm
# dependencies are installed and vitest runs. Results: the vitest output, a
# JSON report and a per-test list (PASS/FAIL/SKIP  describe > test) in
# $OUT (default ./api-suite-results).
set -euo pipefail

PINNED=f8bdf16d4fe23a79e945ea5dc6f86bbf09abb77d
JS=${1:?usage: scripts/api-suite.sh /path/to/langgraphjs [vitest args...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/api-suite-results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ -d "$JS/.git" ] || [ -f "$JS/.git" ]; then
	HEAD=$(git -C "$JS" rev-parse HEAD)
	[ "$HEAD" = "$PINNED" ] || echo "api-suite: warning: $JS is at $HEAD, results in docs/compatibility.md are for $PINNED" >&2
fi
TESTS=$JS/libs/langgraph-api/tests
[ -f "$TESTS/api.test.mts" ] || { echo "api-suite: no $TESTS/api.test.mts" >&2; exit 2; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "api-suite: building the fixture server" >&2
(cd "$ROOT" && go build -o "$WORK/server" ./internal/apisuite/server)

mkdir -p "$WORK/suite/tests"
cp "$TESTS/api.test.mts" "$TESTS/utils.mts" "$TESTS/schema-expectations.mts" "$WORK/suite/tests/"
sed -i "s#http://localhost:2024#http://127.0.0.1:$PORT#g" "$WORK/suite/tests/api.test.mts"
cat > "$WORK/suite/package.json" <<'JSON'
{
  "name": "agentgate-api-suite",
  "private": true,
  "type": "module",
  "devDependencies": {
    "@langchain/core": "^1.1.48",
    "@langchain/langgraph": "^1.3.6",
    "@langchain/langgraph-sdk": "^1.9.3",
    "postgres": "^3.4.5",
    "vitest": "^4.1.10",
    "wait-port": "^1.1.0",
    "zod": "^3.25.76"
  }
}
JSON
cat > "$WORK/suite/vitest.config.mjs" <<'JS'
import { defineConfig } from "vitest/config";
// As libs/langgraph-api/vitest.config.js.
export default defineConfig({
  test: { hideSkippedTests: true, testTimeout: 30_000, fileParallelism: false },
});
JS

NPM_CACHE=${NPM_CACHE:-$HOME/.cache/agentgate-api-suite-npm}
echo "api-suite: npm install" >&2
(cd "$WORK/suite" && npm install --no-audit --no-fund --loglevel=error --cache "$NPM_CACHE" >&2)

echo "api-suite: starting the fixture server on 127.0.0.1:$PORT" >&2
# LANGGRAPH_CONFIG as in the suite's langgraph.json "env".
LANGGRAPH_CONFIG='{"agent": {"configurable": {"model_name": "openai"}}, "simple_runtime": {"context": {"model": "unknown"}}}' \
	"$WORK/server" -addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/ok" >/dev/null && break
	sleep 0.2
done

echo "api-suite: running vitest" >&2
set +e
(cd "$WORK/suite" && npx vitest run tests/api.test.mts --reporter=default --reporter=json --outputFile="$OUT/results.json" "$@") 2>&1 | tee "$OUT/vitest.log"
set -e

python3 - "$OUT/results.json" >"$OUT/tests.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
status = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "pending": "SKIP", "todo": "SKIP"}
n = {}
for f in r["testResults"]:
    for t in f["assertionResults"]:
        s = status.get(t["status"], t["status"])
        n[s] = n.get(s, 0) + 1
        msg = ""
        if s == "FAIL" and t.get("failureMessages"):
            msg = "  -- " + t["failureMessages"][0].splitlines()[0][:200]
        print(f'{s}  {" > ".join(t["ancestorTitles"] + [t["title"]])}{msg}')
print("# " + " ".join(f"{k}={v}" for k, v in sorted(n.items())))
PY
tail -1 "$OUT/tests.txt" >&2
echo "api-suite: per-test results in $OUT/tests.txt" >&2
