"""Axon: run and train neural-network models (.axon files, or ONNX).

    import axon, numpy as np
    s = axon.Session("mlp.axon", threads=2)
    probs = s.run({"x": np.zeros((1, 784), np.float32)})["y"]

Session.run views C-contiguous arrays of the input's dtype in place and releases the GIL while
the model runs; errors raise axon.Error (a RuntimeError) with Axon's message.

Other arrays are converted once, refusing (axon.Error naming the input) what would change values:
an integer outside the target's range, an integer beyond 2^24 in magnitude converted to float32
(which no longer holds every such integer: int64 labels for mse, say), and a finite float64 beyond
float32's range (it would become inf). A shape error names the array as passed (i64[4], not the
f32[4] it would have become).

Training, one step at a time or in three phases (for data-parallel training):

    t = axon.TrainingSession("mlp.axon", loss="ce", optimizer="adam")
    loss = t.step(x, labels)                    # all three phases
    loss = t.compute_gradients(x, labels)       # 1: forward, loss, backward
    for g in t.gradients(): g /= 2              # 2: views of the session's buffers, written in place
    t.apply_optimizer()                         # 3: one optimizer step from them
    loss, predictions = t.evaluate(x, labels)   # changes nothing

gradients() and apply_optimizer() raise axon.Error unless compute_gradients ran since the last
apply_optimizer() or step(). A gradient array keeps the session alive; the next compute_gradients
overwrites it. As the session itself, use it from one thread at a time.
"""
from ._axon import Error, Session, TensorInfo, TrainingSession, __version__, convert

__all__ = ["Error", "Session", "TensorInfo", "TrainingSession", "convert", "__version__"]
