#!/usr/bin/env python3
"""Golden draws from numpy's legacy RandomState, for Tests/SharedTests/Splitting/NumpyRandomStateTests.swift.

Writes Tests/SharedTests/Fixtures/Splitting/numpy_random_state.json. Run from the repository root:
    python3 scripts/golden/numpy_random_state.py
"""
import json
import numpy as np

out = {"numpy": np.__version__, "cases": []}

for seed in (0, 1, 7, 4294967295):
    rs = np.random.RandomState(seed)
    out["cases"].append({"seed": seed, "kind": "uint32",
                         "values": [int(v) for v in rs.randint(0, 2**32, size=1300, dtype=np.uint64)]})

# randint over a range wider than 2**32 takes numpy's 64-bit masked path, the same as random_interval's.
rs = np.random.RandomState(3)
out["cases"].append({"seed": 3, "kind": "interval64", "max": 2**40,
                     "values": [int(v) for v in rs.randint(0, 2**40 + 1, size=50, dtype=np.uint64)]})

# A sequence of choices without replacement from one seeded stream, as CLAM's generate_split draws them.
rs = np.random.RandomState(1)
draws = []
for population, size in [(10, 3), (1, 0), (0, 0), (37, 4), (200, 20), (5, 5), (1000, 1), (3, 0)]:
    pick = rs.choice(np.arange(100, 100 + population), size, replace=False)
    draws.append({"population": population, "size": size, "values": [int(v) for v in pick]})
out["cases"].append({"seed": 1, "kind": "choice", "draws": draws})

rs = np.random.RandomState(12345)
out["cases"].append({"seed": 12345, "kind": "permutation", "values": [int(v) for v in rs.permutation(100)]})

with open("Tests/SharedTests/Fixtures/Splitting/numpy_random_state.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
