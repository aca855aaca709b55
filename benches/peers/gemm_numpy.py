"""sgemm GFLOP/s through numpy (OpenBLAS), the GEMM ceiling of this CPU.

Usage: gemm_numpy.py [--threads 1|all|N] [--min-time SECONDS] [--trials N]
Without --threads it runs itself twice in child processes (1 thread, all threads) and prints
one JSON line with both. The thread count has to be fixed before numpy loads OpenBLAS, so each
configuration runs in a child whose env sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS.
"""
import argparse
import json
import os
import subprocess
import sys
import time

# (name, m, k, n, transpose_a, transpose_b): C[m,n] = op(A)[m,k] @ op(B)[k,n]
SHAPES = [
    ("n128", 128, 128, 128, False, False),
    ("n256", 256, 256, 256, False, False),
    ("n512", 512, 512, 512, False, False),
    ("n1024", 1024, 1024, 1024, False, False),
    # seed MLP layer: x[32,784] @ W[784,128]
    ("seed_fwd_32x784x128", 32, 784, 128, False, False),
    # dW = x^T[784,32] @ dY[32,128]  (x stored [32,784])
    ("seed_dW_784x32x128", 784, 32, 128, True, False),
    # dX = dY[32,128] @ W^T[128,784]  (W stored [784,128])
    ("seed_dX_32x128x784", 32, 128, 784, False, True),
    # the same two products with the transposed operand already stored contiguous
    ("seed_dW_pre_784x32x128", 784, 32, 128, False, False),
    ("seed_dX_pre_32x128x784", 32, 128, 784, False, False),
]


def thread_env(threads):
    env = dict(os.environ)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    return env


def bench_one(np, m, k, n, ta, tb, min_time, trials):
    rng = np.random.default_rng(0)
    a = rng.random((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.random((n, k) if tb else (k, n), dtype=np.float32)
    A = a.T if ta else a  # a transposed view: BLAS gets it without a copy
    B = b.T if tb else b
    flops = 2.0 * m * n * k
    # calibrate iterations so one trial lasts about min_time
    c = A @ B
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            c = A @ B
        dt = time.perf_counter() - t0
        if dt >= min_time / 4:
            break
        iters *= 2
    iters = max(1, int(iters * min_time / max(dt, 1e-9)))
    rates = []
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(iters):
            c = A @ B
        dt = time.perf_counter() - t0
        rates.append(flops * iters / dt / 1e9)
    rates.sort()
    del c
    return rates[len(rates) // 2]


def run_child(threads, min_time, trials):
    import numpy as np

    out = {}
    for name, m, k, n, ta, tb in SHAPES:
        out[name] = round(bench_one(np, m, k, n, ta, tb, min_time, trials), 2)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", default=None)
    p.add_argument("--min-time", type=float, default=0.2)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--child", action="store_true")
    args = p.parse_args()
    ncpu = os.cpu_count() or 1

    if args.child:
        res = run_child(args.threads, args.min_time, args.trials)
        sys.stdout.write(json.dumps(res) + "\n")
        return

    configs = [args.threads] if args.threads else ["1", "all"]
    result = {"peer": "numpy", "metric": "GFLOP/s (median of trials)", "results": {}}
    for cfg in configs:
        threads = ncpu if cfg == "all" else int(cfg)
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--threads", str(threads),
               "--min-time", str(args.min_time), "--trials", str(args.trials)]
        proc = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True, check=True)
        result["results"][f"threads={threads}"] = json.loads(proc.stdout.strip().splitlines()[-1])
    import numpy as np

    result["numpy"] = np.__version__
    try:
        cfg = np.show_config(mode="dicts")
        result["blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:
        pass
    result["shapes"] = {name: {"m": m, "k": k, "n": n, "transA": ta, "transB": tb}
                        for name, m, k, n, ta, tb in SHAPES}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
