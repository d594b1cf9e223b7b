#!/bin/sh
# install-deps.sh — installs the Debian packages gan.c builds and runs with.
#
#   scripts/install-deps.sh          compiler, pkg-config, OpenBLAS, LAPACKE, zlib, libpng,
#                                    libjpeg, cJSON, FFTW3, eSpeak NG, librsvg, the Fashion-MNIST data set,
#                                    and the EmojiOne PNGs and CLDR annotations (gan data emoji)
#   scripts/install-deps.sh --torch  also PyTorch, NumPy and SciPy (only needed to regenerate
#                                    test fixtures or run the PyTorch benchmarks)
#
# Asks dpkg first and does nothing when every package is already there, so it is cheap to run
# before every build. Uses apt-get as root, or through sudo otherwise.
set -eu

pkgs="build-essential pkg-config libopenblas-dev liblapacke-dev zlib1g-dev libpng-dev
libcjson-dev libjpeg-dev libfftw3-dev libespeak-ng-dev espeak-ng-data dataset-fashion-mnist librsvg2-dev ruby-gemojione unicode-cldr-core"
torch_pkgs="python3-torch python3-numpy python3-scipy"

for arg in "$@"; do
    case $arg in
    --torch) pkgs="$pkgs $torch_pkgs" ;;
    -h|--help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $pkgs; do
    # "install ok installed" is the only state in which a package's files are all there
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-deps: missing:$missing" >&2
    echo "install-deps: not root and no sudo; install them as root with apt-get" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
# a fresh machine has no package lists yet; update once, only when something is missing
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"
