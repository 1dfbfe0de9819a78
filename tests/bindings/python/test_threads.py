"""Several Python threads run one axon.Session at once with the results of a lone run, and the GIL
is released while a run executes: another Python thread keeps running meanwhile."""
import os
import threading
import time

import numpy as np

import axon
from axon_test_util import chain_onnx, mlp_onnx, remove, temp_dir

d = temp_dir("threads")

# Concurrent runs: each thread its own inputs, each result equal to the lone run's (bit for bit:
# results do not depend on what else runs).
path = os.path.join(d, "mlp.onnx")
mlp_onnx(path, sizes=(16, 32, 5))
s = axon.Session(path, threads=2)
rng = np.random.default_rng(3)
xs = [rng.standard_normal((7, 16)).astype(np.float32) for _ in range(6)]
expected = [s.run({"x": x})["y"] for x in xs]
failures = []


def worker(t):
    for k in range(60):
        i = (t + k) % len(xs)
        got = s.run({"x": xs[i]})["y"]
        if not np.array_equal(got, expected[i]):
            failures.append((t, k))


threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failures, failures

# The GIL: while one thread is inside run() on a model that takes a while (8 MatMuls of
# 1024x1024), the main thread keeps executing Python. Were the GIL held, the main thread would
# stop for the whole run; so the longest pause it sees must be well below the run's duration.
chain = os.path.join(d, "chain.onnx")
chain_onnx(chain)
c = axon.Session(chain, threads=1)
x = np.ones((256, 1024), np.float32)
c.run({"x": x})  # plans once, so that the runs below only run
durations = []
done = threading.Event()


def runner():
    for _ in range(3):
        start = time.perf_counter()
        c.run({"x": x})
        durations.append(time.perf_counter() - start)
    done.set()


t = threading.Thread(target=runner)
t.start()
last, longest_pause, ticks = time.perf_counter(), 0.0, 0
while not done.is_set():
    now = time.perf_counter()
    longest_pause = max(longest_pause, now - last)
    last = now
    ticks += 1
t.join()
run_time = min(durations)
print(f"test_threads: run {run_time * 1e3:.1f} ms, longest pause of the main thread {longest_pause * 1e3:.1f} ms, "
      f"{ticks} ticks")
assert run_time > 0.02, f"the model ran too fast ({run_time * 1e3:.1f} ms) to tell"
assert longest_pause < 0.75 * run_time, (longest_pause, run_time)  # held, it would be the whole run

remove(d)
print("test_threads: ok")
