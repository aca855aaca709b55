"""Seed CNN on Fashion-MNIST with PyTorch (CPU), the same model and protocol as cnn_keras.py.

Usage: cnn_torch.py [--batch 64] [--epochs 2] [--steps 160] [--warmup-steps 20]
Model: Conv2d 32 3x3 relu -> MaxPool 2 -> Conv2d 64 3x3 relu -> MaxPool 2 -> Flatten ->
Linear 128 relu -> Linear 10 (softmax in the loss); Adam (Keras' settings). PyTorch's layout is
NCHW: the images are [N, 1, 28, 28] (made once, before timing). Protocol: a warm-up fit of one
epoch on --warmup-steps batches, then --epochs epochs on the first --steps x --batch samples,
shuffled, each epoch timed. Prints one JSON line.
"""
import argparse
import os
import resource
import sys

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=64)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--steps", type=int, default=160)
p.add_argument("--warmup-steps", type=int, default=20)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import emit, load_fashion_mnist  # noqa: E402
from torch_common import accuracy, adam, keras_init, train_epochs, versions  # noqa: E402

(x_tr, y_tr), (x_te, y_te) = load_fashion_mnist()
n_all = x_tr.shape[0]
n = min(args.steps * args.batch, n_all) if args.steps > 0 else n_all
n_warm = min(args.warmup_steps * args.batch, n_all)


def prep(x, y, k):
    return torch.from_numpy(x[:k].reshape(-1, 1, 28, 28).astype("float32") / 255.0), torch.from_numpy(y[:k].astype("int64"))


x_train, y_train = prep(x_tr, y_tr, n)
x_warm, y_warm = prep(x_tr, y_tr, n_warm)
x_test, y_test = prep(x_te, y_te, x_te.shape[0])

torch.manual_seed(args.seed)
model = keras_init(nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10)))
opt = adam(model)
loss_fn = nn.CrossEntropyLoss()
warmup_times = []
if args.warmup_steps > 0:
    warmup_times, _ = train_epochs(model, opt, loss_fn, x_warm, y_warm, args.batch, 1, args.seed)
times, losses = train_epochs(model, opt, loss_fn, x_train, y_train, args.batch, args.epochs, args.seed + 1)
test_acc = accuracy(model, x_test, y_test)

emit({
    "peer": "torch",
    "workload": "cnn",
    "batch": args.batch,
    "epochs": args.epochs,
    "train_samples": n,
    "warmup_steps": args.warmup_steps,
    "samples_per_s": round(n * len(times) / sum(times), 1),
    "epoch_s": [round(t, 3) for t in times],
    "warmup_s": round(sum(warmup_times), 3),
    "test_accuracy": round(test_acc, 4),
    "train_loss": [round(v, 4) for v in losses],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": versions(),
})
