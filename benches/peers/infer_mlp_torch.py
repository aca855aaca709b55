"""Seed-MLP inference in PyTorch (CPU): one-sample latency and batch-1024 throughput.

Usage: infer_mlp_torch.py [--latency-calls 2000] [--latency-warmup 200] [--batch 1024] [--min-time 1]
The seed MLP with PyTorch's initial random weights, model.eval() under torch.inference_mode();
the direct call `model(x)` then `.numpy()` of the result (as the kiln script reads its result).
Prints one JSON line.
"""
import argparse
import os
import resource
import sys

p = argparse.ArgumentParser()
p.add_argument("--latency-calls", type=int, default=2000)
p.add_argument("--latency-warmup", type=int, default=200)
p.add_argument("--batch", type=int, default=1024)
p.add_argument("--min-time", type=float, default=1.0)
args = p.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import emit, fixed_inputs, latency, throughput  # noqa: E402
from torch_common import versions  # noqa: E402

torch.manual_seed(1)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10), nn.Softmax(dim=1)).eval()
one = torch.from_numpy(fixed_inputs(784).reshape(1, 28, 28))
many = torch.from_numpy(fixed_inputs(args.batch * 784).reshape(args.batch, 28, 28))

with torch.inference_mode():
    lat = latency(lambda: model(one).numpy(), args.latency_warmup, args.latency_calls)
    thr = throughput(lambda: model(many).numpy(), args.batch, min_time=args.min_time)
emit({
    "peer": "torch",
    "workload": "infer_mlp",
    "latency": {"call": lat},
    "batch": args.batch,
    "throughput": thr,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": versions(),
})
