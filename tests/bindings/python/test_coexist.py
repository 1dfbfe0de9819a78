"""axon in one process with Debian's python3-onnx and python3-torch, in both import orders: they
link the same protobuf and ONNX protos, and a descriptor registered twice would abort the
process. Each order runs in a fresh interpreter. torch is optional (a large package that
scripts/setup does not install); when it is missing this says so and checks onnx alone."""
import importlib.util
import os
import subprocess
import sys

from axon_test_util import remove, temp_dir

have_torch = importlib.util.find_spec("torch") is not None
if not have_torch:
    print("test_coexist: SKIPPED the torch part: python3-torch is not installed (onnx is still tested)")

BODY = r"""
import os, sys
import numpy as np
import axon, onnx
from axon_test_util import mlp_onnx, mlp_reference
d = sys.argv[1]
src, dst = os.path.join(d, "m.onnx"), os.path.join(d, "m.axon")
weights = mlp_onnx(src)
onnx.checker.check_model(onnx.load(src))  # onnx's own protos at work in this process
axon.convert(src, dst)
x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
y = axon.Session(dst).run({"x": x})["y"]
np.testing.assert_allclose(y, mlp_reference(weights, x), rtol=1e-5, atol=1e-6)
if "torch" in sys.modules:
    import torch
    t = torch.from_numpy(x)
    for i in range(2):
        t = torch.nn.functional.linear(t, torch.from_numpy(weights[f"fc{i}.weight"]), torch.from_numpy(weights[f"fc{i}.bias"]))
        t = torch.relu(t) if i == 0 else torch.softmax(t, dim=-1)
    np.testing.assert_allclose(y, t.numpy(), rtol=1e-5, atol=1e-6)
    # torch's own ONNX export (which uses its protobuf-based onnx) works beside axon too.
    torch.onnx.export(torch.nn.Linear(4, 2), torch.zeros(1, 4), os.path.join(d, "t.onnx"))
    axon.convert(os.path.join(d, "t.onnx"), os.path.join(d, "t.axon"))
print("imports:", [m for m in ("onnx", "torch", "axon") if m in sys.modules], "ok")
"""

orders = [["onnx", "axon"], ["axon", "onnx"]]
if have_torch:
    orders += [["onnx", "torch", "axon"], ["axon", "torch", "onnx"], ["torch", "axon", "onnx"]]
d = temp_dir("coexist")
here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.environ.get("PYTHONPATH", ""), here]))
for order in orders:
    code = "".join(f"import {m}\n" for m in order) + BODY
    r = subprocess.run([sys.executable, "-c", code, d], capture_output=True, text=True, env=env, timeout=240)
    print(f"test_coexist: import {', '.join(order)}: exit {r.returncode}", r.stdout.strip())
    assert r.returncode == 0, r.stderr[-3000:]
remove(d)
print("test_coexist: ok")
