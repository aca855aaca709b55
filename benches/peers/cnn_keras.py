"""Seed CNN on Fashion-MNIST with Keras 3 (JAX or TensorFlow backend).

Usage: cnn_keras.py --backend jax|tensorflow [--batch 64] [--epochs 2] [--steps 320] [--warmup-steps 20]
Model: Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Conv2D 64 3x3 relu -> MaxPooling2D 2 -> Flatten ->
Dense 128 relu -> Dense 10 softmax; Adam, sparse_categorical_crossentropy, accuracy,
x/255 float32 of shape [N, 28, 28, 1], integer labels.
Protocol (the same as kiln/cnn.mjs): a warm-up fit of one epoch on the first --warmup-steps
batches (tracing / XLA compilation), then the timed fit: --epochs epochs on the first
--steps x --batch training samples (--steps 0: all 60,000), shuffled, each epoch timed by an
epoch callback. samples/s = samples trained in the timed fit / its epochs' time.
Test accuracy on the whole test set after both fits. Prints one JSON line.
"""
import argparse
import os
import resource
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["jax", "tensorflow"], required=True)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--steps", type=int, default=320)
p.add_argument("--warmup-steps", type=int, default=20)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()

os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import keras  # noqa: E402

from common import emit, epoch_timer, load_fashion_mnist  # noqa: E402

t_start = time.perf_counter()
(x_tr, y_tr), (x_te, y_te) = load_fashion_mnist()
n_all = x_tr.shape[0]
n = min(args.steps * args.batch, n_all) if args.steps > 0 else n_all
n_warm = min(args.warmup_steps * args.batch, n_all)


def prep(x, y, k):
    return (x[:k].reshape(-1, 28, 28, 1).astype("float32") / 255.0), y[:k].astype("int32")


x_train, y_train = prep(x_tr, y_tr, n)
x_warm, y_warm = prep(x_tr, y_tr, n_warm)
x_test, y_test = prep(x_te, y_te, x_te.shape[0])
load_s = time.perf_counter() - t_start

keras.utils.set_random_seed(args.seed)
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    keras.layers.Conv2D(32, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Conv2D(64, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

t_w = time.perf_counter()
if args.warmup_steps > 0:
    model.fit(x_warm, y_warm, batch_size=args.batch, epochs=1, verbose=0, shuffle=True)
warmup_s = time.perf_counter() - t_w

timer = epoch_timer()
t_fit = time.perf_counter()
hist = model.fit(x_train, y_train, batch_size=args.batch, epochs=args.epochs, verbose=0,
                 shuffle=True, callbacks=[timer])
fit_s = time.perf_counter() - t_fit
test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=256, verbose=0)

emit({
    "peer": f"keras-{args.backend}",
    "workload": "cnn",
    "batch": args.batch,
    "epochs": args.epochs,
    "train_samples": n,
    "warmup_steps": args.warmup_steps,
    "samples_per_s": round(n * len(timer.times) / sum(timer.times), 1),
    "epoch_s": [round(t, 3) for t in timer.times],
    "warmup_s": round(warmup_s, 3),
    "fit_s": round(fit_s, 3),
    "load_s": round(load_s, 3),
    "test_accuracy": round(float(test_acc), 4),
    "test_loss": round(float(test_loss), 4),
    "train_loss": [round(float(v), 4) for v in hist.history["loss"]],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": {"keras": keras.__version__, "numpy": np.__version__,
                 args.backend: __import__(args.backend).__version__},
})
