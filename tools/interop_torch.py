#!/usr/bin/python3
"""Load a gan.c checkpoint into the equivalent PyTorch modules and check G against gan.c.

    /usr/bin/python3 tools/interop_torch.py RUN/checkpoints/latest.safetensors \
        [--gan build/gan] [--n 16] [--seed 3] [--export G.pt]

What it does:
  1. Reads the safetensors file with its own few lines (8-byte little-endian header length,
     a JSON header, then raw little-endian tensor bytes), so the `safetensors` package is
     not needed.
  2. Builds the PyTorch twin of the model named in the metadata (gan.model = mlp | dcgan28 |
     dcgan, sized by gan.nz, gan.channels, gan.size, gan.ngf, gan.ndf): G and D are modules
     holding an nn.Sequential called `main`, so their state_dict names are exactly the
     checkpoint's "G.<name>" / "D.<name>" without the prefix. Both are loaded with
     load_state_dict(strict=True) and put in eval mode (BatchNorm uses running statistics).
  3. Runs `gan sample CKPT --n N --seed S --out x.npy --float --save-z z.npy`, computes
     G(z) in PyTorch on the same z and prints the largest absolute and relative differences.
     Exit status 0 when the max absolute difference is <= --tol (1e-4), 1 otherwise, 2 on
     errors (unreadable checkpoint, state_dict mismatch, gan sample failing).

--export OUT.pt also saves G's state_dict with torch.save, for PyTorch users
(load it into the module `build_models(meta)[0]` of this file, or the same layers written
out by hand). --no-compare skips step 3 (no gan binary needed).

D has no command-line path in gan.c yet, so only its strict state_dict load is checked.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

# Passive OpenMP waiting: the build machines are shared and oversubscribed. Set before torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn

FORMAT = "gan.c-checkpoint-1"

# safetensors dtype -> numpy dtype (little-endian). BF16 has no numpy type: read as <u2.
ST_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}


class CheckpointError(Exception):
    pass


def read_safetensors(path):
    """Returns (tensors: dict name -> numpy array, metadata: dict of str)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise CheckpointError(f"{path}: too short for a safetensors file ({len(blob)} bytes)")
    (hlen,) = struct.unpack("<Q", blob[:8])
    if hlen > len(blob) - 8:
        raise CheckpointError(f"{path}: header length {hlen} runs past the end of the file "
                              "(not a safetensors file?)")
    try:
        header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: header is not valid JSON: {e}") from None
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + hlen:]
    tensors = {}
    for name, info in header.items():
        dt = info.get("dtype")
        if dt not in ST_DTYPES:
            raise CheckpointError(f"{path}: tensor {name}: unsupported dtype {dt}")
        shape = [int(s) for s in info["shape"]]
        a, b = (int(o) for o in info["data_offsets"])
        npdt = np.dtype(ST_DTYPES[dt])
        count = int(np.prod(shape)) if shape else 1
        if b > len(data) or a > b or b - a != count * npdt.itemsize:
            raise CheckpointError(f"{path}: tensor {name}: data_offsets [{a},{b}) do not fit "
                                  f"shape {shape} {dt} in {len(data)} data bytes")
        arr = np.frombuffer(data[a:b], dtype=npdt).reshape(shape).copy()
        if dt == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = arr
    return tensors, meta


def model_config(meta, path):
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: __metadata__ format is {meta.get('format')!r}, "
                              f"expected {FORMAT!r} (not a gan.c checkpoint?)")
    cfg = {"model": meta.get("gan.model")}
    if cfg["model"] not in ("mlp", "dcgan28", "dcgan"):
        raise CheckpointError(f"{path}: unknown gan.model {cfg['model']!r}")
    for k in ("nz", "channels", "size", "ngf", "ndf"):
        v = meta.get("gan." + k)
        try:
            cfg[k] = int(v)
        except (TypeError, ValueError):
            if k in ("ngf", "ndf") and cfg["model"] != "dcgan":
                cfg[k] = 64  # unused by mlp / dcgan28
                continue
            raise CheckpointError(f"{path}: metadata gan.{k} = {v!r} is not an integer") from None
    return cfg


# ---------------------------------------------------------------------------------------
# The PyTorch twins of src/gan/models.c. Sequential indices must match the C names.
# ---------------------------------------------------------------------------------------
class Net(nn.Module):
    """`main` plus an optional reshape of the output (mlp G emits a flat vector)."""

    def __init__(self, main, out_shape=None, in_shape=None):
        super().__init__()
        self.main = main
        self.out_shape = out_shape
        self.in_shape = in_shape

    def forward(self, x):
        if self.in_shape is not None:
            x = x.reshape(x.shape[0], *self.in_shape)
        y = self.main(x)
        if self.out_shape is not None:
            y = y.reshape(y.shape[0], *self.out_shape)
        return y


