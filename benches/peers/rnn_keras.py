"""Seed RNN on generated data with Keras 3 (JAX or TensorFlow backend).

Usage: rnn_keras.py --backend jax|tensorflow [--batch 32] [--epochs 4] [--warmup-epochs 1] [--samples 10000]
Model: SimpleRNN 64 relu over [10 steps, 20 features] -> Dense 1 sigmoid; Adam,
binary_crossentropy, accuracy. Data: common.rnn_data (the same numbers as lib/common.mjs
rnnData: uniform x, random 0/1 labels). Steady-state samples/s over epochs warmup+1..N (epoch
callback), as the MLP. Prints one JSON line.
"""
import argparse
import os
import resource
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["jax", "tensorflow"], required=True)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--epochs", type=int, default=4)
p.add_argument("--warmup-epochs", type=int, default=1)
p.add_argument("--samples", type=int, default=10000)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()
if args.epochs <= args.warmup_epochs:
    sys.exit("--epochs must exceed --warmup-epochs")

os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import keras  # noqa: E402

from common import emit, epoch_timer, rnn_data  # noqa: E402

x, y = rnn_data(args.samples, 10, 20, args.seed)

keras.utils.set_random_seed(args.seed)
model = keras.Sequential([
    keras.Input(shape=(10, 20)),
    keras.layers.SimpleRNN(64, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

timer = epoch_timer()
t_fit = time.perf_counter()
hist = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0, shuffle=True, callbacks=[timer])
fit_s = time.perf_counter() - t_fit

steady = timer.times[args.warmup_epochs:]
emit({
    "peer": f"keras-{args.backend}",
    "workload": "rnn",
    "batch": args.batch,
    "epochs": args.epochs,
    "warmup_epochs": args.warmup_epochs,
    "train_samples": args.samples,
    "samples_per_s": round(args.samples * len(steady) / sum(steady), 1),
    "epoch_s": [round(t, 3) for t in timer.times],
    "fit_s": round(fit_s, 3),
    "train_loss": [round(float(v), 4) for v in hist.history["loss"]],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": {"keras": keras.__version__, "numpy": np.__version__,
                 args.backend: __import__(args.backend).__version__},
})
