#!/bin/sh
# Runs every test program in BUILD/tests and sums their "N passed, N failed" lines.
# Exit status is non-zero if any check failed or any program crashed.
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
total_p=0 total_f=0 crashed=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(FAIL|PASS)' | sed "s/^/[$name] /" | grep -E '^\[[^]]*\] FAIL' || true
    line=$(printf '%s\n' "$out" | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then
        echo "[$name] CRASHED (exit $rc):"; printf '%s\n' "$out" | tail -n 20
        crashed=$((crashed + 1)); f=1; p=0
    else
        echo "[$name] $p passed, $f failed"
    fi
    total_p=$((total_p + p)); total_f=$((total_f + f))
done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ] && [ "$crashed" -eq 0 ]
