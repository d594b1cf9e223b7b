#!/usr/bin/python3
"""PyTorch reference for gan.c's 28x28 DCGAN on Fashion-MNIST.

Trains the exact architecture gan.c implements (same parameter names, same
initialisation, same optimiser and loss schedule as pytorch/examples' dcgan)
and writes what the FID judge (tools/fid_reference.py) needs:

    DIR/samples.npy   10,000 samples, uint8 N x 28 x 28 (G in eval mode)
    DIR/grid.png      an 8x8 grid of the first 64 samples
    DIR/G.pt          the generator's state_dict
    DIR/log.json      settings, wall time, it/s, loss history

Example (the reference run for the acceptance criterion):

    /usr/bin/python3 bench/torch_dcgan28.py --steps 3000 --seed 1 --threads 2 \
        --out runs/torch_ref
    /usr/bin/python3 tools/fid_reference.py runs/torch_ref/samples.npy

Notes on matching gan.c:
  * Data: the 60,000 Fashion-MNIST training images, x/255*2-1 in [-1, 1].
    Each epoch is a fresh permutation; batches are consecutive slices of it and
    the last partial batch (60000 % 64 = 32 images) is dropped, so every step
    sees exactly --batch images.
  * Per step (as pytorch/examples/dcgan): z ~ N(0,1); fake = G(z);
    D step: BCEWithLogits(D(real), 1) + BCEWithLogits(D(fake.detach()), 0),
    with D run separately on the real and the fake batch (separate BN batch
    statistics), then Adam_D.step(); G step: BCEWithLogits(D(fake), 1) with
    the just-updated D (still in train mode), then Adam_G.step().
  * Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8, no weight decay.
  * Sampling: G.eval() (BatchNorm running statistics), z from a separate
    torch.Generator seeded with --sample-seed.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time
import zlib

# libgomp's default spin-waiting makes PyTorch 3-4x slower when the machine is
# oversubscribed (other builds/tests running on the same 2 cores); passive
# waiting costs nothing when the machine is idle. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NZ = 100
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


# ---------------------------------------------------------------------------
# Data and image output
# ---------------------------------------------------------------------------
def load_idx_images(path):
    """Read an IDX3 uint8 image file (optionally gzip'd) into an N x H x W array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: bad IDX3 magic 0x{magic:x} (want 0x803)")
    data = np.frombuffer(raw, dtype=np.uint8, offset=16)
    if data.size != n * h * w:
        raise ValueError(f"{path}: expected {n * h * w} pixels, found {data.size}")
    return data.reshape(n, h, w)


def to_uint8(x):
    """[-1,1] float tensor -> uint8, like torchvision.utils.save_image(normalize
    with value_range (-1,1)): round((x+1)/2*255) clamped to [0,255]."""
    y = ((x.clamp(-1, 1) + 1) * 0.5 * 255).add_(0.5).floor_().clamp_(0, 255)
    return y.to(torch.uint8)


def write_png_gray(path, img):
    """Write a 2-D uint8 array as an 8-bit grayscale PNG (no PIL needed)."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape

    def chunk(tag, payload):
        c = struct.pack(">I", len(payload)) + tag + payload
        return c + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)

    # Each scanline is prefixed with filter type 0 (None).
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def make_grid(imgs, nrow=8, pad=2, fill=0):
    """Tile N x H x W uint8 images into one image (torchvision-style padding)."""
    n, h, w = imgs.shape
    ncol = nrow
    nrows = (n + ncol - 1) // ncol
    grid = np.full((nrows * (h + pad) + pad, ncol * (w + pad) + pad), fill, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y:y + h, x:x + w] = imgs[i]
    return grid


# ---------------------------------------------------------------------------
# Fast ConvTranspose2d backward
# ---------------------------------------------------------------------------
# Debian's CPU PyTorch 1.13 routes ConvTranspose2d's backward through
# aten::slow_conv_transpose2d_backward, which takes ~1-2 s per call for
# main.4 (64x128x7x7 -> 64x64x14x14) on 2 cores -- 10-20x slower than the
# equivalent ordinary convolutions. The transposed convolution's gradients ARE
# ordinary convolutions, so we compute them that way (same math, different
# kernel; float rounding differs at the 1e-6 relative level):
#   y = conv_transpose2d(x, W)        W: (C_in, C_out, k, k)
#   dL/dx = conv2d(dL/dy, W)                          (W read as C_out'=C_in filters)
#   dL/dW = conv2d_weight(input=dL/dy, grad_output=x) (the weight grad of that conv2d)
#   dL/db = sum of dL/dy over N, H, W
# Pass --native-convT to use PyTorch's own backward instead.
class _ConvT2dFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, bias is not None)
        return F.conv_transpose2d(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        stride, padding, has_bias = ctx.conf
        gy = gy.contiguous()
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = F.conv2d(gy, weight, None, stride, padding)
        if ctx.needs_input_grad[1]:
            gw = torch.nn.grad.conv2d_weight(gy, weight.shape, x, stride, padding)
        if has_bias and ctx.needs_input_grad[2]:
            gb = gy.sum((0, 2, 3))
        return gx, gw, gb, None, None


class FastConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d (same parameters, same state_dict names, same forward)
    whose backward uses ordinary convolutions. Supports the square-kernel,
    dilation 1, groups 1, output_padding 0 case used here."""

    def forward(self, x, output_size=None):
        assert output_size is None and self.groups == 1 and self.dilation == (1, 1) \
            and self.output_padding == (0, 0) and self.padding_mode == "zeros"
        return _ConvT2dFn.apply(x, self.weight, self.bias, self.stride, self.padding)


ConvT = FastConvTranspose2d  # switched to nn.ConvTranspose2d by --native-convT


# ---------------------------------------------------------------------------
# Models (layer indices are the parameter names gan.c uses: main.<i>.weight)
# ---------------------------------------------------------------------------
class Generator(nn.Module):
    def __init__(self, nz=NZ):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(nz, 128 * 7 * 7),                 # main.0
            nn.Unflatten(1, (128, 7, 7)),               # main.1
            nn.BatchNorm2d(128),                        # main.2
            nn.ReLU(True),                              # main.3
            ConvT(128, 64, 4, 2, 1),                    # main.4  7 -> 14
            nn.BatchNorm2d(64),                         # main.5
            nn.ReLU(True),                              # main.6
            ConvT(64, 1, 4, 2, 1),                      # main.7  14 -> 28
            nn.Tanh(),                                  # main.8
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1),                  # main.0  28 -> 14
            nn.LeakyReLU(0.2, inplace=True),            # main.1
            nn.Conv2d(64, 128, 4, 2, 1),                # main.2  14 -> 7
            nn.BatchNorm2d(128),                        # main.3
            nn.LeakyReLU(0.2, inplace=True),            # main.4
            nn.Flatten(),                               # main.5
            nn.Linear(128 * 7 * 7, 1),                  # main.6  -> logit
        )

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    """pytorch/examples dcgan init: conv weights N(0, 0.02), BN weight N(1, 0.02),
    BN bias 0. Conv biases and Linear layers keep PyTorch's default init."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Train the gan.c 28x28 DCGAN reference in PyTorch on Fashion-MNIST "
                    "and write 10,000 samples for FID.")
    p.add_argument("--steps", type=int, default=3000, help="training steps (default 3000)")
    p.add_argument("--seed", type=int, default=1, help="training seed (default 1)")
    p.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4)")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (default 0.5)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--data", default=DEFAULT_DATA,
                   help=f"IDX3 training images (default {DEFAULT_DATA})")
    p.add_argument("--n-samples", type=int, default=10000,
                   help="samples written to samples.npy (default 10000)")
    p.add_argument("--sample-seed", type=int, default=2,
                   help="seed of the sampling noise (default 2)")
    p.add_argument("--log-every", type=int, default=100, help="progress interval (default 100)")
    p.add_argument("--native-convT", action="store_true",
                   help="use PyTorch's own (very slow on this build) ConvTranspose2d backward")
    p.add_argument("--check-convT", action="store_true",
                   help="compare the fast ConvTranspose2d gradients with PyTorch's and exit")
    p.add_argument("--out", help="output directory (required unless --check-convT)")
    args = p.parse_args(argv)
    if args.out is None and not args.check_convT:
        p.error("--out is required")
    return args


def check_convT():
    """Gradients of FastConvTranspose2d vs nn.ConvTranspose2d on random data."""
    torch.manual_seed(0)
    worst = 0.0
    for cin, cout, hw in ((128, 64, 7), (64, 1, 14)):
        ref = nn.ConvTranspose2d(cin, cout, 4, 2, 1).double()
        fast = FastConvTranspose2d(cin, cout, 4, 2, 1).double()
        fast.load_state_dict(ref.state_dict())
        x = torch.randn(8, cin, hw, hw, dtype=torch.float64)
        gy = torch.randn(8, cout, 2 * hw, 2 * hw, dtype=torch.float64)
        outs = []
        for m in (ref, fast):
            xi = x.clone().requires_grad_(True)
            y = m(xi)
            y.backward(gy)
            outs.append((y.detach(), xi.grad, m.weight.grad, m.bias.grad))
        for name, a, b in zip(("y", "dx", "dW", "db"), *outs):
            err = ((a - b).abs().max() / a.abs().max()).item()
            worst = max(worst, err)
            print(f"convT {cin}->{cout} {name}: max rel err {err:.2e}")
    print("OK" if worst < 1e-10 else "MISMATCH")
    return worst < 1e-10


def main(argv=None):
    global ConvT
    args = parse_args(argv)
    if args.check_convT:
        sys.exit(0 if check_convT() else 1)
    if args.native_convT:
        ConvT = nn.ConvTranspose2d
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    imgs = load_idx_images(args.data)
    data = torch.from_numpy(imgs.astype(np.float32) / 255.0 * 2.0 - 1.0).unsqueeze(1)  # N,1,28,28
    n = data.shape[0]
    if args.batch > n:
        sys.exit("batch larger than the data set")
    batches_per_epoch = n // args.batch  # last partial batch dropped

    G, D = Generator(), Discriminator()
    G.apply(weights_init)
    D.apply(weights_init)
    G.train()
    D.train()
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    bce = nn.BCEWithLogitsLoss()

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, data {tuple(data.shape)}, "
          f"G params {sum(p.numel() for p in G.parameters())}, "
          f"D params {sum(p.numel() for p in D.parameters())}", flush=True)

    history = []
    perm, pos, epoch = None, batches_per_epoch, -1
    load_start = os.getloadavg()
    cpu_start = time.process_time()
    t_start = time.perf_counter()
    t_last, step_last = t_start, 0
    loss_d = loss_g = d_x = d_gz1 = d_gz2 = float("nan")
    for step in range(1, args.steps + 1):
        if pos >= batches_per_epoch:          # reshuffle at each epoch boundary
            perm, pos, epoch = torch.randperm(n), 0, epoch + 1
        idx = perm[pos * args.batch:(pos + 1) * args.batch]
        pos += 1
        real = data[idx]
        b = real.shape[0]
        ones = torch.ones(b)
        zeros = torch.zeros(b)

        # ---- D step: maximise log D(x) + log(1 - D(G(z))) ----
        D.zero_grad(set_to_none=True)
        out_real = D(real)
        err_real = bce(out_real, ones)
        err_real.backward()
        z = torch.randn(b, NZ)
        fake = G(z)
        out_fake = D(fake.detach())
        err_fake = bce(out_fake, zeros)
        err_fake.backward()
        opt_d.step()

        # ---- G step: maximise log D(G(z)) (non-saturating) ----
        G.zero_grad(set_to_none=True)
        out = D(fake)
        err_g = bce(out, ones)
        err_g.backward()
        opt_g.step()

        if step % args.log_every == 0 or step == args.steps:
            now = time.perf_counter()
            ips = (step - step_last) / (now - t_last)
            t_last, step_last = now, step
            loss_d = (err_real + err_fake).item()
            loss_g = err_g.item()
            d_x = torch.sigmoid(out_real).mean().item()
            d_gz1 = torch.sigmoid(out_fake).mean().item()
            d_gz2 = torch.sigmoid(out).mean().item()
            history.append(dict(step=step, epoch=epoch, loss_d=loss_d, loss_g=loss_g,
                                d_x=d_x, d_gz1=d_gz1, d_gz2=d_gz2, it_s=ips,
                                elapsed_s=now - t_start))
            print(f"step {step:6d}/{args.steps} ep {epoch:3d}  loss_d {loss_d:.4f}  "
                  f"loss_g {loss_g:.4f}  D(x) {d_x:.3f}  D(G(z)) {d_gz1:.3f}/{d_gz2:.3f}  "
                  f"{ips:.2f} it/s", flush=True)
    train_s = time.perf_counter() - t_start
    train_cpu_s = time.process_time() - cpu_start

    # ---- samples from G in eval mode (BatchNorm running statistics) ----
    G.eval()
    gen = torch.Generator().manual_seed(args.sample_seed)
    t0 = time.perf_counter()
    chunks = []
    with torch.no_grad():
        for i in range(0, args.n_samples, 500):
            m = min(500, args.n_samples - i)
            z = torch.randn(m, NZ, generator=gen)
            chunks.append(to_uint8(G(z)[:, 0]))
    samples = torch.cat(chunks).numpy()
    sample_s = time.perf_counter() - t0
    np.save(os.path.join(args.out, "samples.npy"), samples)
    write_png_gray(os.path.join(args.out, "grid.png"), make_grid(samples[:64], nrow=8))
    torch.save(G.state_dict(), os.path.join(args.out, "G.pt"))

    log = dict(
        script="bench/torch_dcgan28.py", argv=sys.argv[1:], torch=torch.__version__,
        threads=torch.get_num_threads(), omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), steps=args.steps, seed=args.seed, batch=args.batch,
        lr=args.lr, beta1=args.beta1, native_convT=args.native_convT,
        epochs_started=epoch + 1,
        train_wall_s=train_s, it_s=args.steps / train_s, train_cpu_s=train_cpu_s,
        # The machine may be shared: the 1/5/15-min load averages at the start
        # and end tell whether wall time (it/s) was inflated by other work.
        loadavg_start=load_start, loadavg_end=os.getloadavg(),
        sample_wall_s=sample_s, n_samples=int(samples.shape[0]), sample_seed=args.sample_seed,
        final=dict(loss_d=loss_d, loss_g=loss_g, d_x=d_x, d_gz1=d_gz1, d_gz2=d_gz2),
        history=history,
    )
    with open(os.path.join(args.out, "log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"trained {args.steps} steps in {train_s:.1f} s ({args.steps / train_s:.2f} it/s); "
          f"wrote {args.out}/samples.npy {samples.shape}, grid.png, G.pt, log.json", flush=True)


if __name__ == "__main__":
    main()
