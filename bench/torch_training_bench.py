"""PyTorch's side of bench/compare_training; bench/training_bench.cc is Axon's and measures the same way.

  torch_training_bench.py xor MODEL_DIR THREADS EPOCHS
      the seed's XOR net, full-batch SGD (lr 0.5) with MSE for EPOCHS epochs, timed as a whole
  torch_training_bench.py mlp MODEL_DIR THREADS BATCH
      the 784-512-512-10 MLP, softmax cross-entropy and SGD (lr 0.01), one step at a time on one batch:
      10 untimed steps (their losses are the trajectory both sides must share), then timed steps
Prints one JSON line: wall and process CPU time (ms; per step for mlp, in all for xor), losses.
A step is what a PyTorch user writes: forward, loss, zero_grad(set_to_none), backward, optimizer.step().
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_training import MODELS  # noqa: E402


def load(model_dir, name):
    model = MODELS[name]()
    model.load_state_dict(torch.load(os.path.join(model_dir, name + ".pt")))
    return model


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in MODELS:
        sys.exit(__doc__)
    name, model_dir, threads, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = load(model_dir, name)
    result = {"threads": torch.get_num_threads()}
    if name == "xor":
        x = torch.from_numpy(np.load(os.path.join(model_dir, "xor.x.npy")))
        y = torch.from_numpy(np.load(os.path.join(model_dir, "xor.y.npy")))
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        loss_fn = torch.nn.MSELoss()
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        result.update(wall_ms=(time.perf_counter() - t0) * 1e3, cpu_ms=(time.process_time() - cpu0) * 1e3,
                      epochs=n, loss=loss.item())
    else:
        x = torch.from_numpy(np.load(os.path.join(model_dir, f"mlp.x.{n}.npy")))
        y = torch.from_numpy(np.load(os.path.join(model_dir, f"mlp.y.{n}.npy")))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        losses = [step().item() for _ in range(10)]
        times = []
        cpu0, start = time.process_time(), time.perf_counter()
        while len(times) < 30 or (time.perf_counter() - start < 1.0 and len(times) < 2000):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1e3)
        result.update(median_ms=statistics.median(times), cpu_ms=(time.process_time() - cpu0) * 1e3 / len(times),
                      steps=len(times), loss_first=losses[0], loss_10=losses[9])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
