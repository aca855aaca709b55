# Loads model files with Keras and prints their predictions, for
# __test__/saving_keras_interop.spec.ts: python keras_predict.py MANIFEST.json [MODULE.py ...]
# (each MODULE.py is run first: it registers the custom layers the files name)
# MANIFEST.json: [{"file": path, "inputs": [{"shape": [...], "values": [...]}, ...]}, ...];
# prints one JSON list: per file {"outputs": [...], "iterations": n} or {"error": message}.
import json
import os
import sys
import warnings

# Inference only: the numpy backend starts fastest and compiles nothing.
os.environ.setdefault("KERAS_BACKEND", "numpy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import runpy

import keras
import numpy as np

for module in sys.argv[2:]:
    runpy.run_path(module)


def predict(entry):
    model = keras.models.load_model(entry["file"])
    inputs = [np.asarray(i["values"], dtype="float32").reshape(i["shape"]) for i in entry["inputs"]]
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {
        "outputs": [{"shape": list(o.shape), "values": np.asarray(o).ravel().tolist()} for o in outputs],
        "iterations": int(model.optimizer.iterations) if getattr(model, "optimizer", None) is not None else None,
    }


results = []
with open(sys.argv[1]) as f:
    for entry in json.load(f):
        try:
            results.append(predict(entry))
        except Exception as error:  # reported per file by the test
            results.append({"error": f"{type(error).__name__}: {error}"})
print(json.dumps(results))
