#!/bin/sh
# Rebuilds the committed CO-RE object crates/bpf/bpf/capable.bpf.o from capable.bpf.c with
# Debian's clang (apt-get install -y clang llvm). The result is byte-for-byte reproducible:
# paths are mapped with -fdebug-prefix-map and DWARF is stripped (.BTF and .BTF.ext stay,
# they carry the CO-RE relocations).
#   crates/bpf/build-bpf.sh           rebuild in place
#   crates/bpf/build-bpf.sh --check   fail if the committed object differs from a rebuild
set -eu
here=$(cd "$(dirname "$0")" && pwd)
obj="$here/bpf/capable.bpf.o"
CLANG=${CLANG:-clang}
STRIP=${LLVM_STRIP:-llvm-strip}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Relative paths from the crate directory only, so no absolute path enters the object.
cd "$here"
"$CLANG" -target bpf -O2 -g -Wall -Werror \
	-fdebug-compilation-dir=. \
	-fdebug-prefix-map="$here"=. \
	-fno-ident \
	-I bpf -I ../events/c \
	-c bpf/capable.bpf.c -o "$out"
"$STRIP" -g "$out"
if [ "${1:-}" = "--check" ]; then
	if ! cmp -s "$out" "$obj"; then
		echo "crates/bpf/bpf/capable.bpf.o is stale: run crates/bpf/build-bpf.sh and commit it" >&2
		exit 1
	fi
	echo "capable.bpf.o is up to date"
else
	cp "$out" "$obj"
	echo "wrote $obj ($(wc -c <"$obj") bytes)"
fi
