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
PKG="libzmq libprotobuf-c lmdb libconfig libsodium libidn2 jansson libmicrohttpd"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -Icommon -I$BUILD/gen $(pkg-config --cflags $PKG)"
LIBS="$(pkg-config --libs $PKG) -lunistring -lpthread -lm"
objs=()
# An object is stale when its source or any header (ours or generated) is newer.
newest_h=$(ls -t common/*.h "$BUILD"/gen/accord/v1/*.h | head -n 1)
for src in common/*.c $BUILD/gen/accord/v1/*.pb-c.c; do
    o=$OUT/obj/$(echo "$src" | tr '/' '_').o
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
        $CC $CFLAGS -w -c "$src" -o "$o"
    fi
    objs+=("$o")
done
for t in tests/fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    $CC $CFLAGS -fsanitize=fuzzer,address,undefined "$t" "${objs[@]}" $LIBS -o "$OUT/$name"
    echo "built $OUT/$name"
done
