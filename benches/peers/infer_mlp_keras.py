"""Seed-MLP inference in Keras 3 (JAX or TensorFlow backend): one-sample latency and
batch-1024 throughput.

Usage: infer_mlp_keras.py --backend jax|tensorflow [--latency-calls 2000] [--latency-warmup 200] [--batch 1024] [--min-time 1]
Latency: `model.predict_on_batch(x)` (the compiled predict function, numpy out) and the direct
call `model(x, training=False)` converted to numpy; throughput: predict_on_batch at batch 1024.
Prints one JSON line.
"""
import argparse
import os
import resource
import sys

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["jax", "tensorflow"], required=True)
p.add_argument("--latency-calls", type=int, default=2000)
p.add_argument("--latency-warmup", type=int, default=200)
p.add_argument("--batch", type=int, default=1024)
p.add_argument("--min-time", type=float, default=1.0)
args = p.parse_args()
os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402

from common import emit, fixed_inputs, latency, throughput  # noqa: E402

keras.utils.set_random_seed(1)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation="softmax"),
])
one = fixed_inputs(784).reshape(1, 28, 28)
many = fixed_inputs(args.batch * 784).reshape(args.batch, 28, 28)
emit({
    "peer": f"keras-{args.backend}",
    "workload": "infer_mlp",
    "latency": {
        "predict_on_batch": latency(lambda: model.predict_on_batch(one), args.latency_warmup, args.latency_calls),
        "call": latency(lambda: keras.ops.convert_to_numpy(model(one, training=False)), args.latency_warmup, args.latency_calls),
    },
    "batch": args.batch,
    "throughput": throughput(lambda: model.predict_on_batch(many), args.batch, min_time=args.min_time),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": {"keras": keras.__version__, args.backend: __import__(args.backend).__version__},
})
