"""Seed RNN on generated data with PyTorch (CPU), the same model and data as rnn_keras.py.

Usage: rnn_torch.py [--batch 32] [--epochs 8] [--warmup-epochs 1] [--samples 10000]
Model: nn.RNN(20 -> 64, relu, batch_first) last step -> Linear 64x1 (sigmoid folded into
BCEWithLogitsLoss); Adam (Keras' settings). Data: common.rnn_data. Steady-state samples/s over
epochs warmup+1..N. Prints one JSON line.
"""
import argparse
import os
import resource
import sys

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=32)
p.add_argument("--epochs", type=int, default=8)
p.add_argument("--warmup-epochs", type=int, default=1)
p.add_argument("--samples", type=int, default=10000)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()
if args.epochs <= args.warmup_epochs:
    sys.exit("--epochs must exceed --warmup-epochs")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import emit, rnn_data  # noqa: E402
from torch_common import adam, keras_init, train_epochs, versions  # noqa: E402


class SeedRnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(20, 64, nonlinearity="relu", batch_first=True)
        self.dense = nn.Linear(64, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.dense(out[:, -1])


x, y = rnn_data(args.samples, 10, 20, args.seed)
torch.manual_seed(args.seed)
model = keras_init(SeedRnn())
# Keras' SimpleRNN has one bias; PyTorch has two (input and recurrent): both start at zero.
times, losses = train_epochs(model, adam(model), nn.BCEWithLogitsLoss(), torch.from_numpy(x), torch.from_numpy(y),
                             args.batch, args.epochs, args.seed)

steady = times[args.warmup_epochs:]
emit({
    "peer": "torch",
    "workload": "rnn",
    "batch": args.batch,
    "epochs": args.epochs,
    "warmup_epochs": args.warmup_epochs,
    "train_samples": args.samples,
    "samples_per_s": round(args.samples * len(steady) / sum(steady), 1),
    "epoch_s": [round(t, 3) for t in times],
    "train_loss": [round(v, 4) for v in losses],
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "versions": versions(),
})
