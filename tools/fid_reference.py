#!/usr/bin/python3
"""Independent FID judge for Fashion-MNIST samples (PyTorch + scipy).

FID here is the Frechet distance between Gaussians fitted to the 128-D
penultimate-layer features of a compact Fashion-MNIST CNN classifier, for
(a) the 10,000 Fashion-MNIST test images and (b) the samples being judged:

    FID = |mu_r - mu_s|^2 + Tr(S_r + S_s - 2 (S_r S_s)^(1/2))

computed in float64, with scipy.linalg.sqrtm (real part taken). Lower is
better; the numbers are only comparable with other numbers from this script
and this cached classifier (they are NOT Inception-FIDs).

The classifier is trained once (fixed seed) on 50,000 of the 60,000 training
images; the other 10,000 (a fixed random subset) are held out so that
`--real-floor` can measure the FID of genuine images the classifier never saw
against the test set -- the best score a perfect generator could expect at
N = 10,000. It is cached in <repo>/.cache/fid_classifier.pt (git-ignored);
delete the file or pass --retrain to rebuild it.

Usage:
    /usr/bin/python3 tools/fid_reference.py SAMPLES.npy [--json]
    /usr/bin/python3 tools/fid_reference.py --real-floor [--json]

SAMPLES.npy: uint8 array N x 28 x 28 (or N x 1 x 28 x 28), 0 = black
background as in Fashion-MNIST, e.g. from `gan sample --out s.npy` or
bench/torch_dcgan28.py.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

# libgomp's default spin-waiting makes PyTorch 3-4x slower when the machine is
# oversubscribed (other builds/tests running on the same 2 cores); passive
# waiting costs nothing when the machine is idle. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, ".cache", "fid_classifier.pt")
DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
ARCH_VERSION = 1          # bump when the classifier or its training changes
HOLDOUT_SEED = 20240601   # fixes which 10,000 training images are held out
N_HOLDOUT = 10000
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST pixel statistics (x/255)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def load_idx(path):
    """Read an IDX file (gzip'd or not): images (magic 0x803) or labels (0x801)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        h, w = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w)
    if magic == 0x801:
        return np.frombuffer(raw, np.uint8, offset=8).reshape(n)
    raise ValueError(f"{path}: unknown IDX magic 0x{magic:x}")


def load_fmnist(data_dir):
    d = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        d[split + "_x"] = load_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
        d[split + "_y"] = load_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    perm = np.random.RandomState(HOLDOUT_SEED).permutation(len(d["train_x"]))
    d["fit_idx"], d["holdout_idx"] = perm[:-N_HOLDOUT], perm[-N_HOLDOUT:]
    return d


def to_input(u8):
    """uint8 N x 28 x 28 -> normalised float tensor N x 1 x 28 x 28."""
    x = torch.from_numpy(np.array(u8, np.float32)).div_(255.0)
    return x.sub_(MEAN).div_(STD).unsqueeze(1)


# ---------------------------------------------------------------------------
# Classifier
# ---------------------------------------------------------------------------
class FeatureCNN(nn.Module):
    """Small VGG-style CNN; `features` returns the 128-D penultimate layer
    (after BatchNorm + ReLU), `forward` the 10 class logits."""

    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        self.conv = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128),  # 28->14->7->3
                                  nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(128 * 3 * 3, 128, bias=False), nn.BatchNorm1d(128),
                                nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, 10))

    def features(self, x):
        return self.fc(self.conv(x))

    def forward(self, x):
        return self.head(self.features(x))


