"""Writes Tests/SharedTests/Fixtures/model/*.safetensors: golden values for the Swift model tests.

Run from the repository root:  python3 Tests/Parity/make_model_fixtures.py [name ...]
(names: only those variants; a rerun reproduces a file up to float64 rounding of the gradients' order of summation).
(torch 2.13 CPU, safetensors 0.8). Each file holds, for one model variant:
  <state_dict name>            random f32 weights (non-zero biases, so every term is exercised)
  bag{i}.features              N_i x D inputs, bags of 1, 13 and 50 instances
  bag{i}.upstream.<output>     a random upstream gradient r for each output
  bag{i}.output.<output>       the outputs, computed in float64 from the f32 weights
  grad.<state_dict name>       d/dθ of L = Σ_i Σ_outputs ⟨r, output⟩ (float64 autograd, stored f32)
__metadata__: model kind and options as hmil's checkpoints write them.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

from hmil_reference import ABMIL, HMIL

D = 32
BAG_SIZES = [1, 13, 50]
PARENTS = [0, 1, 1, 1, 2, 2, 2]
OUT = os.path.join(os.path.dirname(__file__), "..", "SharedTests", "Fixtures", "model")

VARIANTS = [
    ("hmil_released_shared", "hmil",
     {"feature_dim": D, "coarse_classes": 3, "fine_classes": 7, "scorer": "shared", "embedding": "released", "dropout": False}),
    ("hmil_shared_perclass", "hmil",
     {"feature_dim": D, "coarse_classes": 3, "fine_classes": 7, "scorer": "per_class", "embedding": "shared", "dropout": False}),
    ("abmil", "abmil", {"feature_dim": D, "classes": 4, "dropout": False}),
    # The coarse gate and the fine prior (π below), each value of each option at least once.
    ("hmil_gate_fixed_prior_coarse", "hmil",
     {"feature_dim": D, "coarse_classes": 3, "fine_classes": 7, "scorer": "shared", "embedding": "released", "dropout": False,
      "coarse_gate": "fixed", "fine_prior": "coarse", "fine_prior_weight": 0.7, "fine_parents": PARENTS}),
    ("hmil_gate_learned_prior_detached", "hmil",
     {"feature_dim": D, "coarse_classes": 3, "fine_classes": 7, "scorer": "per_class", "embedding": "released", "dropout": False,
      "coarse_gate": "learned", "fine_prior": "coarse-detached", "fine_prior_weight": 1.5, "fine_parents": PARENTS}),
    ("hmil_gate_detached_shared", "hmil",
     {"feature_dim": D, "coarse_classes": 3, "fine_classes": 7, "scorer": "per_class", "embedding": "shared", "dropout": False,
      "coarse_gate": "detached", "fine_parents": PARENTS}),
]


def build(kind, o):
    if kind == "hmil":
        return HMIL(o["feature_dim"], o["coarse_classes"], o["fine_classes"], o["scorer"], o["embedding"], o["dropout"],
                    coarse_gate=o.get("coarse_gate", "none"), fine_prior=o.get("fine_prior", "none"),
                    fine_prior_weight=o.get("fine_prior_weight", 1.0), fine_parents=o.get("fine_parents"))
    return ABMIL(o["feature_dim"], o["classes"], o["dropout"])


def main():
    os.makedirs(OUT, exist_ok=True)
    chosen = set(sys.argv[1:])
    unknown = chosen - {name for name, _, _ in VARIANTS}
    if unknown:
        sys.exit(f"unknown variant(s): {', '.join(sorted(unknown))}")
    for index, (name, kind, options) in enumerate(VARIANTS):
        if chosen and name not in chosen:
            continue
        torch.manual_seed(1000 + index)
        model = build(kind, options)
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if pname.endswith("bias"):
                    p.copy_(0.1 * torch.randn_like(p))
                elif pname == "coarse_gate.gamma":
                    p.copy_(0.3 + 1.2 * torch.rand_like(p))     # away from its bound 0, where hmil projects
        tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        reference = model.double()
        reference.zero_grad()
        for i, n in enumerate(BAG_SIZES):
            x = torch.randn(n, D, dtype=torch.float32)
            tensors[f"bag{i}.features"] = x
            outputs = reference(x.double())
            total = 0
            for key, value in outputs.items():
                r = torch.randn(value.shape, dtype=torch.float64)
                tensors[f"bag{i}.upstream.{key}"] = r.float()
                tensors[f"bag{i}.output.{key}"] = value.detach().float().contiguous()
                total = total + (r * value).sum()
            total.backward()
        for pname, p in reference.named_parameters():
            tensors[f"grad.{pname}"] = p.grad.float().contiguous()
        metadata = {"model": kind, "options": json.dumps(options), "bags": str(len(BAG_SIZES)),
                    "script": "Tests/Parity/make_model_fixtures.py"}
        save_file(tensors, os.path.join(OUT, f"{name}.safetensors"), metadata=metadata)
        print(name, sum(t.numel() for t in tensors.values()), "floats")


if __name__ == "__main__":
    main()
