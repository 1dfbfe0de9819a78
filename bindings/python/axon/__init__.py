"""Axon: run and train neural-network models (.axon files, or ONNX).

    import axon, numpy as np
    s = axon.Session("mlp.axon", threads=2)
    probs = s.run({"x": np.zeros((1, 784), np.float32)})["y"]

Session.run views C-contiguous arrays of the input's dtype in place and releases the GIL while
the model runs; errors raise axon.Error (a RuntimeError) with Axon's message.
"""
from ._axon import Error, Session, TensorInfo, TrainingSession, __version__, convert

__all__ = ["Error", "Session", "TensorInfo", "TrainingSession", "convert", "__version__"]
