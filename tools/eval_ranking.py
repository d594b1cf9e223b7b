#!/usr/bin/python3
"""Checks that `gan eval` ranks sample sets the way a trustworthy metric must (issue 5):

    real floor  <  a trained GAN's samples  <  real images of one single class  <  noise

It writes the reference sets as uint8 .npy files (numpy only: the noise, and one file per
Fashion-MNIST class taken from the held-out tail of the training split), runs `gan eval` on
each and on the checkpoints given, and prints one table (FID, KID, precision, recall,
class entropy). Run it after `make`; the first `gan eval` trains and caches the classifier.

    /usr/bin/python3 tools/eval_ranking.py [--gan build/gan] [--n 10000] CKPT...
"""
import argparse, gzip, json, os, subprocess, sys, tempfile
import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def gan_eval(gan, args):
    out = subprocess.run([gan, "eval", *args, "--data", "fashion-mnist", "--json"],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"gan eval {' '.join(args)} failed:\n{out.stderr}")
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gan", default="build/gan")
    ap.add_argument("--n", type=int, default=10000, help="samples per checkpoint")
    ap.add_argument("--classes", default="0,1,5,7,8", help="single-class sets to judge")
    ap.add_argument("ckpt", nargs="*")
    a = ap.parse_args()
    images = idx(f"{DATA}/train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = idx(f"{DATA}/train-labels-idx1-ubyte.gz", 8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("floor (held-out real)", gan_eval(a.gan, ["--floor"])[-1]))
        for c in a.ckpt:
            rows.append((os.path.relpath(c), gan_eval(a.gan, [c, "--n", str(a.n)])[0]))
        for k in map(int, a.classes.split(",")):
            p = os.path.join(tmp, f"class{k}.npy")
            np.save(p, images[labels == k][:a.n])
            rows.append((f"single class {k} ({CLASSES[k]})", gan_eval(a.gan, [p])[0]))
        p = os.path.join(tmp, "noise.npy")
        np.save(p, np.random.default_rng(0).integers(0, 256, (a.n, 28, 28), dtype=np.uint8))
        rows.append(("uniform noise", gan_eval(a.gan, [p])[0]))
    print(f"{'set':40s} {'FID':>9s} {'KID':>9s} {'prec':>6s} {'recall':>6s} {'entropy':>7s}")
    for name, r in rows:
        print(f"{name:40s} {r.get('fid', float('nan')):9.3f} {r.get('kid', float('nan')):9.4f} "
              f"{r.get('precision', float('nan')):6.3f} {r.get('recall', float('nan')):6.3f} "
              f"{r.get('class_entropy', float('nan')):7.3f}")


if __name__ == "__main__":
    main()
