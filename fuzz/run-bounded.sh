#!/usr/bin/env bash
# Builds every fuzz target on the STABLE toolchain (SanitizerCoverage through -Cpasses and
# -Cllvm-args; no nightly, no cargo-fuzz) and runs them for SECONDS in total, split evenly.
# Exits non-zero when a target crashes (libFuzzer exits non-zero; the input is kept in
# fuzz/artifacts/TARGET/).
#
#   fuzz/run-bounded.sh 60
set -euo pipefail
cd "$(dirname "$0")"

total=${1:?usage: run-bounded.sh SECONDS}
targets=(xattr_decode cap_text)
# libfuzzer-sys compiles libFuzzer (C++) with the cc crate: use clang++ where c++ is missing.
command -v c++ >/dev/null || export CXX=clang++
triple=$(rustc -vV | sed -n 's/^host: //p')

# --target keeps these flags away from build scripts (they cannot link the coverage hooks).
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/target}
echo "building ${targets[*]} for $triple"
cargo build --release --locked --quiet --target "$triple" --bins

per=$(( total / ${#targets[@]} ))
[ "$per" -ge 1 ] || per=1
status=0
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    artifacts="artifacts/$target/"
    mkdir -p "$corpus" "$artifacts" "seeds/$target"
    echo "== fuzzing $target for ${per}s"
    if ! "$CARGO_TARGET_DIR/$triple/release/$target" \
        -max_total_time="$per" -print_final_stats=1 -artifact_prefix="$artifacts" \
        "$corpus" "seeds/$target" 2>"$CARGO_TARGET_DIR/$target.log"; then
        echo "fuzz target $target FAILED; last lines of its log:" >&2
        tail -n 40 "$CARGO_TARGET_DIR/$target.log" >&2
        status=1
    else
        grep -E '^stat::number_of_executed_units|^Done' "$CARGO_TARGET_DIR/$target.log" || true
    fi
done
exit "$status"
