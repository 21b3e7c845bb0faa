#!/usr/bin/env python3
"""Golden values for hmil's paired statistics (Sources/Shared/Metrics: StudentT, WilcoxonSignedRank,
PairedStatistics), computed by scipy and numpy.

Writes Tests/SharedTests/Fixtures/metrics/paired_statistics.json (read by PairedStatisticsTests.swift).
Run from the repository root:  python3 Tests/Parity/paired_statistics_reference.py
Versions used are recorded in the file.

Conventions pinned here:
- Wilcoxon: scipy.stats.wilcoxon(d) with its defaults (zero_method='wilcox', correction=False,
  alternative='two-sided', method='auto'). In scipy 1.17, 'auto' means: more than 50 differences ->
  normal approximation; else no zeros and no ties -> exact null distribution; else at most 13
  differences -> exact permutation test over all sign flips; else normal approximation with the tie
  correction. `method` below names the branch, as read from scipy's source (_wilcoxon.py).
- Interval of the mean difference: mean +- t.ppf(0.975, n - 1) * std(ddof=1) / sqrt(n).
"""
import json
import math
import os
import warnings

import numpy as np
import scipy
from scipy import stats

warnings.simplefilter("ignore")  # the all-zero case is undefined on purpose
rng = np.random.default_rng(20250611)
OUT = os.path.join(os.path.dirname(__file__), "..", "SharedTests", "Fixtures", "metrics", "paired_statistics.json")


def number(x):
    """JSON has no NaN: an undefined value is null."""
    x = float(x)
    return None if math.isnan(x) else x


def branch(d):
    n = len(d)
    nonzero = d[d != 0]
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    if n > 50:
        return "normal"
    if not ties and not np.any(d == 0):
        return "exact"
    return "sign_flips" if n <= 13 else "normal"


def difference_case(name, d):
    d = np.asarray(d, dtype=np.float64)
    n = len(d)
    case = {"name": name, "differences": [float(x) for x in d], "mean": float(d.mean())}
    case["std"] = float(d.std(ddof=1)) if n > 1 else None
    if n > 1:
        half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
        case["ci95"] = [float(d.mean() - half), float(d.mean() + half)]
    else:
        case["ci95"] = None
    result = stats.wilcoxon(d)
    case["wilcoxon_statistic"] = number(result.statistic)
    case["wilcoxon_p"] = number(result.pvalue)
    case["method"] = branch(d)
    return case


cases = [
    difference_case("exact, five positive-leaning", [0.5, -0.2, 1.3, 0.7, 2.1]),
    difference_case("exact, one difference", [0.25]),
    difference_case("exact, two differences", [0.25, -0.5]),
    difference_case("exact, all negative", [-0.1, -0.2, -0.3, -0.4, -0.5, -0.6]),
    difference_case("sign flips, ties", [0.1, 0.1, -0.2, 0.3, 0.3, 0.3]),
    difference_case("sign flips, zeros", [0.0, 0.4, -0.1, 0.2, 0.0, 0.5]),
    difference_case("sign flips, all zero", [0.0, 0.0, 0.0, 0.0]),
    difference_case("sign flips, thirteen with a zero", [0.0] + list(np.arange(1, 13) * np.array([1, -1, 1, 1, -1, 1, 1, 1, -1, 1, 1, 1]) * 0.01)),
    difference_case("normal, fourteen with a tie", [0.1, 0.1] + list(np.arange(2, 14) * 0.07 * np.array([1, -1] * 6))),
    difference_case("normal, all zero (undefined)", [0.0] * 20),
    difference_case("exact, fifteen without ties", list(rng.normal(0.02, 0.05, 15))),
    difference_case("exact, fifty without ties", list(rng.normal(0.1, 1.0, 50))),
    difference_case("normal, fifty-one without ties", list(rng.normal(0.1, 1.0, 51))),
    difference_case("normal, accuracy-like differences of 15 folds x seeds",
                    list(np.round(rng.integers(-4, 7, 15) / 70, 15))),
    difference_case("constant differences", [0.05] * 8),
]
# Random cases with ties and zeros: values on a coarse grid (like accuracies on small test parts).
for i, n in enumerate([4, 9, 13, 14, 20, 30, 50, 80]):
    grid = rng.integers(-3, 6, n) / 10
    cases.append(difference_case(f"random grid {i}, n={n}", grid))
for i, n in enumerate([3, 7, 12, 25]):
    cases.append(difference_case(f"random continuous {i}, n={n}", rng.normal(-0.05, 0.2, n)))

quantiles = [{"p": p, "df": df, "t": float(stats.t.ppf(p, df))}
             for df in [1, 2, 3, 4, 5, 9, 14, 29, 49, 100, 1000]
             for p in [0.6, 0.95, 0.975, 0.995, 0.025]]

golden = {"scipy": scipy.__version__, "numpy": np.__version__, "cases": cases, "t_quantiles": quantiles}
with open(OUT, "w") as f:
    json.dump(golden, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases and {len(quantiles)} quantiles to {os.path.normpath(OUT)}")
