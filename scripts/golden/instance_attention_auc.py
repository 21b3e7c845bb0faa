#!/usr/bin/env python3
"""Golden values of hmil-eval's instance-level attention AUC (--instance-labels), by scikit-learn.

Writes Tests/SharedTests/Fixtures/metrics/instance_attention_cases.json, read by
Tests/SharedTests/Metrics/InstanceAttentionTests.swift. Run from the repository root:
    python3 scripts/golden/instance_attention_auc.py

Each case is a list of bags: a float32 attention row (a softmax over the bag's N instances) and the
key flags of its instances (null: the bag has no labels). The rule (InstanceAttentionScores.swift):
- a bag is scored when it has at least one key and one other instance; the others are counted;
- pooled: roc_auc_score over the instances of every scored bag, each scored by float64(attention) * N;
- bag mean: the mean of roc_auc_score over each scored bag's own instances.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SharedTests", "Fixtures", "metrics",
                   "instance_attention_cases.json")
rng = np.random.default_rng(20250611)


def softmax32(logits):
    logits = np.asarray(logits, dtype=np.float32)
    e = np.exp(logits - logits.max())
    return (e / e.sum()).astype(np.float32)


def expected(bags):
    scores, keys, per_bag = [], [], []
    counts = {"bags_without_positives": 0, "bags_without_negatives": 0, "bags_without_labels": 0}
    for bag in bags:
        if bag["is_key"] is None:
            counts["bags_without_labels"] += 1
            continue
        a = np.asarray(bag["attention"], dtype=np.float32)
        y = np.asarray(bag["is_key"], dtype=bool)
        if not y.any():
            counts["bags_without_positives"] += 1
            continue
        if y.all():
            counts["bags_without_negatives"] += 1
            continue
        scaled = a.astype(np.float64) * len(a)
        per_bag.append(roc_auc_score(y, scaled))
        scores.append(scaled)
        keys.append(y)
    out = {"bags": len(per_bag), **counts,
           "instances": int(sum(len(s) for s in scores)), "positives": int(sum(k.sum() for k in keys)),
           "pooled_auc": None, "bag_mean_auc": None}
    if per_bag:
        out["pooled_auc"] = float(roc_auc_score(np.concatenate(keys), np.concatenate(scores)))
        out["bag_mean_auc"] = float(np.mean(per_bag))
    return out


def bag(attention, is_key):
    a = np.asarray(attention, dtype=np.float32)
    return {"attention": [float(v) for v in a], "is_key": None if is_key is None else [int(k) for k in is_key]}


cases = []

# Hand-made: ties inside a bag (uniform attention is AUC 0.5), a bag without key instances, a bag of key
# instances only and a bag without labels (all three left out), bags of 3, 4 and 6 instances.
cases.append({"name": "ties, left-out bags, several sizes", "bags": [
    bag(np.full(4, 0.25), [1, 0, 0, 0]),
    bag([0.5, 0.25, 0.25], [0, 1, 0]),
    bag([0.1, 0.1, 0.3, 0.3, 0.1, 0.1], [0, 1, 1, 0, 0, 1]),
    bag([0.2, 0.3, 0.5], [0, 0, 0]),
    bag([0.6, 0.4], [1, 1]),
    bag([0.9, 0.1], None),
]})

# Scaling matters: unscaled, the background of a bag of 2 (0.4) outranks the key instance of a bag of 10
# (0.3), pooled AUC 0.95; scaled by N, every key instance (1.2, 3.0) outranks every background one
# (0.8, 0.78), pooled AUC 1.
cases.append({"name": "scaling by the bag size", "bags": [
    bag([0.6, 0.4], [1, 0]),
    bag([0.3] + [0.7 / 9] * 9, [1] + [0] * 9),
]})

# Equal scaled scores across bags of different sizes tie exactly (0.25·4 = 0.5·2 = 1).
cases.append({"name": "ties across bags", "bags": [
    bag([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0]),
    bag([0.5, 0.5], [0, 1]),
    bag([0.125] * 8, [0, 0, 1, 0, 0, 0, 0, 0]),
]})

# Only left-out bags: both AUCs undefined (null).
cases.append({"name": "no scored bag", "bags": [
    bag([0.5, 0.5], [0, 0]),
    bag([1.0], [1]),
    bag([0.3, 0.7], None),
]})

# Random bags: sizes 2..40, softmax of rounded logits (ties), 0..30 % key instances.
random_bags = []
for _ in range(25):
    n = int(rng.integers(2, 41))
    logits = np.round(rng.normal(size=n) * 2, 1)
    share = rng.uniform(0, 0.3)
    keys = (rng.uniform(size=n) < share).astype(int)
    if rng.uniform() < 0.1:
        random_bags.append(bag(softmax32(logits), None))
    else:
        random_bags.append(bag(softmax32(logits + 1.5 * keys), keys))
cases.append({"name": "random bags", "bags": random_bags})

for c in cases:
    c["expected"] = expected(c["bags"])

with open(OUT, "w") as f:
    json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", OUT)
