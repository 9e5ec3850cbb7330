#!/usr/bin/env bash
# Benchmark: the time `leastcap run` adds to starting a program, against setpriv(1) doing the
# same (nobody, cap_net_raw through the ambient set, bounding set {cap_net_raw}, no_new_privs).
# Runs as root. Uses hyperfine when installed (apt-get install hyperfine), else a shell loop.
# Prints each command's median time, the time each adds over running /bin/true directly, and the
# ratio leastcap/setpriv of both.
#
#   benches/run.sh [RUNS]        (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p leastcap
leastcap="$target/release/leastcap"
[ -x "$leastcap" ] || { echo "no $leastcap" >&2; exit 1; }

base=(/bin/true)
ours=("$leastcap" run --user nobody --caps net_raw -- /bin/true)
theirs=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_raw
        --ambient-caps=+net_raw --bounding-set=-all,+net_raw --no-new-privs /bin/true)

# Same result first: both must produce the same child state, or the comparison is meaningless.
a=$("$leastcap" run --user nobody --caps net_raw -- grep -E '^(Uid|Gid|Groups|Cap|NoNew)' /proc/self/status)
b=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_raw \
      --ambient-caps=+net_raw --bounding-set=-all,+net_raw --no-new-privs \
      grep -E '^(Uid|Gid|Groups|Cap|NoNew)' /proc/self/status)
[ "$a" = "$b" ] || { echo "child states differ:"; diff <(echo "$a") <(echo "$b"); exit 1; }

rounds=5
if command -v hyperfine >/dev/null; then
    # Several short rounds, each running the three commands back to back, so background load
    # on a shared machine hits all three alike; per command, the median of the round medians.
    json=$(mktemp)
    trap 'rm -f "$json"' EXIT
    all=""
    for ((round = 1; round <= rounds; round++)); do
        hyperfine -N --warmup 20 --runs $((runs / rounds)) --export-json "$json" \
            -n true "${base[*]}" -n setpriv "${theirs[*]}" -n "leastcap run" "${ours[*]}" >/dev/null 2>&1
        all+=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.6f" % x["median"] for x in r))' "$json")$'\n'
    done
    means=$(python3 -c '
import statistics, sys
rows = [list(map(float, line.split())) for line in sys.stdin if line.strip()]
print(" ".join("%.6f" % statistics.median(col) for col in zip(*rows)))' <<<"$all")
    method="hyperfine -N, $rounds rounds x $((runs / rounds)) runs, median of round medians"
else
    loop() { local start end; start=$(date +%s%N); for ((i = 0; i < runs; i++)); do "$@" >/dev/null; done
             end=$(date +%s%N); echo "scale=9; ($end - $start) / $runs / 1000000000" | bc; }
    means="$(loop "${base[@]}") $(loop "${theirs[@]}") $(loop "${ours[@]}")"
    method="shell loop of $runs runs (mean)"
fi
read -r t_true t_setpriv t_ours <<<"$means"
python3 - "$t_true" "$t_setpriv" "$t_ours" "$method" <<'PY'
import sys
t, s, o = map(float, sys.argv[1:4])
print(f"method: {sys.argv[4]}")
print(f"/bin/true alone:        {t*1e3:.3f} ms")
print(f"setpriv ... /bin/true:  {s*1e3:.3f} ms  (adds {(s-t)*1e3:.3f} ms)")
print(f"leastcap run ... true:  {o*1e3:.3f} ms  (adds {(o-t)*1e3:.3f} ms)")
print(f"ratio leastcap/setpriv, total time: {o/s:.2f}x")
print(f"ratio leastcap/setpriv, added time: {(o-t)/(s-t):.2f}x")
PY
