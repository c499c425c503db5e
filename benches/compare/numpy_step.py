#!/usr/bin/env python3
"""The online-SGD step of meanfield (RBF units, 3-spin target) in NumPy, float64, vectorised as
a NumPy user would write it: the peer for `cargo bench --bench step` (online, rbf, d = 25).

One step = draw P points uniform on the sphere of radius sqrt(d), evaluate the 3-spin energy
f(X) = kappa * rowsum(X * ((X kron X) A^T)), then the particle update in mean-field time:
  S = Z X^T, Phi = exp((2S - |z|^2 - |x|^2) / (2 sigma^2)), f_n = Phi^T c / n, r = f - f_n,
  G = Phi (r * [X, 1]),  dc = G[:, d] / P,  dz = c/sigma^2 * (G[:, :d] - G[:, d] z) / P.
Usage: python3 numpy_step.py [--n 1024] [--d 25] [--P 4096] [--reps 20]
Prints: ms per step (best and median of reps; criterion reports medians).
"""
import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--d", type=int, default=25)
    ap.add_argument("--P", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    n, d, P = a.n, a.d, a.P
    rng = np.random.default_rng(1)
    R = np.sqrt(d)
    kappa = 1.0 / d
    sigma = R / 2
    coef = rng.standard_normal((d, d, d))
    sym = (coef + coef.transpose(0, 2, 1) + coef.transpose(1, 0, 2) + coef.transpose(1, 2, 0)
           + coef.transpose(2, 0, 1) + coef.transpose(2, 1, 0)) / 6
    A = sym.reshape(d, d * d)
    Z = rng.standard_normal((n, d))
    Z *= R / np.linalg.norm(Z, axis=1, keepdims=True)
    c = np.zeros(n)
    dt = 0.01

    def step(Z, c):
        X = rng.standard_normal((P, d))
        X *= R / np.linalg.norm(X, axis=1, keepdims=True)
        kron = (X[:, :, None] * X[:, None, :]).reshape(P, d * d)
        y = kappa * np.sum(X * (kron @ A.T), axis=1)
        S = Z @ X.T
        Phi = np.exp((2 * S - (Z * Z).sum(1)[:, None] - (X * X).sum(1)[None, :]) / (2 * sigma**2))
        fn = c @ Phi / n
        r = y - fn
        Xa = np.hstack([X, np.ones((P, 1))]) * r[:, None]
        G = Phi @ Xa
        g = G[:, d]
        dz = (c / sigma**2)[:, None] * (G[:, :d] - g[:, None] * Z) / P
        return Z + dt * dz, c + dt * g / P

    Z, c = step(Z, c)
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        Z, c = step(Z, c)
        times.append(time.perf_counter() - t0)
    best, median = min(times), float(np.median(times))
    print(f"numpy online rbf step n={n} d={d} P={P}: {1e3 * best:.3f} ms (best of {a.reps}), "
          f"median {1e3 * median:.3f} ms")


if __name__ == "__main__":
    main()
