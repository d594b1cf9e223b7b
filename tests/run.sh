#!/bin/sh
# Runs every test program in BUILD/tests and sums their "N passed, N failed" lines.
#
#   tests/run.sh [BUILD]          BUILD defaults to build
#   TEST_TIMEOUT=600 (seconds)    a program still running after this counts as crashed
#
# Prints one line per program (and every FAIL line), writes each program's full output to
# BUILD/test.log, and ends with the total "N passed, N failed". Exit status is non-zero if any
# check failed, any program crashed or timed out, or no test program was found.
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
limit=${TEST_TIMEOUT:-600}
log="$build/test.log"
: > "$log" || exit 1
total_p=0 total_f=0 crashed=0 programs=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case $t in *.o|*.d) continue ;; esac
    programs=$((programs + 1))
    name=$(basename "$t")
    start=$(date +%s)
    if command -v timeout >/dev/null 2>&1; then
        out=$(timeout "$limit" "$t" 2>&1); rc=$?
    else
        out=$("$t" 2>&1); rc=$?
    fi
    secs=$(($(date +%s) - start))
    { echo "==== $name (exit $rc, ${secs}s)"; printf '%s\n' "$out"; } >> "$log"
    printf '%s\n' "$out" | grep -E '^FAIL' | sed "s/^/[$name] /" || true
    line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then
        if [ "$rc" -eq 124 ]; then why="TIMED OUT after ${limit}s"; else why="CRASHED (exit $rc)"; fi
        echo "[$name] $why:"; printf '%s\n' "$out" | tail -n 20
        crashed=$((crashed + 1)); f=1; p=0
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # all checks passed but the program still failed (e.g. LeakSanitizer at exit)
        echo "[$name] $p passed, exit $rc after its summary:"; printf '%s\n' "$out" | tail -n 20
        crashed=$((crashed + 1)); f=1
    else
        echo "[$name] $p passed, $f failed (${secs}s)"
    fi
    total_p=$((total_p + p)); total_f=$((total_f + f))
done
if [ "$programs" -eq 0 ]; then
    echo "no test programs in $build/tests (build them with make BUILD=$build)"
    total_f=1
fi
echo "full output: $log"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ] && [ "$crashed" -eq 0 ]
