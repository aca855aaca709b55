"""Seed MLP on Fashion-MNIST with PyTorch (CPU), the same model and protocol as mlp_keras.py.

Usage: mlp_torch.py [--batch 32] [--epochs 5] [--warmup-epochs 1]
Model: Flatten -> Linear 784x128 relu -> Dropout 0.2 -> Linear 128x10 (softmax folded into the
cross-entropy, as PyTorch users write it); Adam (Keras' settings), x/255 float32, shuffled
every epoch. Steady-state samples/s over epochs warmup+1..N. Prints one JSON line.
"""
import argparse
import os
import resource
import sys

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=32)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--warmup-epochs", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()
if args.epochs <= args.warmup_epochs:
    sys.exit("--epochs must exceed --warmup-epochs")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import emit, load_fashion_mnist  # noqa: E402
from torch_common import accuracy, adam, keras_init, train_epochs, versions  # noqa: E402

(x_tr, y_tr), (x_te, y_te) = load_fashion_mnist()
x_train = torch.from_numpy(x_tr.astype("float32") / 255.0)
y_train = torch.from_numpy(y_tr.astype("int64"))
x_test = torch.from_numpy(x_te.astype("float32") / 255.0)
y_test = torch.from_numpy(y_te.astype("int64"))

torch.manual_seed(args.seed)
model = keras_init(nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10)))
times, losses = train_epochs(model, adam(model), nn.CrossEntropyLoss(), x_train, y_train, args.batch, args.epochs, args.seed)
test_acc = accuracy(model, x_test, y_test)

n = x_train.shape[0]
steady = times[args.warmup_epochs:]
emit({
    "peer": "torch",
    "workload": "mlp",
    "batch": args.batch,
    "epochs": args.epochs,
    "warmup_epochs": args.warmup_epochs,
    "samples_per_s": round(n * len(steady) / sum(steady), 1),
    "epoch_s": [round(t, 3) for t in times],
    "test_accuracy": round(test_acc, 4),
    "train_loss": [round(v, 4) for v in losses],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": versions(),
})
