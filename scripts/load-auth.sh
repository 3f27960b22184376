#!/usr/bin/env bash
# Load test on loopback (not part of ./scripts/test): the throughput that
# custom auth keeps on GET /threads/{id} (issue 5 target: at least 90%).
#
# Two servers run side by side on the same store kind: one open (no auth),
# one with the README quick start's auth (examples/secured-chatbot: a tokens
# authenticator and the owner policy, so the read is owner-filtered). wrk
# measures them in alternating rounds (open, auth, open, auth, ...) so that
# drift in the machine's load hits both; the ratio is of the medians.
#
# Environment: STORE (sqlite|memory, default sqlite), DURATION per round
# (default 5s), ROUNDS (3), CONNECTIONS (64), KEEP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${STORE:-sqlite}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
case "$STORE" in sqlite | memory) ;; *) echo "STORE must be sqlite or memory" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { echo "load-auth.sh needs wrk: sudo apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/agentgate-load-auth.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

go build -o "$work/agentgate" ./cmd/agentgate
mkdir -p "$work/open" "$work/auth"
echo '{"graphs": {"chatbot": "builtin:chatbot"}}' >"$work/open/langgraph.json"
cp examples/secured-chatbot/langgraph.json examples/secured-chatbot/tokens.json "$work/auth/"
token=alice-demo-token-not-secret

start() { # dir -> sets $url (not in a subshell, so that pids reaches cleanup)
  local dir=$1 flags=(dev --port 0 --config "$1" --log-level warn)
  if [[ "$STORE" == memory ]]; then flags=(dev --memory --port 0 --config "$1" --log-level warn); fi
  (cd "$dir" && exec "$work/agentgate" "${flags[@]}" >"$dir/stdout" 2>"$dir/stderr") &
  pids+=($!)
  for _ in $(seq 200); do
    grep -q '^agentgate listening on ' "$dir/stdout" 2>/dev/null && break
    sleep 0.05
  done
  url=$(sed -n 's/^agentgate listening on //p' "$dir/stdout")
}
start "$work/open"
open_url=$url
start "$work/auth"
auth_url=$url
[[ -n "$open_url" && -n "$auth_url" ]] || { cat "$work"/*/stderr; exit 1; }

new_thread() { # url [curl args]
  local url=$1
  shift
  curl -fsS -X POST "$url/threads" -H 'content-type: application/json' "$@" -d '{"metadata":{"load":"get"}}' |
    sed -n 's/.*"thread_id":"\([^"]*\)".*/\1/p'
}
open_tid=$(new_thread "$open_url")
auth_tid=$(new_thread "$auth_url" -H "Authorization: Bearer $token")
# The secured server really is secured: no token is 401, the owner gets 200.
[[ $(curl -s -o /dev/null -w '%{http_code}' "$auth_url/threads/$auth_tid") == 401 ]] || { echo "auth server is open" >&2; exit 1; }
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$auth_url/threads/$auth_tid") == 200 ]] || exit 1

echo "store: $STORE  date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t2 -c$CONNECTIONS -d$DURATION, $ROUNDS alternating rounds"

rps() { # wrk args... -> requests/sec, after checking that every answer was 200
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$@")
  if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}
opens=()
auths=()
for i in $(seq "$ROUNDS"); do
  o=$(rps "$open_url/threads/$open_tid")
  a=$(rps -H "Authorization: Bearer $token" "$auth_url/threads/$auth_tid")
  opens+=("$o")
  auths+=("$a")
  printf 'round %d: open %s req/s, token+owner %s req/s\n' "$i" "$o" "$a"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${opens[@]}")
ma=$(median "${auths[@]}")
echo "median: open $mo req/s, token+owner $ma req/s, kept $(awk -v a="$ma" -v o="$mo" 'BEGIN {printf "%.1f%%", 100*a/o}')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
