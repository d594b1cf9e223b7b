#!/bin/sh
# build.sh — builds the fuzz targets into build-fuzz/ with libFuzzer + ASan + UBSan.
#
#   fuzz/build.sh            every target in TARGETS
#   fuzz/build.sh wav        only fuzz_wav
#
# Each target is fuzz/fuzz_<name>.c compiled with the library's sources (all of src/, so a
# target may call anything in gan.h). Add a target: write fuzz/fuzz_<name>.c, add <name> here.
set -eu
TARGETS="wav texts caption_index tags_index audio_index vocab utf8 emoji_json cldr spec"
cd "$(dirname "$0")/.."
CC=${CC:-clang}
PKGS="openblas zlib libpng libcjson lapacke libjpeg fftw3f espeak-ng librsvg-2.0"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fopenmp -Iinclude -Isrc $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -fopenmp -pthread -lm"
mkdir -p build-fuzz/obj
[ $# -gt 0 ] && TARGETS="$*"
# the library once, without the fuzzer's main (-fsanitize=fuzzer-no-link)
objs=""
for src in src/*/*.c src/*/*/*.c; do
    [ -f "$src" ] || continue
    obj="build-fuzz/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ include/gan.h -nt "$obj" ]; then
        $CC $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj"
    fi
    objs="$objs $obj"
done
for t in $TARGETS; do
    # shellcheck disable=SC2086  # the lists are meant to split
    $CC $CFLAGS $SAN "fuzz/fuzz_$t.c" $objs $LIBS -o "build-fuzz/fuzz_$t"
    echo "build-fuzz/fuzz_$t"
done
