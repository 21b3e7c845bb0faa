"""PyTorch CPU reference for `hmil-bench model` (Benchmarks/ModelBench.swift runs it): one training step (forward + backward under a
fixed random upstream gradient, no optimizer) and one inference forward of the reference HMIL
module (Tests/Parity/hmil_reference.py, each layer computed once) on a synthetic bag.
Prints one JSON line: seconds per step (best of --repeats, after a warm-up) and instances per second.
The machine is shared, so the best run is the least disturbed one; hmil is timed the same way."""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hmil_reference import HMIL  # noqa: E402


def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--instances", type=int, default=8000)
    p.add_argument("--dim", type=int, default=1024)
    p.add_argument("--coarse", type=int, default=3)
    p.add_argument("--fine", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = HMIL(a.dim, a.coarse, a.fine)
    x = torch.randn(a.instances, a.dim)
    upstream = {k: torch.randn_like(v) for k, v in model(x).items()}

    def train_step():
        out = model(x)
        torch.autograd.backward([out[k] for k in upstream], [upstream[k] for k in upstream])

    def infer():
        with torch.inference_mode():
            model(x)

    train = timed(train_step, a.repeats)
    model.eval()
    inference = timed(infer, a.repeats)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "train_seconds": train, "infer_seconds": inference,
                      "train_instances_per_second": a.instances / train,
                      "infer_instances_per_second": a.instances / inference}))


if __name__ == "__main__":
    main()
