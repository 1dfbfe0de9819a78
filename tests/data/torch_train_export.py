#!/usr/bin/env python3
"""PyTorch exports of a model in train() (torch.onnx.TrainingMode.TRAINING), for
tests/runtime/training_torch_export_test.cc: nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(),
nn.Dropout(0.25), nn.Linear(6, 3) at opsets 13 (BatchNormalization with its running-statistics
outputs) and 15 (training_mode=1), with an input batch and each export's output in eval() for it
(tracing runs the model in train(), which moves the running statistics: each file holds its own).
Regenerate (Debian's python3-torch) with:

  /usr/bin/python3 tests/data/torch_train_export.py tests/data/torch_train_export
"""
import os
import sys

import numpy as np
import torch


def main(out):
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Dropout(0.25),
                              torch.nn.Linear(6, 3))
    with torch.no_grad():  # running statistics that are not the defaults, so that eval() shows them
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 1.5)
    x = torch.rand(8, 4) * 2 - 1
    np.save(os.path.join(out, "x.npy"), x.numpy())
    for opset in (13, 15):
        net.train()
        torch.onnx.export(net, x, os.path.join(out, "mlp_opset%d.onnx" % opset), training=torch.onnx.TrainingMode.TRAINING,
                          opset_version=opset, do_constant_folding=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        net.eval()
        with torch.no_grad():
            np.save(os.path.join(out, "y_eval_opset%d.npy" % opset), net(x).numpy())


if __name__ == "__main__":
    main(sys.argv[1])
