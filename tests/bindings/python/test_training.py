"""axon.TrainingSession: losses and trained weights against a NumPy computation of MSE and SGD
(momentum, Nesterov, dampening, weight decay), checkpoints, export, and errors."""
import os
import threading

import numpy as np

import axon
from axon_test_util import expect_error, linear_onnx, remove, temp_dir

d = temp_dir("training")
rng = np.random.default_rng(7)
path = os.path.join(d, "linear.onnx")
w0, b0 = linear_onnx(path, rng)

t = axon.TrainingSession(path, loss="mse", optimizer="sgd", lr=0.1, threads=1)
assert sorted(t.parameters) == ["b", "w"], t.parameters
assert t.labels.dtype == np.float32 and t.labels.shape == ("batch", 2), t.labels.shape
assert t.steps == 0

# MSE (mean over all elements) and plain SGD by hand: y = x·wᵀ + b, L = mean((y - t)²),
# dL/dy = 2(y - t)/N, dL/dw = dL/dyᵀ·x, dL/db = sum of dL/dy over the batch.
w, b = w0.astype(np.float64), b0.astype(np.float64)
for step in range(3):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    target = rng.standard_normal((4, 2)).astype(np.float32)
    y = x @ w.T + b
    expected = np.mean((y - target) ** 2)
    g = 2 * (y - target) / y.size
    w, b = w - 0.1 * g.T @ x, b - 0.1 * g.sum(axis=0)
    loss = t.step(x, target)
    assert abs(loss - expected) < 1e-5 * max(1, expected), (step, loss, expected)
