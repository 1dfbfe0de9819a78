"""Models for the Python tests, made with Debian's python3-onnx and converted with axon.convert,
so that every weight is known to the test and a NumPy reference can be computed independently."""
import os
import shutil
import tempfile

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def temp_dir(name):
    path = tempfile.mkdtemp(prefix=f"axon_py_{name}_")
    return path


def remove(path):
    shutil.rmtree(path, ignore_errors=True)


def _save(nodes, inputs, outputs, weights, path, name):
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, path)


def linear_onnx(path, rng):
    """One torch.nn.Linear(3, 2) (Gemm, transB=1) with weights w, b drawn from rng; input
    x f32[batch, 3], output y. Returns (w, b)."""
    w = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])
    _save([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], [x], [y], {"w": w, "b": b}, path, "linear")
    return w, b


def mlp_onnx(path, sizes=(4, 8, 3), seed=0):
    """torch.nn.Linear layers (Gemm, transB=1) with Relu between them, Softmax at the end; input
    x f32[batch, sizes[0]], output y. Returns the weights, {name: array}."""
    rng = np.random.default_rng(seed)
    weights, nodes, h = {}, [], "x"
    for i in range(len(sizes) - 1):
        w, b = f"fc{i}.weight", f"fc{i}.bias"
        weights[w] = rng.standard_normal((sizes[i + 1], sizes[i])).astype(np.float32)
        weights[b] = rng.standard_normal(sizes[i + 1]).astype(np.float32)
        nodes.append(helper.make_node("Gemm", [h, w, b], [f"fc{i}"], transB=1))
        h = f"fc{i}"
        if i + 2 < len(sizes):
            nodes.append(helper.make_node("Relu", [h], [f"relu{i}"]))
            h = f"relu{i}"
    nodes.append(helper.make_node("Softmax", [h], ["y"], axis=-1))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", sizes[0]])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", sizes[-1]])
    _save(nodes, [x], [y], weights, path, "mlp")
    return weights


def mlp_reference(weights, x):
    """The MLP of mlp_onnx in float64 NumPy."""
    h = x.astype(np.float64)
    layers = len(weights) // 2
    for i in range(layers):
        h = h @ weights[f"fc{i}.weight"].T.astype(np.float64) + weights[f"fc{i}.bias"]
        if i + 1 < layers:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def shuffle_onnx(path):
    """softmax(x·Wᵀ) with W a shuffled identity: class k scores x[(k + 1) % 4]."""
    w = np.zeros((4, 4), np.float32)
    for k in range(4):
        w[k, (k + 1) % 4] = 1
    nodes = [helper.make_node("Gemm", ["x", "w"], ["logits"], transB=1),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 4])
    _save(nodes, [x], [y], {"w": w}, path, "shuffle")


def two_input_onnx(path):
    """sum = a + Cast(k, float), cnt = k + k: an f32 and an i64 input, two outputs."""
    nodes = [helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["a", "kf"], ["sum"]),
             helper.make_node("Add", ["k", "k"], ["cnt"])]
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 3])
    k = helper.make_tensor_value_info("k", TensorProto.INT64, ["n", 3])
    s = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["n", 3])
    c = helper.make_tensor_value_info("cnt", TensorProto.INT64, ["n", 3])
    _save(nodes, [a, k], [s, c], {}, path, "two_inputs")


def chain_onnx(path, width=1024, depth=8, seed=1):
    """depth MatMuls by width x width matrices scaled to keep values bounded: a model whose run takes
    long enough to watch other threads during it."""
    rng = np.random.default_rng(seed)
    weights, nodes, h = {}, [], "x"
    for i in range(depth):
        weights[f"w{i}"] = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
        out = "y" if i + 1 == depth else f"h{i}"
        nodes.append(helper.make_node("MatMul", [h, f"w{i}"], [out]))
        h = out
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", width])
    _save(nodes, [x], [y], weights, path, "chain")
    return weights


def expect_error(kind, fragment, f, *args, **kwargs):
    """f(*args) must raise `kind` with `fragment` in its message."""
    try:
        f(*args, **kwargs)
    except kind as e:
        assert fragment in str(e), f"{fragment!r} not in {str(e)!r}"
        return e
    raise AssertionError(f"no {kind.__name__} raised (wanted one saying {fragment!r})")