def build_models(cfg):
    """Returns (G, D) for cfg (from model_config). G: z (N,nz) -> (N,C,H,W) in [-1,1];
    D: (N,C,H,W) -> logits (N,1) (no sigmoid: gan.c trains with BCE-with-logits)."""
    nz, C, S = cfg["nz"], cfg["channels"], cfg["size"]
    lrelu = lambda: nn.LeakyReLU(0.2)
    if cfg["model"] == "mlp":
        img = C * S * S
        G = Net(nn.Sequential(
            nn.Linear(nz, 256), lrelu(), nn.Linear(256, 512), lrelu(),
            nn.Linear(512, 1024), lrelu(), nn.Linear(1024, img), nn.Tanh()), out_shape=(C, S, S))
        # flattening happens in Net.forward: models.c names D's linears main.0/2/4
        D = Net(nn.Sequential(
            nn.Linear(img, 512), lrelu(), nn.Linear(512, 256), lrelu(), nn.Linear(256, 1)),
            in_shape=(img,))
        return G, D
    if cfg["model"] == "dcgan28":
        G = Net(nn.Sequential(
            nn.Linear(nz, 128 * 7 * 7),                              # main.0
            nn.Unflatten(1, (128, 7, 7)),                            # main.1
            nn.BatchNorm2d(128), nn.ReLU(),                          # main.2, 3
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=True),         # main.4
            nn.BatchNorm2d(64), nn.ReLU(),                           # main.5, 6
            nn.ConvTranspose2d(64, C, 4, 2, 1, bias=True),           # main.7
            nn.Tanh()))                                              # main.8
        D = Net(nn.Sequential(
            nn.Conv2d(C, 64, 4, 2, 1, bias=True), lrelu(),           # main.0, 1
            nn.Conv2d(64, 128, 4, 2, 1, bias=True),                  # main.2
            nn.BatchNorm2d(128), lrelu(),                            # main.3, 4
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1)))                # main.5, 6
        return G, D
    # dcgan: pytorch/examples' DCGAN for size = 4 * 2^L, no biases.
    L = 0
    while (4 << L) < S:
        L += 1
    if (4 << L) != S or L < 1:
        raise CheckpointError(f"dcgan needs size 32, 64 or 128, got {S}")
    mult = 1 << (L - 1)
    g, cin = [], nz
    for i in range(L + 1):
        last = i == L
        cout = C if last else cfg["ngf"] * (mult >> i)
        g.append(nn.ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False))
        g += [nn.Tanh()] if last else [nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    d, cin = [], C
    for i in range(L + 1):
        last = i == L
        cout = 1 if last else cfg["ndf"] * (1 << i)
        d.append(nn.Conv2d(cin, cout, 4, 1 if last else 2, 0 if last else 1, bias=False))
        if 0 < i < L:
            d.append(nn.BatchNorm2d(cout))
        if not last:
            d.append(lrelu())
        cin = cout
    G = Net(nn.Sequential(*g), in_shape=(nz, 1, 1))
    D = Net(nn.Sequential(*d), out_shape=(1,))
    return G, D


def load_net(net, prefix, tensors, path):
    """load_state_dict(strict=True) from the checkpoint's `prefix.`-named tensors."""
    want = net.state_dict()
    sd = {}
    for name, arr in tensors.items():
        if not name.startswith(prefix + "."):
            continue
        key = name[len(prefix) + 1:]
        t = torch.from_numpy(np.ascontiguousarray(arr))
        if key in want:
            # gan.c stores num_batches_tracked as shape (1,), torch as a 0-d tensor
            if key.endswith("num_batches_tracked") and t.numel() == 1:
                t = t.reshape(want[key].shape)
            if tuple(t.shape) != tuple(want[key].shape):
                raise CheckpointError(f"{path}: {name} has shape {tuple(t.shape)}, the PyTorch "
                                      f"module expects {tuple(want[key].shape)}")
            t = t.to(want[key].dtype)  # num_batches_tracked: F32 in the file, int64 in torch
        sd[key] = t
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{path}: {prefix} does not load strictly into the PyTorch "
                              f"module:\n{e}") from None
    net.eval()
    return len(sd)


def default_gan():
    env = os.environ.get("GAN")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    local = os.path.join(root, "build", "gan")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("gan") or local


