#!/bin/sh
# fetch-emoji.sh — puts the npm emoji packages `gan data emoji` reads into the cache.
#
#   scripts/fetch-emoji.sh     fetch (or check) emoji-datasource-google@16.0.0,
#                              emoji-datasource-twitter@16.0.0 and openmoji@17.0.0
#
# Each package is fetched with `npm pack NAME@VERSION` (pinned versions, the npm registry
# only) and unpacked into ${GAN_CACHE:-$HOME/.cache/gan}/npm/NAME-VERSION/package/. A package
# counts as present when a ".complete" marker is there and its file counts still match, so a
# second run fetches nothing. Unpacking goes to a temporary folder renamed into place at the
# end: an interrupted run leaves no half-unpacked package. Prints each package's size and the
# time taken. Needs npm and tar; nothing else (the EmojiOne PNGs and CLDR keywords come from
# the Debian packages ruby-gemojione and unicode-cldr-core, see scripts/install-deps.sh).
set -eu

for arg in "$@"; do
    case $arg in
    -h|--help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0 ;;
    *) echo "fetch-emoji.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

cache="${GAN_CACHE:-$HOME/.cache/gan}/npm"
mkdir -p "$cache"
t0=$(date +%s)

# count_files DIR GLOB: files matching GLOB directly in DIR
count_files() {
    find "$1" -maxdepth 1 -name "$2" -type f 2>/dev/null | wc -l | tr -d ' '
}

# check NAME-VERSION: 0 when every expected folder holds at least its minimum count.
# The minimums are the counts of these pinned versions (checked when they were pinned);
# a truncated unpack falls short of them.
check() {
    d="$cache/$1/package"
    case $1 in
    emoji-datasource-google-*) want="img/google/64:*.png:3700" ;;
    emoji-datasource-twitter-*) want="img/twitter/64:*.png:3700" ;;
    openmoji-*) want="color/svg:*.svg:4400 black/svg:*.svg:4400" ;;
    esac
    for w in $want; do
        sub=${w%%:*}; rest=${w#*:}; glob=${rest%%:*}; min=${rest#*:}
        n=$(count_files "$d/$sub" "$glob")
        if [ "$n" -lt "$min" ]; then
            echo "fetch-emoji: $1: $sub has $n files, expected at least $min" >&2
            return 1
        fi
        echo "fetch-emoji: $1: $sub: $n files"
    done
    case $1 in
    openmoji-*) [ -s "$d/data/openmoji.json" ] ;;
    *) [ -s "$d/emoji.json" ] ;;
    esac
}

fetch() {
    name=$1 version=$2
    dir="$cache/$name-$version"
    if [ -f "$dir/.complete" ] && check "$name-$version" >/dev/null; then
        echo "fetch-emoji: $name@$version already in $dir ($(du -sh "$dir" | cut -f1))"
        return 0
    fi
    tmp=$(mktemp -d "$cache/.$name-$version.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
    tgz=$(ls "$tmp"/*.tgz)
    tar -xzf "$tgz" -C "$tmp"
    rm -f "$tgz"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
    if ! check "$name-$version"; then
        echo "fetch-emoji: $name@$version: unexpected contents in $dir" >&2
        exit 1
    fi
    touch "$dir/.complete"
    echo "fetch-emoji: $name@$version -> $dir ($(du -sh "$dir" | cut -f1))"
}

command -v npm >/dev/null 2>&1 || { echo "fetch-emoji: npm not found (apt-get install npm)" >&2; exit 1; }
fetch emoji-datasource-google 16.0.0
fetch emoji-datasource-twitter 16.0.0
fetch openmoji 17.0.0
echo "fetch-emoji: done in $(( $(date +%s) - t0 )) s; cache $cache ($(du -sh "$cache" | cut -f1))"
