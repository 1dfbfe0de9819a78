"""examples/python/classify.py classifies an input of a model whose answer is known by construction."""
import os
import subprocess
import sys

import numpy as np

import axon
from axon_test_util import remove, shuffle_onnx, temp_dir

d = temp_dir("example")
model = os.path.join(d, "shuffle.axon")
shuffle_onnx(os.path.join(d, "shuffle.onnx"))
axon.convert(os.path.join(d, "shuffle.onnx"), model)
np.save(os.path.join(d, "x.npy"), np.array([0.1, 0.2, 0.9, 0.3], np.float32))  # class 1 scores x[2]
script = os.path.join(os.environ["AXON_SOURCE_DIR"], "examples", "python", "classify.py")
r = subprocess.run([sys.executable, script, model, os.path.join(d, "x.npy")], capture_output=True, text=True)
assert r.returncode == 0, r.stderr
assert r.stdout.startswith("class 1 (score "), r.stdout
r = subprocess.run([sys.executable, script, os.path.join(d, "nothere.axon"), os.path.join(d, "x.npy")],
                   capture_output=True, text=True)
assert r.returncode == 1 and "nothere.axon: cannot open" in r.stderr, (r.returncode, r.stderr)
remove(d)
print("test_example: ok")
