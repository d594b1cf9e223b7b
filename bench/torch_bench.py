#!/usr/bin/python3
"""PyTorch twin of `gan bench`: the same three models, the same GAN iteration, the same
timing and FLOP convention, so bench/run_bench.sh can put the two side by side.

    /usr/bin/python3 bench/torch_bench.py --model mlp|dcgan28|dcgan64 --batch 64 --iters N \
        [--warmup W] [--threads T] [--convT native|fast] [--json]

One iteration (identical in tools/gan/bench.c: gan_trainer's step), on a fixed random batch
in [-1, 1], as pytorch/examples' dcgan:
    z ~ N(0, 1), fake = G(z) once, with a graph;
    D step: BCE-with-logits(D(real), 1) + BCE(D(fake.detach()), 0), backward, Adam on D;
    G step: D(fake) with D's parameters frozen (no weight gradients: gan.c skips them too),
            BCE(., 1), backward through D into G, Adam on G.
Both nets in train mode (batch-norm batch statistics), Adam lr 2e-4 betas (0.5, 0.999).

GFLOP/s counts 2 FLOP per multiply-add of conv, conv-transpose and linear layers, and an
iteration as 9 F_D + 3 F_G forward FLOPs (F_X = one forward pass of X on the batch; a pass
with its backward counts 3).

Settings that matter here (run_bench.sh sweeps them and reports the best):
  * OMP_WAIT_POLICY=passive (set below unless given): libgomp's spin-waiting steals the
    cores OpenBLAS's threads need;
  * OPENBLAS_NUM_THREADS 1 or 2 (environment, read when torch loads OpenBLAS);
  * --convT fast: ConvTranspose2d whose backward is two ordinary convolutions (oneDNN)
    instead of Debian's aten::slow_conv_transpose2d_backward (im2col, 10-20x slower);
    the same math, see bench/torch_dcgan28.py.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

NZ = 100


# the ConvTranspose2d whose backward runs as ordinary convolutions (the "fast" setting) is the
# DCGAN-28 twin's; this folder is on sys.path when the script runs
from torch_dcgan28 import FastConvTranspose2d  # noqa: E402


def build(model, convT):
    CT = FastConvTranspose2d if convT == "fast" else nn.ConvTranspose2d
    if model == "mlp":
        img = 28 * 28
        G = nn.Sequential(nn.Linear(NZ, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512),
                          nn.LeakyReLU(0.2), nn.Linear(512, 1024), nn.LeakyReLU(0.2),
                          nn.Linear(1024, img), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
        D = nn.Sequential(nn.Flatten(), nn.Linear(img, 512), nn.LeakyReLU(0.2),
                          nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
        shape = (1, 28, 28)
    elif model == "dcgan28":
        G = nn.Sequential(nn.Linear(NZ, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)),
                          nn.BatchNorm2d(128), nn.ReLU(True), CT(128, 64, 4, 2, 1),
                          nn.BatchNorm2d(64), nn.ReLU(True), CT(64, 1, 4, 2, 1), nn.Tanh())
        D = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, True),
                          nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128),
                          nn.LeakyReLU(0.2, True), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
        shape = (1, 28, 28)
    elif model == "dcgan64":  # pytorch/examples' DCGAN, logits out (no Sigmoid)
        ngf = ndf = 64
        G = nn.Sequential(
            nn.Unflatten(1, (NZ, 1, 1)), CT(NZ, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            CT(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            CT(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            CT(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            CT(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())
        D = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten())
        shape = (3, 64, 64)
    else:
        raise SystemExit(f"unknown model {model}")

    def init(m):
        name = m.__class__.__name__
        if name.find("Conv") != -1:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    if model != "mlp":
        G.apply(init)
        D.apply(init)
    return G, D, shape


def forward_flops(net, x):
    """2 x multiply-adds of every Conv2d, ConvTranspose2d and Linear in one forward of x."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Linear):
            total[0] += 2 * out.numel() * m.in_features
        elif isinstance(m, nn.ConvTranspose2d):  # each input element meets OC*k*k weights
            total[0] += 2 * inp[0].numel() * m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
        elif isinstance(m, nn.Conv2d):
            total[0] += 2 * out.numel() * m.weight[0].numel()
    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        y = net(x)
    for h in hs:
        h.remove()
    return total[0], y


def main(argv=None):
    p = argparse.ArgumentParser(description="PyTorch twin of `gan bench`")
    p.add_argument("--model", required=True, choices=("mlp", "dcgan28", "dcgan64"))
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = cores)")
    p.add_argument("--convT", choices=("native", "fast"), default="fast")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="one JSON line instead of text")
    a = p.parse_args(argv)
    threads = a.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(a.seed)

    G, D, shape = build(a.model, a.convT)
    G.train()
    D.train()
    B = a.batch
    real = torch.rand(B, *shape) * 2 - 1
    f_g, fake0 = forward_flops(G, torch.randn(B, NZ))
    f_d, _ = forward_flops(D, fake0)
    flops = 9 * f_d + 3 * f_g
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    d_params = list(D.parameters())

    def iteration():
        # fake = G(z) once; D on real and fake.detach() (gan.c keeps the whole step in one
        # arena and resets it after the step, as fake's graph lives here until G's backward)
        z = torch.randn(B, NZ)
        fake = G(z)
        D.zero_grad(set_to_none=True)
        (F.binary_cross_entropy_with_logits(D(real).view(B, 1), ones) +
         F.binary_cross_entropy_with_logits(D(fake.detach()).view(B, 1), zeros)).backward()
        opt_d.step()
        # G step: the same fake through the updated, frozen D
        for q in d_params:
            q.requires_grad_(False)
        G.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(D(fake).view(B, 1), ones).backward()
        opt_g.step()
        for q in d_params:
            q.requires_grad_(True)

    for _ in range(a.warmup):
        iteration()
    times, cpu = [], []
    for _ in range(a.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        iteration()
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)   # all threads: the work, not the wait
    med, best = statistics.median(times), min(times)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = dict(impl="pytorch", model=a.model, batch=B, iters=a.iters, median_ms=med, min_ms=best,
               cpu_ms=statistics.median(cpu), cpu_min_ms=min(cpu), gflops=flops / (med * 1e-3) / 1e9, gflop_per_iter=flops / 1e9, peak_rss_mb=rss_mb,
               threads=threads, openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
               omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), convT=a.convT,
               torch=torch.__version__)
    if a.json:
        print(json.dumps(res), flush=True)
    else:
        print(f"pytorch {a.model} batch {B}: median {med:.2f} ms, min {best:.2f} ms, "
              f"{res['gflops']:.1f} GFLOP/s ({res['gflop_per_iter']:.3f} GFLOP/iter), "
              f"peak RSS {rss_mb:.0f} MB  [threads {threads}, OPENBLAS_NUM_THREADS "
              f"{res['openblas_threads']}, convT {a.convT}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
