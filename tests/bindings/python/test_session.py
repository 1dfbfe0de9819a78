"""axon.Session against a NumPy reference; inputs, outputs, dtype conversion and errors."""
import os
import subprocess
import sys
import tracemalloc

import numpy as np

import axon
from axon_test_util import (expect_error, mlp_onnx, mlp_reference, remove, temp_dir, two_input_onnx)

d = temp_dir("session")
onnx_path, axon_path = os.path.join(d, "mlp.onnx"), os.path.join(d, "mlp.axon")
weights = mlp_onnx(onnx_path, sizes=(4, 8, 3))
info = axon.convert(onnx_path, axon_path)
assert info["initializers"] == 4 and info["inputs"] == 1 and info["outputs"] == 1 and info["nodes"] >= 3, info

# Version: the CLI's.
cli = subprocess.run([os.environ["AXON_CLI"], "--version"], capture_output=True, text=True).stdout
assert axon.__version__ in cli, (axon.__version__, cli)

s = axon.Session(axon_path, threads=1)
assert [i.name for i in s.inputs] == ["x"] and [o.name for o in s.outputs] == ["y"]
assert s.inputs[0].dtype == np.float32
assert s.inputs[0].shape == ("batch", 4), s.inputs[0].shape
assert s.outputs[0].shape == ("batch", 3), s.outputs[0].shape
assert repr(s.inputs[0]) == "<TensorInfo x: f32[batch,4]>", repr(s.inputs[0])
assert s.threads == 1

x = np.random.default_rng(5).standard_normal((5, 4)).astype(np.float32)
y = s.run({"x": x})
assert list(y) == ["y"] and y["y"].dtype == np.float32 and y["y"].shape == (5, 3)
np.testing.assert_allclose(y["y"], mlp_reference(weights, x), rtol=1e-5, atol=1e-6)

# The same from bytes, from the ONNX file directly, and at every opt level.
with open(axon_path, "rb") as f:
    data = f.read()
for model in (data, bytearray(data), onnx_path):
    np.testing.assert_array_equal(axon.Session(model).run({"x": x})["y"], y["y"])
for level in (0, 1, 2):
    np.testing.assert_allclose(axon.Session(axon_path, opt_level=level).run({"x": x})["y"], y["y"], rtol=1e-6)

