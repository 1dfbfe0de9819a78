"""axon.TrainingSession's three phases (compute_gradients, gradients() written in place,
apply_optimizer) and evaluate, against NumPy's gradients of MSE by hand; phases out of order."""
import os

import numpy as np

import axon
from axon_test_util import expect_error, linear_onnx, mlp_onnx, remove, temp_dir

d = temp_dir("training_phases")
rng = np.random.default_rng(11)
linear = os.path.join(d, "linear.onnx")
w0, b0 = linear_onnx(linear, rng)

# The gradients of L = mean((x·wᵀ + b - t)²) by hand: dL/dy = 2(y - t)/N, dL/dw = dL/dyᵀ·x,
# dL/db = the sum of dL/dy over the batch.
x = rng.standard_normal((6, 3)).astype(np.float32)
target = rng.standard_normal((6, 2)).astype(np.float32)
t = axon.TrainingSession(linear, loss="mse", optimizer="sgd", lr=0.1, threads=1)
assert t.parameters == ["w", "b"] or t.parameters == ["b", "w"], t.parameters
y = x.astype(np.float64) @ w0.T + b0
dy = 2 * (y - target) / y.size
want = {"w": dy.T @ x, "b": dy.sum(axis=0)}
loss = t.compute_gradients(x, target)
assert abs(loss - np.mean((y - target) ** 2)) < 1e-5, loss
grads = t.gradients()
assert [g.shape for g in grads] == [want[p].shape for p in t.parameters]
for name, g in zip(t.parameters, grads):
    assert g.dtype == np.float32 and g.flags.writeable
    np.testing.assert_allclose(g, want[name], rtol=1e-5, atol=1e-6)
# Written in place: zero gradients make SGD leave the parameters as they are.
for g in grads:
    g[...] = 0
t.apply_optimizer()
assert t.steps == 1
np.testing.assert_array_equal(t.parameter("w"), w0)
np.testing.assert_array_equal(t.parameter("b"), b0)

# evaluate: the loss and predictions of the current parameters, changing nothing.
loss, predictions = t.evaluate(x, target)
np.testing.assert_allclose(predictions, y, rtol=1e-5, atol=1e-5)
assert abs(loss - np.mean((y - target) ** 2)) < 1e-5, loss
assert t.steps == 1

# Data-parallel by hand: two half-batch gradients averaged in place, then applied, equal one
# full-batch step (Adam, so that the applied values matter beyond a scale).
mlp = os.path.join(d, "mlp.onnx")
mlp_onnx(mlp, sizes=(4, 8, 3), seed=3)
xs = rng.standard_normal((8, 4)).astype(np.float32)
ts = rng.standard_normal((8, 3)).astype(np.float32)
full = axon.TrainingSession(mlp, loss="mse", optimizer="adam", lr=0.01, threads=1)
halves = axon.TrainingSession(mlp, loss="mse", optimizer="adam", lr=0.01, threads=1)
for step in range(3):
    full_loss = full.step(xs, ts)
    first_loss = halves.compute_gradients(xs[:4], ts[:4])
    first = [g.copy() for g in halves.gradients()]
    second_loss = halves.compute_gradients(xs[4:], ts[4:])
    for g, f in zip(halves.gradients(), first):
        g += f
        g /= 2
    halves.apply_optimizer()
    assert abs((first_loss + second_loss) / 2 - full_loss) < 1e-5 * max(1, full_loss), (step, first_loss, second_loss, full_loss)
for name in full.parameters:
    np.testing.assert_allclose(halves.parameter(name), full.parameter(name), rtol=1e-5, atol=1e-6, err_msg=name)
assert halves.steps == full.steps == 3

# Phases out of order raise axon.Error saying what to call.
s = axon.TrainingSession(linear, loss="mse", threads=1)
expect_error(axon.Error, "gradients(): no gradients to give: call compute_gradients(x, labels) first", s.gradients)
expect_error(axon.Error, "apply_optimizer() needs gradients: call compute_gradients(x, labels) first", s.apply_optimizer)
s.compute_gradients(x, target)
kept = s.gradients()
s.apply_optimizer()
expect_error(axon.Error, "apply_optimizer() needs gradients", s.apply_optimizer)  # once per compute_gradients
expect_error(axon.Error, "no gradients to give", s.gradients)
s.step(x, target)
expect_error(axon.Error, "no gradients to give", s.gradients)
expect_error(axon.Error, "apply_optimizer() needs gradients", s.apply_optimizer)
expect_error(axon.Error, "input 'labels' must have rank 2", s.compute_gradients, x, target[:, 0])
expect_error(axon.Error, "no gradients to give", s.gradients)  # a failed compute_gradients leaves none
assert s.steps == 2
# A gradient array keeps its session alive: reading and writing it after the last reference to
# the session is dropped touches memory that is still the session's.
del s
kept[0][...] = 1.0
assert kept[0].sum() == kept[0].size

remove(d)
print("ok")
