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
