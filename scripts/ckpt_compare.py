#!/usr/bin/env python3
"""ckpt_compare.py A.safetensors B.safetensors — compares two gan.c checkpoints tensor by
tensor (raw bytes, then max abs / max relative difference) and their __metadata__.

Stdlib only: a safetensors file is an 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw data.

Prints one line per differing or missing tensor and ends with
    bitcheck: N tensors, M identical, K differ (max rel X)
Exit status 0 only when every tensor is present on both sides with identical bytes and every
metadata key both sides have holds the same value (keys whose name mentions time are
skipped; a key only one side has is listed but not counted: a newer writer may add keys).
"""
import json
import math
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I64": "q", "I32": "i", "U8": "B", "I8": "b",
           "I16": "h", "U16": "H", "BOOL": "?"}
TIME_WORDS = ("time", "seconds", "date")


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        if not (0 <= a <= b <= len(data)):
            raise ValueError(f"{path}: tensor {name} has offsets {a}..{b} outside the data")
        tensors[name] = (info["dtype"], tuple(info["shape"]), data[a:b])
    return tensors, meta


def values(dtype, blob):
    fmt = FORMATS.get(dtype)
    if fmt is None:
        return None
    size = struct.calcsize(fmt)
    return struct.unpack(f"<{len(blob) // size}{fmt}", blob)


def diff(a, b):
    """(max abs, max rel) between two equally typed tensors; rel = |a-b| / max(|a|, |b|)."""
    va, vb = values(a[0], a[2]), values(b[0], b[2])
    if va is None or vb is None or len(va) != len(vb):
        return math.inf, math.inf
    mabs = mrel = 0.0
    for x, y in zip(va, vb):
        x, y = float(x), float(y)
        if x == y:
            continue
        if math.isnan(x) or math.isnan(y):
            return math.inf, math.inf
        d = abs(x - y)
        mabs = max(mabs, d)
        mrel = max(mrel, d / max(abs(x), abs(y)))
    return mabs, mrel


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        ta, ma = load(argv[1])
        tb, mb = load(argv[2])
    except (OSError, ValueError, KeyError) as e:
        print(f"ckpt_compare: {e}", file=sys.stderr)
        return 2
    names = sorted(set(ta) | set(tb))
    same = differ = 0
    worst = 0.0
    for name in names:
        if name not in ta or name not in tb:
            print(f"  {name}: only in {argv[1] if name in ta else argv[2]}")
            differ += 1
            worst = math.inf
            continue
        a, b = ta[name], tb[name]
        if a == b:
            same += 1
            continue
        differ += 1
        if a[0] != b[0] or a[1] != b[1]:
            print(f"  {name}: {a[0]}{list(a[1])} vs {b[0]}{list(b[1])}")
            worst = math.inf
            continue
        mabs, mrel = diff(a, b)
        worst = max(worst, mrel)
        print(f"  {name}: max abs {mabs:.3g}, max rel {mrel:.3g}")
    meta_bad = 0
    for key in sorted(set(ma) | set(mb)):
        if any(w in key.lower() for w in TIME_WORDS):
            continue
        if key not in ma or key not in mb:
            print(f"  metadata {key}: only in {argv[1] if key in ma else argv[2]} (not counted)")
        elif ma[key] != mb[key]:
            print(f"  metadata {key}: '{ma[key][:80]}' vs '{mb[key][:80]}'")
            meta_bad += 1
    tail = f", {meta_bad} metadata values differ" if meta_bad else ""
    print(f"bitcheck: {len(names)} tensors, {same} identical, {differ} differ (max rel {worst:.3g}){tail}")
    return 0 if differ == 0 and meta_bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
