"""sgemm GFLOP/s through PyTorch (torch.mm on CPU), the same shapes and timing as gemm_numpy.py.

Usage: gemm_torch.py [--threads 1|all|N] [--min-time SECONDS] [--trials N]
The thread count is set with torch.set_num_threads (one process, both configurations).
Transposed operands are views (.t()), which torch.mm hands to its BLAS without a copy.
Prints one JSON line: {"results": {"threads=1": {...}, "threads=N": {...}}}.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from gemm_numpy import SHAPES  # noqa: E402


def bench_one(m, k, n, ta, tb, min_time, trials):
    g = torch.Generator().manual_seed(0)
    a = torch.rand((k, m) if ta else (m, k), generator=g)
    b = torch.rand((n, k) if tb else (k, n), generator=g)
    A = a.t() if ta else a
    B = b.t() if tb else b
    flops = 2.0 * m * n * k
    c = torch.mm(A, B)
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            c = torch.mm(A, B)
        dt = time.perf_counter() - t0
        if dt >= min_time / 4:
            break
        iters *= 2
    iters = max(1, int(iters * min_time / max(dt, 1e-9)))
    rates = []
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(iters):
            c = torch.mm(A, B)
        dt = time.perf_counter() - t0
        rates.append(flops * iters / dt / 1e9)
    rates.sort()
    del c
    return rates[len(rates) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", default=None)
    p.add_argument("--min-time", type=float, default=0.2)
    p.add_argument("--trials", type=int, default=5)
    args = p.parse_args()
    ncpu = os.cpu_count() or 1
    configs = [args.threads] if args.threads else ["1", "all"]
    result = {"peer": "torch", "metric": "GFLOP/s (median of trials)", "results": {}, "torch": torch.__version__}
    for cfg in configs:
        threads = ncpu if cfg == "all" else int(cfg)
        torch.set_num_threads(threads)
        result["results"][f"threads={threads}"] = {
            name: round(bench_one(m, k, n, ta, tb, args.min_time, args.trials), 2) for name, m, k, n, ta, tb in SHAPES}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
