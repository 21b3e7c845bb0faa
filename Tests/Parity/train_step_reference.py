#!/usr/bin/env python3
"""Golden SGD steps for hmil-train: what PyTorch does to given weights on one batch with the full objective.

Writes Tests/SharedTests/Fixtures/training/:
  init.safetensors        HMIL(D=16, Kc=2, Kf=4) weights as PyTorch's state_dict, saved with
                          safetensors.torch.save_file (official names, no hmil metadata): `--init`.
  bags.safetensors        the bags, `bag_<i>` [N_i, 16] f32, and bags.json: slide ids and fine labels.
  init_abmil.safetensors, step_abmil_E2.safetensors: the same for the flat ABMIL (fine
                          cross-entropy only), two steps.
  step_<preset>_E<E>.safetensors
                          the weights after training from init.safetensors with plain SGD (lr 0.5,
                          no momentum) on ONE batch holding every bag, in file order, for E epochs of a
                          run of E epochs (one step per epoch):
                            E=1: one step at epoch 0 (alpha 1, tau 1: the contrastive weight is 0);
                            E=2: that step and one at epoch 1 (alpha 0.75, tau 0.1, contrastive weight
                                 0.25), so the batch-level term and its two-pass gradient are covered.

The loss terms are objective_reference.py's (the release's code paths: CrossEntropy, bag alignment
(reference or nll form), attention matching, SupConLoss / B), the model is hmil_reference.HMIL. The
step runs in float64 from the float32 init, so the Swift side is compared at float32 rounding.

The hmil-train run it mirrors (Tests/EndToEndTests/TrainParityTests.swift):
  hmil-train --init init.safetensors --optimizer sgd --momentum 0 --lr 0.5 --batch-size 12 \
             --no-shuffle --epochs E --preset P --threads 1

Run: python3 Tests/Parity/train_step_reference.py   (torch 2.13 CPU, numpy, safetensors)
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import objective_reference as objective  # noqa: E402  (sets the default dtype to float64)
from hmil_reference import ABMIL, HMIL  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT = os.path.join(HERE, "..", "SharedTests", "Fixtures", "training")
D, KC, KF = 16, 2, 4
LR = 0.5
FINE = ["a1", "a2", "b1", "b2"]
COARSE = ["a", "b"]


class Cfg:
    mapping = "0:0, 1:0, 2:1, 3:1"
    n_class = [KC, KF]

    def __init__(self, epochs):
        self.num_epochs = epochs


def make_bags(rng):
    """12 bags, 3 per fine class, N from 3 to 40; the class shows in a few shifted instances."""
    directions = rng.standard_normal((KF, D)).astype(np.float32)
    bags, labels = [], []
    for i in range(12):
        label = i % KF
        n = int(rng.integers(3, 41))
        x = rng.standard_normal((n, D)).astype(np.float32)
        x[: max(1, n // 8)] += 2 * directions[label]
        bags.append(x.astype(np.float32))
        labels.append(label)
    return bags, labels


def sgd_steps(init, bags, labels, preset, epochs):
    torch.set_default_dtype(torch.float64)
    model = HMIL(D, KC, KF).double()
    model.load_state_dict({k: v.double() for k, v in init.items()})
    cfg = Cfg(epochs)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0)
    xs = [torch.tensor(b, dtype=torch.float64) for b in bags]
    for epoch in range(epochs):
        optimizer.zero_grad()
        outputs = [model(x) for x in xs]
        terms, alpha, _ = objective.terms_of(outputs, labels, epoch, cfg)
        total = objective.total_of(terms, alpha, preset)
        total.backward()
        optimizer.step()
        print(f"{preset} E={epochs} epoch {epoch}: loss {float(total.detach()):.6f}")
    return {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20250602)
    torch.manual_seed(7)
    torch.set_default_dtype(torch.float32)
    init = {k: v.detach().clone().contiguous() for k, v in HMIL(D, KC, KF).state_dict().items()}
    # Non-zero biases, so a wrong bias gradient shows.
    for k, v in init.items():
        if k.endswith(".bias"):
            init[k] = (0.1 * torch.randn(v.shape)).float()
    save_file(init, os.path.join(OUT, "init.safetensors"))

    bags, labels = make_bags(rng)
    save_file({f"bag_{i}": torch.tensor(b) for i, b in enumerate(bags)}, os.path.join(OUT, "bags.safetensors"))
    with open(os.path.join(OUT, "bags.json"), "w") as f:
        json.dump({"script": "Tests/Parity/train_step_reference.py", "torch": torch.__version__,
                   "coarse": COARSE, "fine": FINE, "parent": {"a1": "a", "a2": "a", "b1": "b", "b2": "b"},
                   "slides": [{"slide_id": f"bag_{i}", "label": FINE[y]} for i, y in enumerate(labels)],
                   "lr": LR}, f, indent=1)

    # The flat ABMIL baseline: fine cross-entropy only, two steps.
    torch.manual_seed(8)
    torch.set_default_dtype(torch.float32)
    init_abmil = {k: v.detach().clone().contiguous() for k, v in ABMIL(D, KF).state_dict().items()}
    for k, v in init_abmil.items():
        if k.endswith(".bias"):
            init_abmil[k] = (0.1 * torch.randn(v.shape)).float()
    save_file(init_abmil, os.path.join(OUT, "init_abmil.safetensors"))
    torch.set_default_dtype(torch.float64)
    model = ABMIL(D, KF).double()
    model.load_state_dict({k: v.double() for k, v in init_abmil.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0)
    xs = [torch.tensor(b, dtype=torch.float64) for b in bags]
    for epoch in range(2):
        optimizer.zero_grad()
        logits = torch.stack([model(x)["fine_logits"] for x in xs])
        loss = F.cross_entropy(logits, torch.tensor(labels))
        loss.backward()
        optimizer.step()
        print(f"abmil E=2 epoch {epoch}: loss {float(loss.detach()):.6f}")
    save_file({k: v.detach().float().contiguous() for k, v in model.state_dict().items()},
              os.path.join(OUT, "step_abmil_E2.safetensors"))

    for preset, epochs in [("hmil", 1), ("hmil", 2), ("reference", 2)]:
        after = sgd_steps(init, bags, labels, preset, epochs)
        save_file(after, os.path.join(OUT, f"step_{preset}_E{epochs}.safetensors"))
    for name in sorted(os.listdir(OUT)):
        print(f"wrote {name} ({os.path.getsize(os.path.join(OUT, name))} bytes)")


if __name__ == "__main__":
    main()
