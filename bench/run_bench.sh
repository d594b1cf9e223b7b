#!/bin/sh
# make bench: gan.c (`gan bench`) and its PyTorch twin (bench/torch_bench.py), alternately in one
# run, several repetitions, then a table.
#
#   bench/run_bench.sh [GAN_BINARY]            (make bench passes $(BUILD)/gan)
#
# Environment (all optional):
#   BENCH_REPS=4                  repetitions; each runs every model in every setting once
#                                 (gan.c once before each PyTorch setting)
#   BENCH_MODELS="mlp dcgan28 dcgan64"
#   BENCH_BATCH=64
#   BENCH_ITERS="mlp:200 dcgan28:30 dcgan64:5"  timed iterations per model (after warm-up):
#                                 a few seconds each, so that one measurement spans more than one
#                                 of the shared machine's load phases
#   BENCH_TORCH="ob1-fast ob2-fast ob1-native ob2-native"
#                                 PyTorch settings swept: OPENBLAS_NUM_THREADS 1|2 and
#                                 ConvTranspose2d backward fast|native (see torch_bench.py)
#   BENCH_BASELINE=path/to/gan    another gan binary (e.g. an older build) measured alongside
#   BENCH_THREADS=0               threads of both (0 = all cores)
#   BENCH_OUT=<dir of the binary>/bench.jsonl   every measurement, one JSON line each
#
# PyTorch runs with OMP_WAIT_POLICY=passive (it is slower with libgomp's default spinning on a
# busy machine, and a short spin did not help it); gan picks its own wait (tools/gan/main.c: a
# short spin when the cores are idle, passive otherwise) and reports it as omp_wait. Within a
# repetition, model by model, gan.c runs right before each PyTorch setting (gan.c, ob1-fast,
# gan.c, ob2-fast, ...), so a load change on the shared machine hits both sides alike and both
# are sampled as often. The table reports, per model, the median over all of gan.c's runs and
# over each PyTorch setting's repetitions of each run's median ms per iteration; PyTorch's
# column is its best setting by that measure. Peak RSS is the largest over the repetitions.
set -eu
cd "$(dirname "$0")/.."
gan=${1:-build/gan}
reps=${BENCH_REPS:-4}
models=${BENCH_MODELS:-mlp dcgan28 dcgan64}
batch=${BENCH_BATCH:-64}
iters=${BENCH_ITERS:-mlp:200 dcgan28:30 dcgan64:5}
torch_cfgs=${BENCH_TORCH:-ob1-fast ob2-fast ob1-native ob2-native}
baseline=${BENCH_BASELINE:-}
threads=${BENCH_THREADS:-0}
out=${BENCH_OUT:-$(dirname "$gan")/bench.jsonl}
python=/usr/bin/python3

[ -x "$gan" ] || { echo "run_bench: no gan binary at $gan (make BUILD=... first)" >&2; exit 1; }
"$python" -c "import torch" 2>/dev/null || { echo "run_bench: $python cannot import torch (python3-torch)" >&2; exit 1; }

iters_of() {
    for kv in $iters; do
        [ "${kv%%:*}" = "$1" ] && { echo "${kv#*:}"; return; }
    done
    echo 20
}
show() { "$python" -c 'import json,sys; d=json.load(sys.stdin); print("%9.2f ms  (min %.2f, CPU %.2f)" % (d["median_ms"], d["min_ms"], d.get("cpu_ms", float("nan"))))'; }
warmup_of() { [ "$1" = dcgan64 ] && echo 1 || echo 3; }

: > "$out"
echo "run_bench: $reps repetitions of: $models (batch $batch); PyTorch settings: $torch_cfgs"
echo "run_bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); measurements in $out"
run_gan() {   # $1 binary, $2 setting label, $3 model, $4 iterations, $5 warm-up, $6 rep
    line=$("$1" bench --model "$3" --batch "$batch" --iters "$4" --warmup "$5" --threads "$threads" --json)
    echo "$line" | sed "s/^{/{\"rep\": $6, \"setting\": \"$2\", /" >> "$out"
    printf '  rep %d %-8s %-14s %s\n' "$6" "$3" "$2" "$(echo "$line" | show)"
}
r=1
while [ "$r" -le "$reps" ]; do
    for m in $models; do
        n=$(iters_of "$m")
        w=$(warmup_of "$m")
        [ -n "$baseline" ] && run_gan "$baseline" baseline "$m" "$n" "$w" "$r"
        ran=0
        for cfg in $torch_cfgs; do
            ob=${cfg%%-*}
            ob=${ob#ob}
            ct=${cfg#*-}
            [ "$m" = mlp ] && [ "$ct" = native ] && continue   # no conv-transpose in the MLP
            # gan.c right before each PyTorch setting: both sides are sampled as often, and
            # each pair close together in time (the machine's load moves within seconds)
            run_gan "$gan" gan.c "$m" "$n" "$w" "$r"
            ran=1
            line=$(OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=$ob "$python" bench/torch_bench.py \
                   --model "$m" --batch "$batch" --iters "$n" --warmup "$w" --threads "$threads" \
                   --convT "$ct" --json)
            echo "$line" | sed "s/^{/{\"rep\": $r, \"setting\": \"$cfg\", /" >> "$out"
            printf '  rep %d %-8s pytorch %-6s %s\n' "$r" "$m" "$cfg" \
                "$(echo "$line" | show)"
        done
        [ "$ran" = 1 ] || run_gan "$gan" gan.c "$m" "$n" "$w" "$r"
    done
    r=$((r + 1))
done
echo "run_bench: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" bench/bench_table.py "$out"
