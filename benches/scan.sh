#!/usr/bin/env bash
# Benchmark: `leastcap scan /usr` (release build) against `getcap -r /usr` (libcap 2.66) and
# `find /usr -xdev -perm /6000 -type f` on the same warm tree, side by side in one run,
# interleaved, median of RUNS each; then peak memory of `leastcap scan /`.
#
# Usage: benches/scan.sh [TREE] [RUNS]      (defaults: /usr, 9 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."

tree=${1:-/usr}
runs=${2:-9}
target=${CARGO_TARGET_DIR:-target}

command -v getcap >/dev/null || PATH=$PATH:/usr/sbin:/sbin
command -v getcap >/dev/null || { echo "getcap missing: apt-get install -y libcap2-bin" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install -y time" >&2; exit 1; }
cargo build --release --quiet -p leastcap
leastcap="$target/release/leastcap"

# Milliseconds of one execution, output discarded.
once() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Warm the dentry, inode and xattr caches for everyone.
for _ in 1 2; do
    "$leastcap" scan "$tree" >/dev/null 2>&1 || true
    getcap -r "$tree" >/dev/null 2>&1
    find "$tree" -xdev -perm /6000 -type f >/dev/null 2>&1
done

declare -a ours getcap_ms find_ms ours1
for _ in $(seq "$runs"); do
    ours+=("$(once "$leastcap" scan --json "$tree")")
    getcap_ms+=("$(once getcap -r "$tree")")
    find_ms+=("$(once find "$tree" -xdev -perm /6000 -type f)")
    ours1+=("$(once "$leastcap" scan --json --threads 1 "$tree")")
done
m_ours=$(printf '%s\n' "${ours[@]}" | median)
m_ours1=$(printf '%s\n' "${ours1[@]}" | median)
m_getcap=$(printf '%s\n' "${getcap_ms[@]}" | median)
m_find=$(printf '%s\n' "${find_ms[@]}" | median)

entries=$("$leastcap" scan --json "$tree" 2>/dev/null | tail -n1)
echo "tree: $tree ($entries)"
echo "cores: $(nproc), kernel $(uname -r), runs: $runs (median ms)"
printf '%-50s %8s ms\n' "leastcap scan --json $tree (all cores)" "$m_ours"
printf '%-50s %8s ms\n' "leastcap scan --json --threads 1 $tree" "$m_ours1"
printf '%-50s %8s ms\n' "getcap -r $tree" "$m_getcap"
printf '%-50s %8s ms\n' "find $tree -xdev -perm /6000 -type f" "$m_find"
awk -v o="$m_ours" -v g="$m_getcap" -v f="$m_find" 'BEGIN {
    printf "ratio getcap -r / leastcap scan:            %.2fx\n", g / o
    printf "ratio (getcap -r + find) / leastcap scan:   %.2fx\n", (g + f) / o
}'

rss=$(/usr/bin/time -v "$leastcap" scan / 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p')
echo "peak memory of leastcap scan /: ${rss} KiB ($(( rss / 1024 )) MiB)"
