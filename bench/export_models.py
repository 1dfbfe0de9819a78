"""Exports the real models bench/compare_models measures, with PyTorch, random weights, opset 13.

For each model NAME it writes into OUT_DIR:
  NAME.onnx        the model (one input, one output)
  NAME.input.npy   a random input (fixed seed)
  NAME.expect.npy  PyTorch's output for that input (eval mode)
Usage: python3 bench/export_models.py OUT_DIR [NAME ...]
"""
import os
import sys

import numpy as np
import torch
import torchvision

OPSET = 13


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 512)
        self.fc2 = torch.nn.Linear(512, 512)
        self.fc3 = torch.nn.Linear(512, 10)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Encoder(torch.nn.Module):
    """Two post-norm Transformer encoder layers (d_model 256, 4 heads, FFN 1024, GELU), batch first."""

    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, dropout=0.0,
                                                 activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x)


# name -> (constructor, input shape); CNN inputs are one 224x224 RGB image, the MLP a batch of 32.
MODELS = {
    "mlp": (Mlp, (32, 784)),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (1, 3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224)),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None), (1, 3, 224, 224)),
    "transformer": (Encoder, (4, 64, 256)),
}


def export(name, out_dir):
    make, shape = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out_dir, name + ".onnx")
    # Static shapes, as a serving deployment would export them; the importer folds the shape subgraphs.
    torch.onnx.export(model, (x,), path, opset_version=OPSET, input_names=["input"], output_names=["output"],
                      do_constant_folding=True)
    np.save(os.path.join(out_dir, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".expect.npy"), y.numpy().astype(np.float32))
    print(f"exported {path}: input {list(shape)}, output {list(y.shape)}", file=sys.stderr)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for name in sys.argv[2:] or MODELS:
        if name not in MODELS:
            sys.exit(f"export_models: unknown model {name!r}; known: {', '.join(MODELS)}")
        export(name, out_dir)


if __name__ == "__main__":
    main()
