"""Generates the numpy fixtures of package dln's tests.

Run with Debian's python3 (numpy 1.24): /usr/bin/python3 gen_fixtures.py
The draws follow tml-epfl/understanding-sam diagonal_linear_nets/diag_nets_sam.ipynb.
"""
import os
import numpy as np


def draw(seed, n, n_test, d, r):
    np.random.seed(seed)
    H = np.eye(d)
    X = np.random.multivariate_normal(np.zeros(d), H, n)
    X_test = np.random.multivariate_normal(np.zeros(d), H, n_test)
    theta_star = np.random.randn(d)
    theta_star[r:] = 0
    theta_star = np.abs(theta_star) / np.linalg.norm(theta_star)
    return X, X @ theta_star, X_test, X_test @ theta_star, theta_star


here = os.path.dirname(os.path.abspath(__file__))
for seed in (0, 7):
    X, y, X_test, y_test, beta = draw(seed, 4, 3, 5, 2)
    out = os.path.join(here, "np_seed%d" % seed)
    os.makedirs(out, exist_ok=True)
    for name, v in (("X", X), ("y", y), ("X_test", X_test), ("y_test", y_test), ("beta_star", beta)):
        np.save(os.path.join(out, name + ".npy"), v)

# The paper's default draw (n=20, n_test=1000, d=30, k=3, seed 0): X, β* and the
# first 10 test labels.
X, y, X_test, y_test, beta = draw(0, 20, 1000, 30, 3)
out = os.path.join(here, "np_default")
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "X.npy"), X)
np.save(os.path.join(out, "beta_star.npy"), beta)
np.save(os.path.join(out, "y_test_head.npy"), y_test[:10])
# float32 and CSV copies for the loaders.
np.save(os.path.join(out, "beta_star_f32.npy"), beta.astype(np.float32))
np.savetxt(os.path.join(here, "np_seed0", "X.csv"), np.load(os.path.join(here, "np_seed0", "X.npy")), delimiter=",", fmt="%.17g")
