"""ResNet50 / MobileNetV2 inference in Keras 3 (TensorFlow or JAX backend), measured as
kiln/infer_apps.mjs measures kiln.

Usage: infer_apps_keras.py --backend tensorflow|jax [--models ResNet50,MobileNetV2] [--batches 1,32] [--size 224] [--min-time 2] [--min-calls 3]
keras.applications.X(weights=None, input_shape=(size, size, 3)) (classifier on),
`model.predict_on_batch(x)` (the compiled predict function). Prints one JSON line.
"""
import argparse
import os
import resource
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["jax", "tensorflow"], required=True)
p.add_argument("--models", default="ResNet50,MobileNetV2")
p.add_argument("--batches", default="1,32")
p.add_argument("--size", type=int, default=224)
p.add_argument("--min-time", type=float, default=2.0)
p.add_argument("--min-calls", type=int, default=3)
args = p.parse_args()
os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402

from common import emit, fixed_inputs, throughput  # noqa: E402

keras.utils.set_random_seed(1)
results = {}
for name in args.models.split(","):
    t0 = time.perf_counter()
    model = getattr(keras.applications, name)(weights=None, input_shape=(args.size, args.size, 3))
    results[name] = {"build_s": round(time.perf_counter() - t0, 2)}
    for batch in [int(b) for b in args.batches.split(",")]:
        x = fixed_inputs(batch * args.size * args.size * 3).reshape(batch, args.size, args.size, 3)
        results[name][f"batch={batch}"] = throughput(lambda: model.predict_on_batch(x), batch, warmup=2 if batch == 1 else 1,
                                                     min_calls=args.min_calls, min_time=args.min_time)
emit({
    "peer": f"keras-{args.backend}",
    "workload": "apps",
    "size": args.size,
    "results": results,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": {"keras": keras.__version__, args.backend: __import__(args.backend).__version__},
})
