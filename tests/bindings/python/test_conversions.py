"""What Session.run and TrainingSession convert, and what they refuse rather than change: a
finite float64 beyond float32's range, an integer beyond 2^24 converted to float32; shape errors
name the array as the caller passed it."""
import os

import numpy as np

import axon
from axon_test_util import expect_error, mlp_onnx, remove, temp_dir

d = temp_dir("conversions")
path = os.path.join(d, "mlp.onnx")
mlp_onnx(path, sizes=(4, 8, 3), seed=5)
s = axon.Session(path, threads=1)
t = axon.TrainingSession(path, loss="mse", threads=1)

# A wrong shape names the dtype passed (i64, f64), not the f32 it would have been converted to.
expect_error(axon.Error, "input 'x' must have rank 2 (x: f32[batch,4]), got i64[4]", s.run, {"x": np.ones(4, np.int64)})
expect_error(axon.Error, "input 'x' must be x: f32[batch,4], got float64[2,5]", s.run, {"x": np.ones((2, 5))})
expect_error(axon.Error, "input 'x' must be x: f32[batch,4], got i32[2,5]", t.step, np.ones((2, 5), np.int32),
             np.ones((2, 3), np.float32))
expect_error(axon.Error, "labels 'labels' must have rank 2 (labels: f32[batch,3]), got i64[2]", t.step,
             np.ones((2, 4), np.float32), np.ones(2, np.int64))
# An array already of the input's dtype is reported as before.
expect_error(axon.Error, "got f32[2,5]", s.run, {"x": np.ones((2, 5), np.float32)})

# float64 beyond float32's range would become inf: refused, naming the input and the element.
x = np.ones((2, 4))
x[1, 2] = -1e39
expect_error(axon.Error, "input 'x' is f32 (numpy float32); the float64 array holds -1e+39 (element 6), beyond float32's range",
             s.run, {"x": x})
expect_error(axon.Error, "beyond float32's range", t.step, x, np.ones((2, 3)))
labels = np.ones((2, 3))
labels[0, 0] = 5e38
expect_error(axon.Error, "labels 'labels' is f32 (numpy float32); the float64 array holds 5e+38 (element 0)", t.step,
             np.ones((2, 4)), labels)
assert t.steps == 0
# float32's largest value itself, and infinities or NaN passed as such, convert as they are.
x[1, 2] = np.finfo(np.float32).max
assert np.isfinite(s.run({"x": x})["y"][0]).all()
x[1, 2] = np.inf
s.run({"x": x})
x[1, 2] = np.nan
s.run({"x": x})

# Integers converted to float32 stay exact: up to 2^24 in magnitude.
labels = np.zeros((2, 3), np.int64)
labels[1, 1] = 2 ** 24
t.evaluate(np.ones((2, 4), np.float32), labels)
labels[1, 1] = -(2 ** 24) - 1
expect_error(axon.Error, "labels 'labels' is f32 (numpy float32); the int64 array holds -16777217, beyond 2^24 in magnitude",
             t.evaluate, np.ones((2, 4), np.float32), labels)
expect_error(axon.Error, "the int64 array holds 16777217", s.run, {"x": np.full((1, 4), 2 ** 24 + 1, np.int64)})
assert (s.run({"x": np.full((1, 4), 3, np.uint8)})["y"] > 0).all()

remove(d)
print("ok")