def augment(x, gen):
    """Random horizontal flip and an integer shift of up to +-2 px per image."""
    b = x.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    shift = torch.randint(-2, 3, (b, 2), generator=gen).float() * (2.0 / 28.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    # padding with the normalised value of a black pixel
    bg = -MEAN / STD
    return F.grid_sample(x - bg, grid, mode="nearest", padding_mode="zeros",
                         align_corners=False) + bg


@torch.no_grad()
def predict(model, u8, batch=1000):
    """Features (float64 numpy, N x 128) and softmax probabilities (N x 10)."""
    model.eval()
    feats, probs = [], []
    for i in range(0, len(u8), batch):
        f = model.features(to_input(u8[i:i + batch]))
        feats.append(f.double())
        probs.append(F.softmax(model.head(f), dim=1).double())
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def accuracy(model, x, y):
    _, p = predict(model, x)
    return float((p.argmax(1) == y).mean())


def train_classifier(d, epochs, batch=128, lr=3e-3, log=print):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = FeatureCNN()
    x_all = to_input(d["train_x"][d["fit_idx"]])
    y_all = torch.from_numpy(d["train_y"][d["fit_idx"]].astype(np.int64))
    n = len(x_all)
    steps_per_epoch = n // batch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch)
    t0 = time.perf_counter()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot, correct = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * batch:(s + 1) * batch]
            xb, yb = augment(x_all[idx], gen), y_all[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
        acc = accuracy(model, d["test_x"], d["test_y"])
        log(f"  epoch {ep + 1}/{epochs}: train loss {tot / (steps_per_epoch * batch):.4f} "
            f"train acc {correct / (steps_per_epoch * batch):.4f}  test acc {acc:.4f}  "
            f"({time.perf_counter() - t0:.0f} s)")
    return model, acc, time.perf_counter() - t0


def get_classifier(d, retrain=False, epochs=8, log=print):
    """Load the cached classifier, or train and cache it."""
    if not retrain and os.path.exists(CACHE):
        ck = torch.load(CACHE)
        if ck.get("arch_version") == ARCH_VERSION and ck.get("holdout_seed") == HOLDOUT_SEED:
            model = FeatureCNN()
            model.load_state_dict(ck["state_dict"])
            model.eval()
            return model, ck
        log(f"{CACHE}: stale (arch/holdout changed), retraining")
    log(f"training the FID classifier ({epochs} epochs on {len(d['fit_idx'])} images; "
        f"cached afterwards in {CACHE})")
    model, acc, secs = train_classifier(d, epochs, log=log)
    ck = dict(state_dict=model.state_dict(), arch_version=ARCH_VERSION,
              holdout_seed=HOLDOUT_SEED, test_acc=acc, epochs=epochs, train_s=secs,
              torch=torch.__version__)
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    tmp = CACHE + ".tmp"
    torch.save(ck, tmp)
    os.replace(tmp, CACHE)
    model.eval()
    return model, ck


# ---------------------------------------------------------------------------
# FID
# ---------------------------------------------------------------------------
def gaussian_stats(feats):
    feats = np.asarray(feats, np.float64)
    return feats.mean(0), np.cov(feats, rowvar=False)


def frechet_distance(mu1, s1, mu2, s2, eps=1e-6):
    """Frechet distance between N(mu1, s1) and N(mu2, s2), float64 (as pytorch-fid)."""
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularise
        off = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = np.real(covmean)
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def load_samples(path):
    a = np.load(path)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        sys.exit(f"{path}: expected N x 28 x 28 (or N x 1 x 28 x 28), got {a.shape}")
    if a.dtype != np.uint8:
        sys.exit(f"{path}: expected uint8, got {a.dtype}")
    return a


def judge(model, ref_stats, u8):
    """FID against the test set plus the predicted-class statistics."""
    feats, probs = predict(model, u8)
    fid = frechet_distance(*ref_stats, *gaussian_stats(feats))
    pred = probs.argmax(1)
    hist = np.bincount(pred, minlength=10)
    return dict(n=int(len(u8)), fid=fid,
                class_hist={c: int(h) for c, h in zip(CLASSES, hist)},
                classes_present=int((hist > 0).sum()),
                min_class_frac=float(hist.min() / len(u8)),
                mean_max_softmax=float(probs.max(1).mean()))


def format_result(name, r):
    lines = [f"{name}: FID {r['fid']:.3f}  (N={r['n']}, mean max-softmax "
             f"{r['mean_max_softmax']:.4f}, {r['classes_present']}/10 classes present, "
             f"rarest {100 * r['min_class_frac']:.2f}%)"]
    for c, h in r["class_hist"].items():
        lines.append(f"    {c:12s} {h:6d}  {100 * h / r['n']:5.2f}%")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="FID of Fashion-MNIST samples (uint8 N x 28 x 28 .npy) against the "
                    "10,000 test images, in the feature space of a cached Fashion-MNIST "
                    "CNN classifier; also the predicted class histogram.")
    p.add_argument("samples", nargs="?", help="samples .npy (uint8 N x 28 x 28)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--real-floor", action="store_true",
                   help="also report FID of the 10,000 held-out training images (floor) "
                        "and of uniform noise (scale)")
    p.add_argument("--data-dir", default=DATA_DIR, help=f"Fashion-MNIST dir (default {DATA_DIR})")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--retrain", action="store_true", help="retrain the cached classifier")
    p.add_argument("--epochs", type=int, default=8,
                   help="classifier epochs when (re)training (default 8)")
    args = p.parse_args(argv)
    if args.samples is None and not args.real_floor:
        p.error("give SAMPLES.npy and/or --real-floor")
    torch.set_num_threads(args.threads)

    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else \
        (lambda *a: print(*a, flush=True))
    d = load_fmnist(args.data_dir)
    model, ck = get_classifier(d, args.retrain, args.epochs, log)
    ref_feats, _ = predict(model, d["test_x"])
    ref_stats = gaussian_stats(ref_feats)

    out = dict(classifier=dict(path=CACHE, test_acc=ck["test_acc"], epochs=ck["epochs"],
                               train_s=round(ck["train_s"], 1), feature_dim=int(ref_feats.shape[1])),
               reference="fashion-mnist test (10000)")
    if not args.json:
        log(f"classifier: {CACHE}  test accuracy {100 * ck['test_acc']:.2f}%  "
            f"(trained {ck['epochs']} epochs, {ck['train_s']:.0f} s); features "
            f"{ref_feats.shape[1]}-D; reference: Fashion-MNIST test set (10,000)")
    if args.samples:
        r = judge(model, ref_stats, load_samples(args.samples))
        r["path"] = args.samples
        out["samples"] = r
        if not args.json:
            log(format_result(args.samples, r))
    if args.real_floor:
        floor = judge(model, ref_stats, d["train_x"][d["holdout_idx"]])
        noise = judge(model, ref_stats, np.random.RandomState(0).randint(
            0, 256, (N_HOLDOUT, 28, 28), dtype=np.uint8))
        out["real_floor"], out["noise"] = floor, noise
        if not args.json:
            log(format_result("real floor (10,000 held-out train images)", floor))
            log(format_result("noise (10,000 uniform-random uint8 images)", noise))
    if args.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
