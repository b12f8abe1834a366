#!/usr/bin/env bash
# N load processes against one simulator, then one merged result: the plain-shell twin of
# deploy/k8s/ (docs/load.md "Scale-out"). Every process draws its own slice of the same request
# sequence (--slice I/N), so together they send what one process would; `insi-bench merge`
# sums the counts and reads the percentiles from the summed histograms.
#
#   deploy/local/load-n.sh                      # 3 processes, 20 s each, results in ./load-results
#   N=4 DURATION=60s OUT=/tmp/r deploy/local/load-n.sh
#   TARGET=https://127.0.0.1:8443/lps deploy/local/load-n.sh   # an already running simulator
#
# Settings (environment): N (3), DURATION (20s) or REQUESTS (per process, wins over DURATION),
# CONCURRENCY (8 per process), POPULATION (100000), SEED (1), OUT (load-results),
# TARGET (unset: start `insi-bench sim serve` on a free loopback port, stop it at the end),
# INSI_BENCH (the binary, default `insi-bench` on PATH). Run from the repository root (the
# simulator and the load processes use testdata/pki).
set -euo pipefail
N=${N:-3}
CONCURRENCY=${CONCURRENCY:-8}
POPULATION=${POPULATION:-100000}
SEED=${SEED:-1}
OUT=${OUT:-load-results}
BIN=${INSI_BENCH:-insi-bench}
mkdir -p "$OUT"
if [[ -n "${REQUESTS:-}" ]]; then stop=(--requests "$REQUESTS"); else stop=(--duration "${DURATION:-20s}"); fi

server=""
cleanup() { if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; }
trap cleanup EXIT
if [[ -z "${TARGET:-}" ]]; then
  "$BIN" --json sim serve --listen 127.0.0.1:0 --population "$POPULATION" --seed "$SEED" \
    > "$OUT/sim.banner" &
  server=$!
  # The banner (one JSON line with the URL) comes once the store is ready: bounded wait.
  for _ in $(seq 1 600); do
    [[ -s "$OUT/sim.banner" ]] && break
    kill -0 "$server" 2>/dev/null || { echo "load-n: the simulator did not start" >&2; exit 2; }
    sleep 0.1
  done
  TARGET=$(sed -E 's/.*"urls":\[\["([^"]+)".*/\1/' "$OUT/sim.banner")
  [[ "$TARGET" == https://* ]] || { echo "load-n: no URL in the simulator banner" >&2; exit 2; }
fi
echo "load-n: $N processes against $TARGET"

pids=()
for i in $(seq 0 $((N - 1))); do
  "$BIN" load --target "$TARGET" --slice "$i/$N" "${stop[@]}" --concurrency "$CONCURRENCY" \
    --population "$POPULATION" --seed "$SEED" --no-progress --label "worker $i/$N" \
    --json-report "$OUT/worker-$i.json" > "$OUT/worker-$i.txt" &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done

"$BIN" merge "$OUT"/worker-*.json --json-report "$OUT/merged.json" --html "$OUT/merged.html" \
  --hdr "$OUT/merged.hlog" || status=$?
exit "$status"
