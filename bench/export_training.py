"""Writes the models and data bench/compare_training trains, with PyTorch (fixed seeds), so that Axon and
PyTorch start from the same weights on the same batches.

Into OUT_DIR:
  xor.onnx, xor.pt           the seed's 2-4-1 sigmoid network (nn.Linear's default initialization)
  xor.x.npy, xor.y.npy       the four XOR cases [4,2] and their targets [4,1] (f32)
  mlp.onnx, mlp.pt           a 784-512-512-10 ReLU MLP (logits out; batch dimension symbolic)
  mlp.x.B.npy, mlp.y.B.npy   a random batch of B = 64 and 256: inputs [B,784] f32, class labels [B] i64
The .onnx and the .pt file of a model hold the same weights (the .pt is its state_dict).
Usage: /usr/bin/python3 bench/export_training.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch

OPSET = 13
BATCHES = (64, 256)


def xor_net():
    return torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1), torch.nn.Sigmoid())


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                               torch.nn.Linear(512, 10))


MODELS = {"xor": xor_net, "mlp": mlp}


def export(name, model, x, out_dir):
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, (x,), path, opset_version=OPSET, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, do_constant_folding=True)
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pt"))
    print(f"exported {path}", file=sys.stderr)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)

    torch.manual_seed(0)
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    export("xor", xor_net(), x, out_dir)
    np.save(os.path.join(out_dir, "xor.x.npy"), x.numpy())
    np.save(os.path.join(out_dir, "xor.y.npy"), y.numpy())

    torch.manual_seed(1)
    model = mlp()
    gen = torch.Generator().manual_seed(2)
    for batch in BATCHES:
        x = torch.randn(batch, 784, generator=gen)
        y = torch.randint(0, 10, (batch,), generator=gen, dtype=torch.int64)
        np.save(os.path.join(out_dir, f"mlp.x.{batch}.npy"), x.numpy())
        np.save(os.path.join(out_dir, f"mlp.y.{batch}.npy"), y.numpy())
    export("mlp", model, x, out_dir)


if __name__ == "__main__":
    main()
