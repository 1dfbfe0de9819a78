"""Classifying with Axon's Python module: load a model, run it on one input, print the class with
the highest score. Usage: classify.py MODEL INPUT.npy (the model's first input at batch 1, without
the batch dim); run with PYTHONPATH pointing at the build's python/ folder."""
import sys

import numpy as np

import axon


def main(model_path, input_path):
    session = axon.Session(model_path)
    name = session.inputs[0].name
    x = np.load(input_path)[np.newaxis]  # a batch of one
    scores = next(iter(session.run({name: x}).values()))[0]
    best = int(np.argmax(scores))
    print(f"class {best} (score {scores[best]:.4g} of {scores.size} classes)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} MODEL INPUT.npy")
    try:
        main(*sys.argv[1:])
    except axon.Error as e:
        sys.exit(str(e))  # one line naming the file, node, op and shapes; exit 1
