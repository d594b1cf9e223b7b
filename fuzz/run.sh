#!/bin/sh
# fuzz/run.sh — runs one target under nice for SECONDS from a seed corpus it writes itself
# (build-fuzz/corpus/NAME; libFuzzer adds what it finds there), and prints the CPU time used.
#
#   fuzz/run.sh NAME SECONDS [libFuzzer flags...]
set -eu
cd "$(dirname "$0")/.."
name=$1 secs=$2
shift 2
corpus=build-fuzz/corpus/$name
mkdir -p "$corpus"
seed() { printf "$2" > "$corpus/seed_$1"; }
case $name in
fuzz_caption_index|fuzz_tags_index|fuzz_audio_index)
    seed 1 'a.png\ta red circle\nb.png\tzwei Kreise \303\274ber\r\n\nc/d.jpg\t\360\237\230\200 smile\n'
    seed 2 'x.png\tcat,dog, bird \ny.png\t\nz.png\tdog\n'
    seed 3 'img/a.png\tsnd/a.wav\n/abs/b.png\t../b.wav\n'
    seed 4 '\357\273\277a.png\tBOM first\n'
    ;;
esac
/usr/bin/time -f "$name: %U s user, %S s system, %e s wall" \
    nice -n 10 "build-fuzz/$name" -max_total_time="$secs" -print_final_stats=1 "$@" "$corpus"
