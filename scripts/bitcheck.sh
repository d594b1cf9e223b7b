#!/usr/bin/env bash
# bitcheck.sh [BASE_REV] [RECIPE...] — trains the same recipes with the gan of BASE_REV
# (default f7fb6d6, the commit before issue 14's work) and with the current tree, then compares
# every tensor and the metadata of the two final checkpoints (scripts/ckpt_compare.py).
# RECIPEs: demo, wgan-gp, resnet (default: all three). One summary line per recipe; exit 1 on
# any difference.
#
# BASE_REV is built in a git worktree under .cache/bitcheck/base (kept and reused); its
# checkpoints are kept too, keyed by the commit and the recipe's flags, so a second run only
# trains the current tree. Runs are niced: the machine is shared.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
base_rev=${1:-f7fb6d6}
[ $# -gt 0 ] && shift
recipes=("$@")
[ ${#recipes[@]} -eq 0 ] && recipes=(demo wgan-gp resnet)
base_sha=$(git rev-parse --verify "$base_rev^{commit}")
cache=$root/.cache/bitcheck
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || data=fashion-mnist

# the recipes: README.md's demo, --preset wgan-gp, the README's hinge + SN pyramid ResNet
common=(--data fashion-mnist --seed 7 --threads 2)
flags_of() {
    case $1 in
    demo) echo --model dcgan --steps 200 --sample-every 100 --ckpt-every 250 ;;
    wgan-gp) echo --model dcgan --preset wgan-gp --steps 100 --sample-every 100 --ckpt-every 250 ;;
    resnet) echo --model resnet --pyramid --ngf 16 --ndf 16 --loss hinge --sn --d-norm none \
                 --n-critic 1 --batch 32 --lr 2e-4 --beta1 0.5 --beta2 0.999 --ema 0.999 \
                 --steps 100 --sample-every 100 --ckpt-every 250 ;;
    *) echo "bitcheck: unknown recipe '$1' (expected demo, wgan-gp or resnet)" >&2; return 2 ;;
    esac
}
for r in "${recipes[@]}"; do flags_of "$r" >/dev/null; done

# the base binary
base=$cache/base
if [ ! -d "$base" ]; then
    mkdir -p "$cache"
    git worktree add --detach "$base" "$base_sha" >/dev/null
elif [ "$(git -C "$base" rev-parse HEAD)" != "$base_sha" ]; then
    git -C "$base" checkout --quiet --detach "$base_sha"
fi
echo "bitcheck: building $base_rev (${base_sha:0:7}) in $base" >&2
nice -n 10 make -C "$base" -j2 build/gan >/dev/null
echo "bitcheck: building the current tree" >&2
nice -n 10 make -j2 build/gan >/dev/null

# train RECIPE with BIN into DIR unless DIR already holds that recipe's final checkpoint
train() {
    local bin=$1 dir=$2 recipe=$3 flags
    flags="$(flags_of "$recipe") ${common[*]}"
    if [ -f "$dir/checkpoints/latest.safetensors" ] && [ "$(cat "$dir/bitcheck.flags" 2>/dev/null)" = "$flags" ]; then
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    # shellcheck disable=SC2086
    if ! nice -n 10 "$bin" train $flags --out "$dir" >"$dir.log" 2>&1; then
        echo "bitcheck: $recipe: $bin failed (log: $dir.log):" >&2
        tail -3 "$dir.log" >&2
        return 1
    fi
    echo "$flags" >"$dir/bitcheck.flags"
}

status=0
for r in "${recipes[@]}"; do
    old=$cache/runs/base-$base_sha/$r
    new=$cache/runs/current/$r
    rm -rf "$new"   # the current tree is always retrained
    if ! train "$base/build/gan" "$old" "$r" || ! train "$root/build/gan" "$new" "$r"; then
        echo "bitcheck $r: FAILED to train"
        status=1
        continue
    fi
    if out=$(python3 scripts/ckpt_compare.py "$old/checkpoints/latest.safetensors" \
                                             "$new/checkpoints/latest.safetensors"); then
        echo "bitcheck $r: $(tail -1 <<<"$out")"
    else
        sed '$d' <<<"$out" | head -20
        echo "bitcheck $r: $(tail -1 <<<"$out")  DIFFERENT"
        status=1
    fi
done
exit $status
