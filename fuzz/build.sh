#!/bin/sh
# fuzz/build.sh — builds libFuzzer targets into build-fuzz/ (clang, ASan + UBSan).
#
#   fuzz/build.sh              every target in TARGETS
#   fuzz/build.sh NAME ...     only these
#   CC=clang-14 fuzz/build.sh  another clang
#
# TARGETS: one line per target, "NAME: library sources it needs [| pkg-config packages]";
# fuzz/NAME.c holds its LLVMFuzzerTestOneInput. Add a line for a new parser.
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-clang}
OUT=build-fuzz
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -Isrc"
CORE="src/core/status.c src/core/memory.c"
TARGETS="
fuzz_caption_index: $CORE src/data/index.c src/data/listing.c
fuzz_tags_index: $CORE src/data/index.c src/data/listing.c
fuzz_audio_index: $CORE src/data/index.c src/data/listing.c
"
mkdir -p "$OUT"
want="$*"
printf '%s\n' "$TARGETS" | while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=${line%%:*}
    rest=${line#*:}
    srcs=${rest%%|*}
    pkgs=
    case $rest in *'|'*) pkgs=${rest#*|} ;; esac
    if [ -n "$want" ]; then
        case " $want " in *" $name "*) ;; *) continue ;; esac
    fi
    flags= libs=
    if [ -n "$pkgs" ]; then
        flags=$(pkg-config --cflags $pkgs)
        libs=$(pkg-config --libs $pkgs)
    fi
    echo "building $OUT/$name"
    # shellcheck disable=SC2086
    $CC $CFLAGS $flags -o "$OUT/$name" "fuzz/$name.c" $srcs $libs -lm
done
