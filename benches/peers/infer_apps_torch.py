"""ResNet50 / MobileNetV2 inference in PyTorch (torchvision, CPU), measured as
kiln/infer_apps.mjs measures kiln.

Usage: infer_apps_torch.py [--models ResNet50,MobileNetV2] [--batches 1,32] [--size 224] [--min-time 2] [--min-calls 3]
torchvision.models.resnet50 / mobilenet_v2 with weights=None (random), eval() under
torch.inference_mode(), the direct call then .numpy(); PyTorch's layout is NCHW, so the input
is [batch, 3, size, size] (the same values). torchvision's classifiers end in logits, so a softmax
is applied as Keras' classifier does. Prints one JSON line.
"""
import argparse
import os
import resource
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--models", default="ResNet50,MobileNetV2")
p.add_argument("--batches", default="1,32")
p.add_argument("--size", type=int, default=224)
p.add_argument("--min-time", type=float, default=2.0)
p.add_argument("--min-calls", type=int, default=3)
args = p.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torchvision  # noqa: E402

from common import emit, fixed_inputs, throughput  # noqa: E402
from torch_common import versions  # noqa: E402

BUILDERS = {"ResNet50": torchvision.models.resnet50, "MobileNetV2": torchvision.models.mobilenet_v2}
torch.manual_seed(1)
results = {}
with torch.inference_mode():
    for name in args.models.split(","):
        t0 = time.perf_counter()
        model = torch.nn.Sequential(BUILDERS[name](weights=None), torch.nn.Softmax(dim=1)).eval()
        results[name] = {"build_s": round(time.perf_counter() - t0, 2)}
        for batch in [int(b) for b in args.batches.split(",")]:
            x = torch.from_numpy(fixed_inputs(batch * args.size * args.size * 3).reshape(batch, 3, args.size, args.size))
            results[name][f"batch={batch}"] = throughput(lambda: model(x).numpy(), batch, warmup=2 if batch == 1 else 1,
                                                         min_calls=args.min_calls, min_time=args.min_time)
v = versions()
v["torchvision"] = torchvision.__version__
emit({
    "peer": "torch",
    "workload": "apps",
    "size": args.size,
    "results": results,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": v,
})
