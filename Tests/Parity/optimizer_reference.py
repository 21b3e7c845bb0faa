#!/usr/bin/env python3
"""Golden values for hmil's optimizers, LR schedule and gradient clipping, from torch itself.

Writes Tests/SharedTests/Fixtures/objective/optimizers.json:
- `runs`: torch.optim.Adam / AdamW-style (decoupled) / SGD (momentum, nesterov, dampening, weight
  decay) on two small float32 parameters, with a fixed sequence of gradients; after every step the
  parameters, and at the end the optimizer's state tensors;
- `plateau`: ReduceLROnPlateau on a metric sequence: lr and counters after every step;
- `clip`: clip_grad_norm_ on fixed gradients: total norm and clipped gradients.

Run: python3 Tests/Parity/optimizer_reference.py   (torch 2.13 CPU)
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "SharedTests", "Fixtures", "objective", "optimizers.json")
SHAPES = {"layer.weight": [3, 4], "layer.bias": [3]}
STEPS = 6


def flat(t):
    return [float(v) for v in t.detach().numpy().astype(np.float64).ravel()]


def optimizer_runs(rng):
    init = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in SHAPES.items()}
    grads = [{name: (rng.standard_normal(shape) * 0.5).astype(np.float32) for name, shape in SHAPES.items()}
             for _ in range(STEPS)]
    configs = [
        {"kind": "adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "decoupled": False},
        {"kind": "adam", "lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05, "decoupled": False},
        {"kind": "adam", "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1, "decoupled": True},
        {"kind": "sgd", "lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
        {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 1e-3},
        {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 1e-2},
        {"kind": "sgd", "lr": 0.05, "momentum": 0.5, "dampening": 0.3, "nesterov": False, "weight_decay": 0.0},
    ]
    runs = []
    for cfg in configs:
        params = {name: torch.tensor(v, requires_grad=True) for name, v in init.items()}
        plist = list(params.values())
        if cfg["kind"] == "adam":
            opt = torch.optim.Adam(plist, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"],
                                   weight_decay=cfg["weight_decay"], decoupled_weight_decay=cfg["decoupled"],
                                   foreach=False)
        else:
            opt = torch.optim.SGD(plist, lr=cfg["lr"], momentum=cfg["momentum"], dampening=cfg["dampening"],
                                  nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"], foreach=False)
        after = []
        for step in range(STEPS):
            for name, p in params.items():
                p.grad = torch.tensor(grads[step][name])
            opt.step()
            after.append({name: flat(p) for name, p in params.items()})
        state = {}
        for name, p in params.items():
            for key, value in opt.state[p].items():
                if key != "step" and value is not None:
                    state[f"{name}.{key}"] = flat(value)
        runs.append({"config": cfg, "after_step": after, "state": state})
    return {
        "shapes": SHAPES,
        "initial": {name: [float(x) for x in v.ravel()] for name, v in init.items()},
        "gradients": [{name: [float(x) for x in g[name].ravel()] for name in SHAPES} for g in grads],
        "runs": runs,
    }


def plateau_runs():
    sequences = [
        {"mode": "min", "factor": 0.1, "patience": 5, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 0,
         "min_lr": 0.0, "eps": 1e-8, "lr": 1e-4,
         "metrics": [1.0, 0.9, 0.8, 0.8, 0.79995, 0.81, 0.85, 0.8, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7,
                     0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69]},
        {"mode": "min", "factor": 0.5, "patience": 1, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 2,
         "min_lr": 0.03, "eps": 1e-8, "lr": 1.0,
         "metrics": [5, 6, 7, 4, 4, 4, 4, 4, 3.9999, 3, 3, 3, 3, 3, 3, 3, 3, float("nan"), 2, 2, 2]},
        {"mode": "max", "factor": 0.2, "patience": 0, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 0,
         "min_lr": 0.0, "eps": 1e-3, "lr": 0.01,
         "metrics": [0.5, 0.505, 0.52, 0.51, 0.6, 0.6, 0.6, 0.6]},
    ]
    out = []
    for seq in sequences:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=seq["lr"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=seq["mode"], factor=seq["factor"], patience=seq["patience"], threshold=seq["threshold"],
            threshold_mode=seq["threshold_mode"], cooldown=seq["cooldown"], min_lr=seq["min_lr"], eps=seq["eps"])
        steps = []
        for m in seq["metrics"]:
            sched.step(m)
            best = sched.best
            steps.append({"lr": opt.param_groups[0]["lr"], "num_bad_epochs": sched.num_bad_epochs,
                          "cooldown_counter": sched.cooldown_counter, "last_epoch": sched.last_epoch,
                          "best": None if best in (float("inf"), float("-inf")) else best})
        seq = dict(seq)
        seq["metrics"] = [None if m != m else m for m in seq["metrics"]]  # NaN → null in JSON
        out.append({"settings": seq, "steps": steps})
    return out


def clip_cases(rng):
    cases = []
    for max_norm in [0.5, 100.0]:
        grads = {name: (rng.standard_normal(shape)).astype(np.float32) for name, shape in SHAPES.items()}
        params = {name: torch.zeros(shape, requires_grad=True) for name, shape in SHAPES.items()}
        for name, p in params.items():
            p.grad = torch.tensor(grads[name])
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        cases.append({"max_norm": max_norm, "gradients": {n: [float(x) for x in g.ravel()] for n, g in grads.items()},
                      "total_norm": float(total), "clipped": {n: flat(p.grad) for n, p in params.items()}})
    return cases


def main():
    rng = np.random.default_rng(7)
    data = {"script": "Tests/Parity/optimizer_reference.py", "torch": torch.__version__,
            "optimizers": optimizer_runs(rng), "plateau": plateau_runs(), "clip": clip_cases(rng)}
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
