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
fuzz_spec)
    # the zoo, and small nets that the target also runs forward (its caps: 2^15 params)
    for m in models/*.json; do cp "$m" "$corpus/seed_$(basename "$m")"; done
    for m in dcgan resnet; do   # the same nets, small enough to run forward
        sed -E 's/"(nz|ngf|ndf)": [0-9]+/"\1": 2/g; s/"channels": 3/"channels": 1/; s/"size": 64/"size": 32/' \
            "models/$m.json" > "$corpus/seed_small_$m.json"
    done
    seed s1 '{"params":{"nz":4,"size":4,"sn":true},"let":{"h":"size == 4 ? 2 : log2(size)"},"nets":[{"name":"G","inputs":{"z":["nz"]},"blocks":[{"block":"linear","name":"main.0","out":"h*size"},{"block":"leaky_relu"},{"block":"reshape","shape":[-1,"size"]},{"block":"flatten"},{"block":"linear","out":"size*size","sn":"sn"},{"block":"tanh"}]}]}'
    seed s2 '{"params":{"c":1,"ndf":2,"d_norm":"layer"},"nets":[{"name":"D","init":"dcgan","inputs":{"image":["c",8,8]},"blocks":[{"block":"conv","name":"main.0","out":"ndf","k":4,"stride":2,"pad":1,"bias":false,"sn":true},{"block":"norm","kind":"$d_norm","act":"leaky_relu","inplace":true},{"block":"repeat","var":"i","count":2,"blocks":[{"block":"conv","name":"b.{i}","out":"ndf << i","k":3,"pad":1,"when":"i < 1 || ndf > 1"},{"block":"avg_pool","k":2}]},{"block":"global_sum_pool"},{"block":"linear","out":1}]}]}'
    seed s3 '{"nets":[{"name":"G","inputs":{"z":[4],"y":[]},"blocks":[{"block":"embedding","in":"y","num":3,"dim":2,"as":"e"},{"block":"concat","in":["z","e"]},{"block":"linear","out":16},{"block":"reshape","shape":[1,4,4]},{"block":"res_up","out":2},{"block":"conv_transpose","out":1,"k":3,"stride":2,"pad":1,"out_pad":1},{"block":"upsample","factor":2},{"block":"dropout","p":0.25},{"block":"norm","kind":"batch","act":"relu"},{"block":"res_down","out":2,"first":true,"sn":true,"sn_stream":9},{"block":"norm","kind":"instance"},{"block":"sigmoid"}]}]}'
    ;;
esac
/usr/bin/time -f "$name: %U s user, %S s system, %e s wall" \
    nice -n 10 "build-fuzz/$name" -max_total_time="$secs" -print_final_stats=1 "$@" "$corpus"