# Conversions: float64, a list, a strided view are converted; results as for float32.
ref64 = mlp_reference(weights, x.astype(np.float32))
np.testing.assert_allclose(s.run({"x": x.astype(np.float64)})["y"], ref64, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(s.run({"x": x.tolist()})["y"], ref64, rtol=1e-5, atol=1e-6)
wide = np.zeros((5, 8), np.float32)
wide[:, ::2] = x
np.testing.assert_allclose(s.run({"x": wide[:, ::2]})["y"], ref64, rtol=1e-5, atol=1e-6)

# An f32 and an i64 input, two outputs in the model's order.
two = os.path.join(d, "two.onnx")
two_input_onnx(two)
t = axon.Session(two)
a = np.arange(6, dtype=np.float32).reshape(2, 3)
k = np.array([[1, 2, 3], [4, 5, 6]])
out = t.run({"a": a, "k": k})
assert list(out) == ["sum", "cnt"]
np.testing.assert_array_equal(out["sum"], a + k)
assert out["cnt"].dtype == np.int64
np.testing.assert_array_equal(out["cnt"], 2 * k)
np.testing.assert_array_equal(t.run({"a": a, "k": k.astype(np.int32)})["cnt"], 2 * k)  # widened
expect_error(TypeError, "input 'k' is i64 (numpy int64); an array of float32 does not convert", t.run,
             {"a": a, "k": k.astype(np.float32)})
# Narrowing integers converts values that fit, and refuses, naming the input, those that numpy's
# same_kind casting would wrap (int64 3000000000 is int32 -1294967296).
from onnx import TensorProto, helper, save  # noqa: E402
i32 = os.path.join(d, "i32.onnx")
save(helper.make_model(helper.make_graph(
    [helper.make_node("Add", ["k", "k"], ["y"])], "i32", [helper.make_tensor_value_info("k", TensorProto.INT32, ["n"])],
    [helper.make_tensor_value_info("y", TensorProto.INT32, ["n"])]), opset_imports=[helper.make_opsetid("", 17)]), i32)
s32 = axon.Session(i32)
fits = np.array([-2**31, 7, 2**30 - 1], np.int64)
np.testing.assert_array_equal(s32.run({"k": fits})["y"], (2 * fits).astype(np.int32))
np.testing.assert_array_equal(s32.run({"k": [1, 2]})["y"], np.array([2, 4], np.int32))
expect_error(axon.Error, "input 'k' is i32 (numpy int32); the int64 array holds 3000000000, outside its range "
             "[-2147483648, 2147483647]: converting would wrap it", s32.run, {"k": np.array([1, 3000000000], np.int64)})
expect_error(axon.Error, "the int64 array holds -2147483649", s32.run, {"k": np.array([-2**31 - 1, 0], np.int64)})
expect_error(axon.Error, "the uint64 array holds 4294967295", s32.run, {"k": np.array([4294967295], np.uint64)})
expect_error(axon.Error, "input 'k' is i64 (numpy int64); the uint64 array holds 9223372036854775808", t.run,
             {"a": a[:1], "k": np.full((1, 3), 2**63, np.uint64)})

# Errors carry Axon's message.
expect_error(axon.Error, "missing input x: f32[batch,4]", s.run, {})
expect_error(axon.Error, "model has no input 'z' (inputs: x: f32[batch,4])", s.run, {"x": x, "z": x})
expect_error(axon.Error, "x", s.run, {"x": np.zeros((5, 5), np.float32)})
expect_error(axon.Error, "nothere.axon: cannot open", axon.Session, os.path.join(d, "nothere.axon"))
expect_error(axon.Error, "<memory>", axon.Session, b"garbage bytes, not a model")
expect_error(axon.Error, "is an .axon model already", axon.convert, axon_path, os.path.join(d, "again.axon"))
expect_error(axon.Error, "threads", axon.Session, axon_path, threads=-1)
assert issubclass(axon.Error, RuntimeError)

# Zero copy: a 64 MB float32 input is read in place: the run allocates its output (NumPy reports
# its allocations to tracemalloc), no copy of the input.
big = np.ones((1 << 22, 4), np.float32)
tracemalloc.start()
s.run({"x": big})
_, peak_view = tracemalloc.get_traced_memory()
tracemalloc.stop()
out_bytes = big.shape[0] * 3 * 4
assert peak_view < out_bytes + big.nbytes // 4, (peak_view, out_bytes)

# Back to the first batch size after other shapes: the outputs are shaped for this run, not the last.
np.testing.assert_allclose(s.run({"x": x})["y"], y["y"], rtol=1e-6)
np.testing.assert_allclose(s.run({"x": x[:2]})["y"], y["y"][:2], rtol=1e-6)

# Scalars and unaligned arrays are converted: a Python float or 0-d float64 array stays 0-d for a
# 0-d input (numpy's ascontiguousarray would make it 1-d), and an unaligned float32 view is copied.
from onnx import TensorProto, helper, save  # noqa: E402
square = os.path.join(d, "square.onnx")
save(helper.make_model(helper.make_graph(
    [helper.make_node("Mul", ["a", "a"], ["y"])], "square", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])]), opset_imports=[helper.make_opsetid("", 17)]), square)
sq = axon.Session(square)
for scalar in (3.0, np.float32(3), np.float64(3), np.array(3.0), np.array(3, np.int64)):
    r = sq.run({"a": scalar})["y"]
    assert r.shape == () and r == 9.0, (scalar, r)
unaligned = np.frombuffer(b"\0" + x.tobytes(), np.float32, offset=1).reshape(x.shape)
assert not unaligned.flags.aligned
np.testing.assert_allclose(s.run({"x": unaligned})["y"], y["y"], rtol=1e-6)

# An input whose values decide an output's shape (a Reshape's target): same input shapes, other
# values, another output shape, every time.
reshape = os.path.join(d, "reshape.onnx")
save(helper.make_model(helper.make_graph(
    [helper.make_node("Reshape", ["v", "s"], ["r"])], "reshape",
    [helper.make_tensor_value_info("v", TensorProto.FLOAT, [6]), helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
    [helper.make_tensor_value_info("r", TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid("", 17)]), reshape)
rs = axon.Session(reshape)
v = np.arange(6, dtype=np.float32)
for target in ((2, 3), (3, 2), (6, 1), (2, 3)):
    np.testing.assert_array_equal(rs.run({"v": v, "s": np.array(target)})["r"], v.reshape(target))
expect_error(axon.Error, "Reshape", rs.run, {"v": v, "s": np.array([2, 2])})

remove(d)
print("test_session: ok")
