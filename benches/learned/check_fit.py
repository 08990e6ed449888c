"""Refits the design matrix `cargo bench --bench learned -- --check-fit`
wrote with scikit-learn's LogisticRegression (same L2 objective: C = 1/alpha,
intercept unpenalised) and prints how far smartcore's weights and
probabilities are from it. Needs numpy and scikit-learn (offline check,
not part of CI)."""
import csv
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

here = os.path.join(os.path.dirname(__file__), "..", "..", "target", "fit-check")
data = np.loadtxt(os.path.join(here, "matrix.csv"), delimiter=",", ndmin=2)
y, x = data[:, 0], data[:, 1:]
params = dict(csv.reader(open(os.path.join(here, "weights.csv"))))
alpha = float(params.pop("alpha"))
ours_b = float(params.pop("intercept"))
ours_w = np.array([float(params[f"w{j}"]) for j in range(x.shape[1])])

ref = LogisticRegression(C=1.0 / alpha, solver="lbfgs", max_iter=100_000, tol=1e-12)
ref.fit(x, y)
ref_w, ref_b = ref.coef_[0], ref.intercept_[0]

def prob(w, b):
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))

p_ours, p_ref = prob(ours_w, ours_b), prob(ref_w, ref_b)
print(f"{x.shape[0]} rows x {x.shape[1]} columns, alpha {alpha}")
print(f"max |coefficient difference|     {np.max(np.abs(ours_w - ref_w)):.2e} "
      f"(largest coefficient {np.max(np.abs(ref_w)):.2f})")
print(f"intercept: smartcore {ours_b:.5f}, scikit-learn {ref_b:.5f}")
print(f"max |probability difference|     {np.max(np.abs(p_ours - p_ref)):.2e}")
print(f"training AUC: smartcore {roc_auc_score(y, p_ours):.5f}, "
      f"scikit-learn {roc_auc_score(y, p_ref):.5f}")
sys.exit(0 if np.max(np.abs(p_ours - p_ref)) < 0.01 else 1)
