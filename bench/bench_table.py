#!/usr/bin/python3
"""The table of `make bench`, from the JSON lines bench/run_bench.sh collected.

    bench/bench_table.py BUILD/bench.jsonl [--markdown]

Per model and setting: the median over its runs (gan.c runs once before each PyTorch setting in
every repetition; each PyTorch setting once) of each run's median ms per iteration (and
the smallest min). PyTorch's row is its best setting by that median. speedup = PyTorch ms /
gan.c ms; RSS ratio = gan.c peak RSS / PyTorch peak RSS (largest over repetitions).
CPU ms: the same medians of process CPU time per iteration (all threads), shown for the same
settings: on a shared machine wall time also counts other processes' turns on the cores, CPU
time mostly does not (cache and memory contention remain)."""
import json
import statistics
import sys


def main(argv):
    if not argv:
        sys.exit(__doc__)
    md = "--markdown" in argv
    rows = [json.loads(l) for l in open(argv[0]) if l.strip()]
    models = []
    for r in rows:
        if r["model"] not in models:
            models.append(r["model"])
    out, notes = [], []
    head = ("model", "PyTorch ms", "(setting)", "gan.c ms", "speedup", "PyTorch GFLOP/s",
            "gan.c GFLOP/s", "PyTorch RSS MB", "gan.c RSS MB", "RSS ratio", "PyTorch CPU ms",
            "gan.c CPU ms")
    for m in models:
        by = {}
        for r in rows:
            if r["model"] == m:
                by.setdefault(r["setting"], []).append(r)

        def summary(rs):
            med = statistics.median(x["median_ms"] for x in rs)
            cpus = [x["cpu_ms"] for x in rs if "cpu_ms" in x]
            return dict(ms=med, min=min(x["min_ms"] for x in rs),
                        cpu=f"{statistics.median(cpus):.2f}" if cpus else "-",
                        gflops=rs[0]["gflop_per_iter"] / (med * 1e-3),
                        rss=max(x["peak_rss_mb"] for x in rs), n=len(rs))
        if "gan.c" not in by:
            continue
        g = summary(by.pop("gan.c"))
        if "baseline" in by:
            b = summary(by.pop("baseline"))
            notes.append(f"{m}: baseline gan binary {b['ms']:.2f} ms ({b['gflops']:.1f} GFLOP/s, "
                         f"peak RSS {b['rss']:.0f} MB); this build {g['ms']:.2f} ms: "
                         f"{b['ms'] / g['ms']:.2f}x faster")
        if not by:
            continue
        torch = {k: summary(v) for k, v in by.items()}
        best = min(torch, key=lambda k: torch[k]["ms"])
        t = torch[best]
        out.append((m, f"{t['ms']:.2f}", best, f"{g['ms']:.2f}", f"{t['ms'] / g['ms']:.2f}x",
                    f"{t['gflops']:.1f}", f"{g['gflops']:.1f}", f"{t['rss']:.0f}",
                    f"{g['rss']:.0f}", f"{g['rss'] / t['rss']:.2f}", t["cpu"], g["cpu"]))
        others = ", ".join(f"{k} {v['ms']:.2f}" for k, v in sorted(torch.items()) if k != best)
        if others:
            notes.append(f"{m}: PyTorch's other settings (ms): {others}")
    if md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in out:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(str(r[i])) for r in [head] + out) for i in range(len(head))]
        for r in [head] + out:
            print("  ".join(str(c).rjust(w[i]) if i not in (0, 2) else str(c).ljust(w[i])
                            for i, c in enumerate(r)).rstrip())
    for n in notes:
        print(n)


if __name__ == "__main__":
    main(sys.argv[1:])
