#!/usr/bin/env bash
# Benchmark: `leastcap ps --all --json` (release build) against libcap-ng's `pscap -a`, side by
# side in the same run, with ~1,000 extra `sleep` processes that this script starts and always
# kills (by their pids) when it exits.
#
# Usage: benches/ps.sh [EXTRA_PROCESSES] [RUNS]      (defaults: 1000 processes, 20 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."

extra=${1:-1000}
runs=${2:-20}
target=${CARGO_TARGET_DIR:-target}

command -v pscap >/dev/null || { echo "pscap missing: apt-get install -y libcap-ng-utils" >&2; exit 1; }
cargo build --release --quiet -p leastcap
leastcap="$target/release/leastcap"

pids=()
cleanup() {
    if [ ${#pids[@]} -gt 0 ]; then
        kill "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

for _ in $(seq "$extra"); do
    sleep 3600 &
    pids+=($!)
done
processes=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)

# Seconds (with nanoseconds) for `runs` executions of a command, output discarded.
measure() {
    local start end
    start=$(date +%s.%N)
    for _ in $(seq "$runs"); do
        "$@" >/dev/null
    done
    end=$(date +%s.%N)
    echo "$start $end $runs" | awk '{ printf "%.2f", ($2 - $1) * 1000 / $3 }'
}

# Warm the page cache and dentries once for both.
"$leastcap" ps --all --json >/dev/null
pscap -a >/dev/null

pscap_ms=$(measure pscap -a)
json_ms=$(measure "$leastcap" ps --all --json)
text_ms=$(measure "$leastcap" ps --all --color=never)
default_ms=$(measure "$leastcap" ps --color=never)
json_bytes=$("$leastcap" ps --all --json | wc -c)
pscap_lines=$(pscap -a | wc -l)

echo "date:        $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine:     $(nproc) cores, $(uname -r)"
echo "processes:   $processes in /proc ($extra extra sleep processes), $runs runs each"
echo "pscap -a:                       ${pscap_ms} ms/run  ($pscap_lines lines)"
echo "leastcap ps --all --json:       ${json_ms} ms/run  ($json_bytes bytes)"
echo "leastcap ps --all (text):       ${text_ms} ms/run"
echo "leastcap ps (default view):     ${default_ms} ms/run"
awk -v a="$json_ms" -v b="$pscap_ms" 'BEGIN { printf "ratio (leastcap --all --json / pscap -a): %.2f\n", a / b }'
awk -v a="$text_ms" -v b="$pscap_ms" 'BEGIN { printf "ratio (leastcap --all text / pscap -a):   %.2f\n", a / b }'