def compare(args, G):
    with tempfile.TemporaryDirectory(prefix="gan-interop-") as tmp:
        xp, zp = os.path.join(tmp, "x.npy"), os.path.join(tmp, "z.npy")
        cmd = [args.gan, "sample", args.ckpt, "--n", str(args.n), "--seed", str(args.seed),
               "--out", xp, "--float", "--save-z", zp, "--threads", str(args.threads)]
        print("running:", " ".join(cmd), flush=True)
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise CheckpointError(f"cannot run {args.gan}: {e} (pass --gan PATH)") from None
        if r.returncode != 0:
            raise CheckpointError(f"gan sample failed (exit {r.returncode}):\n{r.stderr.strip()}")
        x_c = np.load(xp)
        z = np.load(zp)
    if z.dtype != np.float32 or x_c.dtype != np.float32:
        raise CheckpointError(f"gan sample wrote {z.dtype}/{x_c.dtype}, expected float32")
    with torch.no_grad():
        x_t = G(torch.from_numpy(z)).numpy()
        # float64 twin: how much of the gap is float32 rounding on the PyTorch side alone
        x_64 = G.double()(torch.from_numpy(z).double()).numpy()
        G.float()
    if x_t.shape != x_c.shape:
        raise CheckpointError(f"shape mismatch: gan.c {x_c.shape}, PyTorch {x_t.shape}")
    d = np.abs(x_t.astype(np.float64) - x_c.astype(np.float64))
    max_abs = float(d.max())
    max_rel = float((d / np.maximum(np.abs(x_t.astype(np.float64)), 1e-3)).max())
    d64 = float(np.abs(x_64 - x_c.astype(np.float64)).max())
    print(f"G output {tuple(x_c.shape)}, z {tuple(z.shape)}, |x| max {float(np.abs(x_c).max()):.4f}")
    print(f"max abs diff   gan.c vs torch f32: {max_abs:.3e}   (mean {float(d.mean()):.3e})")
    print(f"max rel diff   gan.c vs torch f32: {max_rel:.3e}   (|diff| / max(|torch|, 1e-3))")
    print(f"max abs diff   gan.c vs torch f64: {d64:.3e}")
    if not np.isfinite(max_abs) or max_abs > args.tol:
        print(f"FAIL: gan.c and PyTorch G outputs differ by {max_abs:.3e} > tolerance {args.tol:g}",
              file=sys.stderr)
        return 1
    print(f"OK: gan.c and PyTorch agree within {args.tol:g}")
    return 0


def main():
    p = argparse.ArgumentParser(
        description="Load a gan.c checkpoint into the equivalent PyTorch G and D and check "
                    "that G(z) matches gan.c's `gan sample` output for the same z.")
    p.add_argument("ckpt", help="gan.c checkpoint (e.g. RUN/checkpoints/latest.safetensors)")
    p.add_argument("--gan", default=default_gan(),
                   help="path to the gan binary [$GAN, else build/gan, else gan on PATH]")
    p.add_argument("--n", type=int, default=16, help="number of samples to compare [16]")
    p.add_argument("--seed", type=int, default=3, help="noise seed passed to gan sample [3]")
    p.add_argument("--tol", type=float, default=1e-4, help="max abs difference allowed [1e-4]")
    p.add_argument("--threads", type=int, default=1, help="threads for gan sample and torch [1]")
    p.add_argument("--export", metavar="OUT.pt", help="also save G's state_dict (torch.save)")
    p.add_argument("--no-compare", action="store_true",
                   help="only load (and --export); do not run gan sample")
    args = p.parse_args()
    if args.n < 1:
        p.error("--n must be at least 1")
    torch.set_num_threads(max(1, args.threads))
    try:
        tensors, meta = read_safetensors(args.ckpt)
        cfg = model_config(meta, args.ckpt)
        G, D = build_models(cfg)
        ng = load_net(G, "G", tensors, args.ckpt)
        nd = load_net(D, "D", tensors, args.ckpt)
        other = sorted({n.split(".")[0] for n in tensors} - {"G", "D", "optim"})
        print(f"{args.ckpt}: model {cfg['model']} nz={cfg['nz']} channels={cfg['channels']} "
              f"size={cfg['size']}" + (f" ngf={cfg['ngf']} ndf={cfg['ndf']}"
                                        if cfg["model"] == "dcgan" else ""))
        print(f"loaded G ({ng} tensors) and D ({nd} tensors) with strict=True"
              + (f"; ignored top-level groups: {', '.join(other)}" if other else ""))
        if args.export:
            torch.save(G.state_dict(), args.export)
            print(f"wrote G's state_dict to {args.export}")
        if args.no_compare:
            return 0
        return compare(args, G)
    except (CheckpointError, OSError) as e:
        print(f"interop_torch: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
