"""Seed MLP on Fashion-MNIST with Keras 3 (JAX or TensorFlow backend).

Usage: mlp_keras.py --backend jax|tensorflow [--batch 32] [--epochs 5] [--warmup-epochs 1]
Model: Flatten(28x28) -> Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax; Adam,
categorical_crossentropy on one-hot labels, metrics accuracy, inputs x/255 float32.
Steady-state samples/s = training samples of epochs warmup+1..N / their wall time (measured with
an epoch callback, so compilation/tracing in epoch 1 is excluded). Prints one JSON line.
"""
import argparse
import os
import resource
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["jax", "tensorflow"], required=True)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--warmup-epochs", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()
if args.epochs <= args.warmup_epochs:
    sys.exit("--epochs must exceed --warmup-epochs")

os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import keras  # noqa: E402

from common import emit, epoch_timer, load_fashion_mnist  # noqa: E402

t_start = time.perf_counter()
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
y_train_oh = keras.utils.to_categorical(y_train, 10)
y_test_oh = keras.utils.to_categorical(y_test, 10)

keras.utils.set_random_seed(args.seed)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])


timer = epoch_timer()
t_fit = time.perf_counter()
hist = model.fit(x_train, y_train_oh, batch_size=args.batch, epochs=args.epochs, verbose=0,
                 shuffle=True, callbacks=[timer])
fit_s = time.perf_counter() - t_fit
test_loss, test_acc = model.evaluate(x_test, y_test_oh, batch_size=256, verbose=0)

n = x_train.shape[0]
steady = timer.times[args.warmup_epochs:]
emit({
    "peer": f"keras-{args.backend}",
    "workload": "mlp",
    "batch": args.batch,
    "epochs": args.epochs,
    "warmup_epochs": args.warmup_epochs,
    "samples_per_s": round(n * len(steady) / sum(steady), 1),
    "epoch_s": [round(t, 3) for t in timer.times],
    "fit_s": round(fit_s, 3),
    "test_accuracy": round(float(test_acc), 4),
    "test_loss": round(float(test_loss), 4),
    "train_loss": [round(float(v), 4) for v in hist.history["loss"]],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": {"keras": keras.__version__, "numpy": np.__version__,
                 args.backend: __import__(args.backend).__version__},
})
