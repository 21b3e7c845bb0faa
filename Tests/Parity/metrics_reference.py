#!/usr/bin/env python3
"""Golden values for hmil's metrics, computed by scikit-learn and numpy.

Writes Tests/SharedTests/Fixtures/metrics/sklearn_cases.json (read by MetricsParityTests.swift).
Run from the repository root:  python3 Tests/Parity/metrics_reference.py
Versions used are recorded in the file.

Conventions pinned here (DESIGN §5):
- precision/recall/F1 macro and weighted: scikit-learn defaults (labels=None: classes in labels or
  predictions), zero_division=0; per class with labels=range(K).
- quadratic kappa over all K classes: cohen_kappa_score(labels=range(K), weights='quadratic').
- AUC: binary roc_auc_score(y, p_1); multiclass the mean of the one-vs-rest AUCs of the classes that
  occur in the labels (equal to roc_auc_score(multi_class='ovr', average='macro') when all occur).
- sample_weight with integer counts is how a bootstrap resample is scored.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M

warnings.simplefilter("ignore")  # undefined-metric warnings are the point of some cases
rng = np.random.default_rng(20250514)
OUT = os.path.join(os.path.dirname(__file__), "..", "SharedTests", "Fixtures", "metrics", "sklearn_cases.json")


def dirichlet_scores(n, k):
    return rng.dirichlet(np.ones(k), size=n)


def tied_scores(n, k, pool=5):
    vectors = rng.dirichlet(np.ones(k), size=pool).round(2)
    vectors[:, -1] = 1 - vectors[:, :-1].sum(axis=1)
    vectors = np.clip(vectors, 0, None)
    vectors /= vectors.sum(axis=1, keepdims=True)
    return vectors[rng.integers(0, pool, size=n)]


def case(name, y, pred, scores, k, weights=None, roc_class=None):
    y = np.asarray(y); pred = np.asarray(pred); scores = np.asarray(scores, dtype=np.float64)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    labels = list(range(k))
    out = {"name": name, "classes": k, "labels": y.tolist(), "predictions": pred.tolist(),
           "scores": scores.tolist(), "weights": None if w is None else [int(v) for v in w]}
    out["accuracy"] = M.accuracy_score(y, pred, sample_weight=w)
    out["balanced_accuracy"] = M.balanced_accuracy_score(y, pred, sample_weight=w)
    for avg in ("macro", "weighted"):
        p, r, f, _ = M.precision_recall_fscore_support(y, pred, average=avg, zero_division=0, sample_weight=w)
        out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = p, r, f
    p, r, f, s = M.precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0, sample_weight=w)
    out["precision"], out["recall"], out["f1"] = p.tolist(), r.tolist(), f.tolist()
    cm = M.confusion_matrix(y, pred, labels=labels, sample_weight=w)
    out["confusion_matrix"] = cm.tolist()
    kappa = M.cohen_kappa_score(y, pred, labels=labels, weights="quadratic", sample_weight=w)
    out["kappa_quadratic"] = None if np.isnan(kappa) else kappa
    total = cm.sum()
    spec = []
    for c in range(k):
        tp = cm[c, c]; fp = cm[:, c].sum() - tp; fn = cm[c, :].sum() - tp; tn = total - tp - fp - fn
        spec.append(None if tn + fp == 0 else float(tn / (tn + fp)))
    out["specificity"] = spec
    weight_of = np.ones(len(y)) if w is None else w
    present = [c for c in labels if weight_of[y == c].sum() > 0]
    class_auc = []
    for c in labels:
        pos = weight_of[y == c].sum(); neg = weight_of[y != c].sum()
        class_auc.append(M.roc_auc_score(y == c, scores[:, c], sample_weight=w) if pos > 0 and neg > 0 else None)
    out["class_auc"] = class_auc
    if len(present) < 2:
        out["auc_macro"] = None
    elif k == 2:
        out["auc_macro"] = M.roc_auc_score(y, scores[:, 1], sample_weight=w)
    else:
        out["auc_macro"] = float(np.mean([class_auc[c] for c in present]))
        if len(present) == k:
            ovr = M.roc_auc_score(y, scores, multi_class="ovr", average="macro", sample_weight=w, labels=labels)
            assert abs(ovr - out["auc_macro"]) < 1e-12, (name, ovr, out["auc_macro"])
    out["auc_left_out"] = [c for c in labels if c not in present] if len(present) >= 2 else []
    if roc_class is not None:
        fpr, tpr, _ = M.roc_curve(y == roc_class, scores[:, roc_class], sample_weight=w, drop_intermediate=False)
        out["roc"] = {"class": roc_class, "fpr": fpr.tolist(), "tpr": tpr.tolist()}
    return out


cases = []
n = 40
y = rng.integers(0, 2, n); s = dirichlet_scores(n, 2)
cases.append(case("binary continuous", y, s.argmax(1), s, 2, roc_class=1))
s = tied_scores(n, 2, pool=4)
cases.append(case("binary tied scores", y, s.argmax(1), s, 2, roc_class=1))
cases.append(case("binary class 1 never predicted", y, np.zeros(n, int), s, 2))
n = 60
y = rng.integers(0, 4, n); s = dirichlet_scores(n, 4)
cases.append(case("4 classes continuous", y, s.argmax(1), s, 4, roc_class=2))
y = rng.integers(0, 5, 50); s = tied_scores(50, 5, pool=6)
cases.append(case("5 classes tied scores", y, s.argmax(1), s, 5, roc_class=0))
y = rng.integers(0, 4, 45); s = dirichlet_scores(45, 4)
cases.append(case("class 3 never predicted", y, rng.integers(0, 3, 45), s, 4))
y = rng.choice([0, 1, 3, 4], 50); s = dirichlet_scores(50, 5); pred = rng.choice([0, 1, 2, 4], 50)
cases.append(case("class 2 absent from labels, class 3 never predicted", y, pred, s, 5))
y = rng.choice([0, 1, 4], 50); s = dirichlet_scores(50, 5); pred = rng.choice([0, 1, 4], 50)
cases.append(case("classes 2 and 3 absent from labels and predictions", y, pred, s, 5))
y = rng.integers(0, 3, 30); s = tied_scores(30, 3, pool=5); weights = rng.multinomial(30, np.ones(30) / 30)
cases.append(case("3 classes weighted like a bootstrap resample", y, s.argmax(1), s, 3, weights=weights, roc_class=1))
y = rng.integers(0, 7, 54); s = dirichlet_scores(54, 7)
cases.append(case("7 fine classes like BRACS", y, s.argmax(1), s, 7))
y = rng.integers(0, 3, 20); s = np.eye(3)[y] * 0.8 + 0.2 / 3
cases.append(case("3 classes all correct", y, y, s, 3))
y = np.full(12, 2); s = dirichlet_scores(12, 3)
cases.append(case("one class only in the labels", y, s.argmax(1), s, 3))
y = np.full(10, 1); pred = np.full(10, 1); s = dirichlet_scores(10, 3)
cases.append(case("labels and predictions one class: kappa undefined", y, pred, s, 3))

percentiles = []
for size in (1, 2, 7, 1000):
    values = rng.normal(size=size)
    lo, hi = np.percentile(values, [2.5, 97.5])
    percentiles.append({"values": values.tolist(), "low": lo, "high": hi})

floats = [0.0, 1.0, 0.5, 1e-4, 9.9e-5, 1.2e-5, 1e-7, 0.1 + 0.2, 1e16, 1e15, 123456.789, 2.0 ** -30]
floats += [float(np.float32(v)) for v in rng.random(20)]
floats += [float(v) for v in rng.random(10) ** 8]
python_repr = [{"hex": v.hex(), "repr": repr(v)} for v in floats]

doc = {"generator": "Tests/Parity/metrics_reference.py", "sklearn": sklearn.__version__, "numpy": np.__version__,
       "cases": cases, "percentiles": percentiles, "python_repr": python_repr}
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
