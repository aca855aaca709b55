#!/usr/bin/env bash
# Sets up the benchmark peers: a Python venv at benches/.venv (numpy/OpenBLAS, Keras 3 on JAX
# and on TensorFlow, PyTorch + torchvision on the CPU) and the Node peers (TensorFlow.js + wasm
# backend, onnxruntime-node, autocannon) in benches/node_modules. None of them is a dependency
# of the library itself. Downloads several GB (PyTorch's CUDA runtime packages, see
# requirements.txt); `perf` (apt-get install linux-perf) is needed only for `node benches/profile.mjs`.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --upgrade pip
.venv/bin/python -m pip install -r requirements.txt
.venv/bin/python -c "import torch, torchvision, keras, jax, tensorflow; print('python peers: torch', torch.__version__, 'keras', keras.__version__)"
npm install --no-audit --no-fund
# The MLP/memory workloads use Fashion-MNIST from the IDX gz files of the apt package
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or from $FASHION_MNIST_DIR.
if [ -z "${FASHION_MNIST_DIR:-}" ] && [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "note: Fashion-MNIST not found; run 'apt-get install -y dataset-fashion-mnist' or set FASHION_MNIST_DIR" >&2
fi
echo "benches setup done"
