"""Checks that checkpoints written by hmil load into the PyTorch reference module by name and give
hmil's logits. The Swift test CheckpointTests/testWriteCheckpointForPython writes the files:

    HMIL_PARITY_DIR=/tmp/hmil-parity swift test --filter CheckpointTests/testWriteCheckpointForPython
    python3 Tests/Parity/check_checkpoint.py /tmp/hmil-parity

For each <name>.safetensors (an hmil checkpoint) beside <name>.expected.safetensors (features and
the logits hmil computed), it builds the module from the checkpoint's metadata, load_state_dict
(strict: every name and shape must match), runs the bag and compares logits. Exit status 1 on any
mismatch.
"""
import glob
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(__file__))
from hmil_reference import model_from_metadata  # noqa: E402


def main(directory):
    checkpoints = sorted(p for p in glob.glob(os.path.join(directory, "*.safetensors")) if not p.endswith(".expected.safetensors"))
    if not checkpoints:
        print(f"no checkpoints in {directory}", file=sys.stderr)
        return 1
    failures = 0
    for path in checkpoints:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata()
        model = model_from_metadata(metadata).eval()
        model.load_state_dict(load_file(path), strict=True)
        expected = load_file(path.replace(".safetensors", ".expected.safetensors"))
        with torch.no_grad():
            out = model(expected["features"])
        for key in ("coarse_logits", "fine_logits"):
            if key not in expected:
                continue
            ok = torch.allclose(out[key], expected[key], rtol=1e-4, atol=1e-5)
            diff = (out[key] - expected[key]).abs().max().item()
            print(f"{os.path.basename(path)} {key}: max |torch - hmil| = {diff:.2e} {'ok' if ok else 'MISMATCH'}")
            failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hmil-parity"))