assert t.steps == 3
np.testing.assert_allclose(t.parameter("w"), w, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(t.parameter("b"), b, rtol=1e-5, atol=1e-6)
x = rng.standard_normal((5, 3)).astype(np.float32)
np.testing.assert_allclose(t.predict(x), x @ w.T + b, rtol=1e-5, atol=1e-5)

# The exported model runs as an inference model with the trained weights.
out = os.path.join(d, "trained.axon")
t.export(out)
np.testing.assert_allclose(axon.Session(out).run({"x": x})["y"], x @ w.T + b, rtol=1e-5, atol=1e-5)

# torch.optim.SGD's momentum, Nesterov and weight decay, by hand: g = grad + wd·p; buf = g at the
# first step, then momentum·buf + (1 - dampening)·g; Nesterov steps along g + momentum·buf.
nm = axon.TrainingSession(path, loss="mse", optimizer="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01,
                          threads=1)
assert nm.optimizer == {"name": "sgd", "lr": np.float32(0.05), "weight_decay": np.float32(0.01),
                        "momentum": np.float32(0.9), "dampening": 0.0, "nesterov": True}, nm.optimizer
w, b = w0.astype(np.float64), b0.astype(np.float64)
bufs = None
for step in range(3):
    xs = rng.standard_normal((4, 3)).astype(np.float32)
    ts = rng.standard_normal((4, 2)).astype(np.float32)
    g = 2 * (xs @ w.T + b - ts) / ts.size
    grads = [g.T @ xs + 0.01 * w, g.sum(axis=0) + 0.01 * b]
    bufs = grads if bufs is None else [0.9 * m + gr for m, gr in zip(bufs, grads)]
    w, b = [p - 0.05 * (gr + 0.9 * m) for p, gr, m in zip((w, b), grads, bufs)]
    nm.step(xs, ts)
np.testing.assert_allclose(nm.parameter("w"), w, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(nm.parameter("b"), b, rtol=1e-5, atol=1e-6)
# Dampening 0.5 without Nesterov: the second step moves by lr·(0.9·g1 + 0.5·g2).
dm = axon.TrainingSession(path, loss="mse", lr=0.1, momentum=0.9, dampening=0.5, frozen=["w"], threads=1)
assert dm.parameters == ["b"]
xs = rng.standard_normal((4, 3)).astype(np.float32)
ts = rng.standard_normal((4, 2)).astype(np.float32)
b = b0.astype(np.float64)
g1 = (2 * (xs @ w0.T + b - ts) / ts.size).sum(axis=0)
b1 = b - 0.1 * g1
g2 = (2 * (xs @ w0.T + b1 - ts) / ts.size).sum(axis=0)
dm.step(xs, ts)
dm.step(xs, ts)
np.testing.assert_allclose(dm.parameter("b"), b1 - 0.1 * (0.9 * g1 + 0.5 * g2), rtol=1e-5, atol=1e-6)
expect_error(axon.Error, "'w' is not a trainable parameter", dm.parameter, "w")
adamw = axon.TrainingSession(path, optimizer="adamw", betas=(0.8, 0.99), eps=1e-6)
assert adamw.optimizer == {"name": "adamw", "lr": np.float32(0.001), "weight_decay": np.float32(0.01),
                           "betas": (np.float32(0.8), np.float32(0.99)), "eps": np.float32(1e-6)}, adamw.optimizer
expect_error(axon.Error, "Nesterov momentum requires a momentum > 0", axon.TrainingSession, path, nesterov=True)
expect_error(axon.Error, "momentum, dampening and nesterov apply to sgd and momentum only", axon.TrainingSession, path,
             optimizer="adam", momentum=0.9)

# A checkpoint: 2 steps, save, resume, 2 more steps end bit for bit where 4 uninterrupted steps do.
batches = [(rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32))
           for _ in range(4)]
settings = dict(loss="mse", optimizer="adam", lr=0.01, weight_decay=0.1, threads=1)
whole = axon.TrainingSession(path, **settings)
for xs, ts in batches:
    whole.step(xs, ts)
part = axon.TrainingSession(path, **settings)
for xs, ts in batches[:2]:
    part.step(xs, ts)
ckpt = os.path.join(d, "ckpt.axon")
part.save_checkpoint(ckpt)
resumed = axon.TrainingSession.resume(ckpt, threads=1)
assert resumed.steps == 2 and resumed.loss == "mse" and resumed.optimizer == part.optimizer, resumed.optimizer
for xs, ts in batches[2:]:
    resumed.step(xs, ts)
for name in ("w", "b"):
    np.testing.assert_array_equal(resumed.parameter(name), whole.parameter(name))
expect_error(axon.Error, "has no training state: not a checkpoint", axon.TrainingSession.resume, out)

# Errors: a bad loss, labels of the wrong shape, labels that would need a narrowing cast.
expect_error(axon.Error, "hinge", axon.TrainingSession, path, loss="hinge")
expect_error(axon.Error, "must be labels: f32[batch,2], got f32[5,3]", t.step, x, np.zeros((5, 3), np.float32))
ce = axon.TrainingSession(path, loss="ce", optimizer="adam", lr=1e-3)
assert ce.labels.dtype == np.int64
expect_error(TypeError, "labels", ce.step, x, np.zeros(5, np.float32))
assert ce.step(x, np.array([0, 1, 1, 0, 1])) > 0
# Python threads stepping one session take turns (a TrainingSession is one thread's at a time):
# every step counts once, and predictions read parameters between steps, never during one.
par = axon.TrainingSession(path, loss="mse", optimizer="sgd", lr=0.01, threads=1)
xb = rng.standard_normal((8, 3)).astype(np.float32)
yb = rng.standard_normal((8, 2)).astype(np.float32)
errors = []


def trainer():
    try:
        for _ in range(25):
            par.step(xb, yb)
            assert np.isfinite(par.predict(xb)).all()
    except Exception as e:  # noqa: BLE001 (reported below)
        errors.append(e)


threads = [threading.Thread(target=trainer) for _ in range(4)]
for th in threads:
    th.start()
for th in threads:
    th.join()
assert not errors, errors
assert par.steps == 100, par.steps

remove(d)
print("test_training: ok")
