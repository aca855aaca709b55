"""Shared helpers for the PyTorch peers: the seed models built as Keras builds them (Keras'
default initializers and Adam epsilon), and an epoch loop timed like the Keras callback."""
import os
import time

import torch
from torch import nn

# BENCH_TORCH_THREADS sets PyTorch's intra-op threads (default: one per physical core). Its
# OpenMP threads spin at barriers: on a machine where other processes hold the cores, two
# threads can run 50-100x slower than one, so smoke runs on a loaded machine set it to 1.
if os.environ.get("BENCH_TORCH_THREADS"):
    torch.set_num_threads(int(os.environ["BENCH_TORCH_THREADS"]))


def keras_init(model):
    """Keras' defaults: glorot_uniform kernels, zero biases (PyTorch's own differ); for the
    recurrent kernel Keras uses orthogonal."""
    for name, p in model.named_parameters():
        if name.endswith("bias") or "bias_" in name:
            nn.init.zeros_(p)
        elif "weight_hh" in name:
            nn.init.orthogonal_(p)
        else:
            nn.init.xavier_uniform_(p)
    return model


def adam(model):
    # Keras' Adam: learning_rate 0.001, beta 0.9/0.999, epsilon 1e-7.
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)


def train_epochs(model, opt, loss_fn, x, y, batch, epochs, seed=1):
    """Keras' fit loop: shuffle every epoch, batches of `batch` (the last one smaller).
    Returns (epoch times in seconds, mean training loss per epoch)."""
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    times, losses = [], []
    model.train()
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        total = torch.zeros(())
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        losses.append(float(total) / n)
        times.append(time.perf_counter() - t0)
    return times, losses


@torch.inference_mode()
def accuracy(model, x, y, batch=256):
    model.eval()
    correct = 0
    for s in range(0, x.shape[0], batch):
        correct += int((model(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum())
    return correct / x.shape[0]


def versions():
    return {"torch": torch.__version__, "threads": torch.get_num_threads()}
