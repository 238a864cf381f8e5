#!/usr/bin/env bash
# make fuzz: build every tests/fuzz/fuzz_*.c as a libFuzzer binary in $BUILD/fuzz/, with
# our code (common/ and the generated protobuf-c code) instrumented by clang with
# ASan+UBSan. protobuf-c's own decoder is linked from the system library and therefore
# not instrumented (Debian ships no source for it in a -dev package); our pre-decode walk
# (acc_codec) that guards it is.
set -eu
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: clang is required (apt-get install clang)" >&2; exit 1; }
OUT=$BUILD/fuzz
mkdir -p "$OUT/obj"
# Generated code comes from the normal build.
make -s BUILD="$BUILD" $(for p in proto/accord/v1/*.proto; do b=${p#proto/}; echo "$BUILD/gen/${b%.proto}.pb-c.c"; done)
# The Makefile passes which sources make up common and the include paths (its folders);
# the defaults serve a direct run.
COMMON_SRC=${FUZZ_COMMON_SRC:-$(echo common/*.c)}
COMMON_INC=${FUZZ_COMMON_INC:-"-Icommon -I$BUILD/gen"}
TARGET_INC=${FUZZ_TARGET_INC:-"$COMMON_INC -Iservices"}
PKG="libzmq libprotobuf-c lmdb libconfig libsodium libidn2 jansson libmicrohttpd"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer $(pkg-config --cflags $PKG)"
LIBS="$(pkg-config --libs $PKG) -lunistring -lpthread -lm"
objs=()
# An object is stale when its source or any header (ours or generated) is newer.
# shellcheck disable=SC2086
newest_h=$(ls -t $(for s in $COMMON_SRC; do dirname "$s"; done | sort -u | sed 's|$|/*.h|') \
    "$BUILD"/gen/accord/v1/*.h 2>/dev/null | head -n 1)
# shellcheck disable=SC2086
for src in $COMMON_SRC $BUILD/gen/accord/v1/*.pb-c.c; do
    o=$OUT/obj/$(echo "$src" | tr '/' '_').o
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
        $CC $CFLAGS $COMMON_INC -w -c "$src" -o "$o"
    fi
    objs+=("$o")
done
for t in tests/fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    # shellcheck disable=SC2086
    $CC $CFLAGS $TARGET_INC -fsanitize=fuzzer,address,undefined "$t" "${objs[@]}" $LIBS -o "$OUT/$name"
    echo "built $OUT/$name"
done
