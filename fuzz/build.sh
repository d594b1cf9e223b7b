#!/bin/sh
# build.sh — builds the fuzz targets into build-fuzz/ with libFuzzer + ASan + UBSan.
#
#   fuzz/build.sh               every target in TARGETS
#   fuzz/build.sh vocab cldr    only these (fuzz/fuzz_<name>.c)
#
# Each target links the whole library's sources (not build/libgan.a: the library must be
# instrumented too), so a target may call any parser. Add a target: write fuzz/fuzz_NAME.c
# with LLVMFuzzerTestOneInput and add NAME to TARGETS.
set -eu
cd "$(dirname "$0")/.."
TARGETS="vocab utf8 emoji_json cldr"
[ $# -gt 0 ] && TARGETS="$*"
PKGS="openblas zlib libpng libcjson lapacke libjpeg librsvg-2.0"
CC=${CC:-clang}
FLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fopenmp -Iinclude -Isrc $(pkg-config --cflags $PKGS)"
mkdir -p build-fuzz/obj
objs=""
for src in src/*/*.c src/*/*/*.c; do
    [ -f "$src" ] || continue
    o="build-fuzz/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ include/gan.h -nt "$o" ]; then
        $CC $FLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$o"
    fi
    objs="$objs $o"
done
for t in $TARGETS; do
    # shellcheck disable=SC2086
    $CC $FLAGS "fuzz/fuzz_$t.c" $objs $(pkg-config --libs $PKGS) -lm -o "build-fuzz/fuzz_$t"
    echo "fuzz/build.sh: build-fuzz/fuzz_$t"
done
