"""Shared helpers for the Python peers: Fashion-MNIST IDX reader and timing utilities."""
import gzip
import os
import struct
import sys

import numpy as np

DEFAULT_DIRS = [
    os.environ.get("FASHION_MNIST_DIR", ""),
    "/usr/share/datasets/fashion-mnist",
]


def _find(name):
    for d in DEFAULT_DIRS:
        if d and os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    raise FileNotFoundError(
        f"{name} not found in {[d for d in DEFAULT_DIRS if d]}; "
        "install the apt package dataset-fashion-mnist or set FASHION_MNIST_DIR"
    )


def read_idx(name):
    with gzip.open(_find(name), "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist():
    """Returns ((x_train, y_train), (x_test, y_test)) as uint8 arrays, Keras' shapes."""
    return (
        (read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")),
        (read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")),
    )


def emit(obj):
    import json

    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()



def epoch_timer():
    """A Keras callback recording each epoch's wall time (on_epoch_begin .. on_epoch_end) in
    `.times`. Call it after KERAS_BACKEND is set (it imports keras)."""
    import time

    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []
            self._t0 = None

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._t0)

    return EpochTimer()


def rnn_data(n=10000, steps=10, features=20, seed=1):
    """The generated data of the seed RNN, the same numbers as lib/common.mjs `rnnData`:
    x uniform in [0, 1) [n, steps, features] and 0/1 labels [n, 1], float32, from a
    counter-based hash (lowbias32) of each element's index and the seed."""
    size = n * steps * features
    mix = np.uint32((seed * 0x9E3779B9) & 0xFFFFFFFF)

    def h(idx):
        v = idx.astype(np.uint32) ^ mix
        v ^= v >> np.uint32(16)
        v *= np.uint32(0x7FEB352D)
        v ^= v >> np.uint32(15)
        v *= np.uint32(0x846CA68B)
        v ^= v >> np.uint32(16)
        return v

    x = ((h(np.arange(size, dtype=np.uint64)) >> np.uint32(8)).astype(np.float32) / np.float32(16777216.0))
    y = (h(np.arange(size, size + n, dtype=np.uint64)) >> np.uint32(31)).astype(np.float32)
    return x.reshape(n, steps, features), y.reshape(n, 1)


def percentile(sorted_values, p):
    """The value at percentile p (0-100) of sorted numbers, nearest rank (lib/timing.mjs's rule)."""
    import math

    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def latency(fn, warmup=200, calls=2000, max_time=3.0):
    """Latency of one call (lib/timing.mjs `latency`): milliseconds p50, p99, mean; stops early
    after max_time seconds once 200 calls are in."""
    import time

    start = time.perf_counter()
    for i in range(warmup):
        if i >= 20 and time.perf_counter() - start > max_time / 2:
            break
        fn()
    times = []
    timed = time.perf_counter()
    while len(times) < calls and (len(times) < 200 or time.perf_counter() - timed < max_time):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50_ms": round(percentile(times, 50), 4), "p99_ms": round(percentile(times, 99), 4),
            "mean_ms": round(sum(times) / len(times), 4), "calls": len(times)}


def throughput(fn, samples, warmup=2, min_calls=5, min_time=1.0, max_calls=1000):
    """Throughput (lib/timing.mjs `throughput`): calls timed one by one until min_calls and
    min_time; samples/s of the median call."""
    import time

    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = percentile(times, 50)
    return {"samples_per_s": round(samples * 1000 / med, 1), "median_ms": round(med, 3), "min_ms": round(times[0], 3),
            "calls": len(times)}


def fixed_inputs(size, offset=0):
    """The inputs of lib/timing.mjs `fixedInputs`: ((i + offset) * 2654435761 mod 1000) / 1000, float32."""
    i = np.arange(offset, offset + size, dtype=np.uint64)
    return ((i * np.uint64(2654435761)) % np.uint64(1000)).astype(np.float32) / np.float32(1000)
