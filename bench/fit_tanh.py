#!/usr/bin/env python3
"""Derives TanhOp's coefficients (runtime/kernels/activation-inl.h): tanh(x) = x·P(x²)/Q(x²).

Why a rational: tanh has poles at ±iπ/2 and saturates to ±1, which a rational in z = x² follows
with few terms where a polynomial cannot; one x·P/Q with P and Q of degree 4 costs 8 FMAs, two
multiplies and a division, about 5 vector operations fewer than the exp-based -expm1(-2|x|) /
(2 + expm1(-2|x|)) it replaced (range reduction, 2^n, expm1 polynomial, sign handling), which is
what AVX2 pays for: these kernels run at the FP ports' limit.

How: minimax of the relative error of tanh(x)/x over z in [0, 9.01²] (9.01: tanh rounds to 1 in
float from there on; the kernel clamps |x| at 9.2, where the rational exceeds 1, and caps at 1), by Lawson's iteration on a linearized
least-squares problem (Loeb): min sum w·(P - f·Q)² / (f·Q_prev)², reweighting by the error, with
Q(0) = 1; reference values from mpmath at 30 digits; then both divided by P's leading
coefficient (P monic). The fit's own error is 2.1e-8; the coefficients rounded to float (printed
as C hex floats) and evaluated in float by Horner's rule give a maximum relative error of 3.0e-7
on every 7th float bit pattern of [0, 12] with FMA (AVX2, AVX-512), 4.0e-7 without (SSE4).

Run: python3 bench/fit_tanh.py   (needs numpy and mpmath)
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 30
CLAMP = 9.01
M = N = 4  # degrees of P and Q in z


def f(z):
    if z == 0:
        return 1.0
    a = mp.sqrt(mp.mpf(z))
    return float(mp.tanh(a) / a)


def fit(m, n, zmax, points=4000, iters=150):
    k = np.arange(points)
    z = (1 - np.cos(np.pi * (k + 0.5) / points)) / 2 * zmax  # Chebyshev nodes
    fz = np.array([f(v) for v in z])
    w = np.ones(points)
    q_prev = np.ones(points)
    best = None
    for _ in range(iters):
        a = np.hstack([np.vander(z, m + 1, increasing=True), -fz[:, None] * np.vander(z, n + 1, increasing=True)[:, 1:]])
        s = np.sqrt(w) / np.abs(fz * q_prev)
        c, *_ = np.linalg.lstsq(a * s[:, None], fz * s, rcond=None)
        p, q = c[:m + 1], np.concatenate([[1.0], c[m + 1:]])
        pz, qz = np.polyval(p[::-1], z), np.polyval(q[::-1], z)
        err = np.abs(pz / qz - fz) / np.abs(fz)
        if best is None or err.max() < best[0]:
            best = (err.max(), p, q)
        w = w * err
        w /= w.sum()
        q_prev = qz
    return best


if __name__ == "__main__":
    err, p, q = fit(M, N, CLAMP * CLAMP)
    print(f"fit error (before rounding to float): {err:.3g}")
    # Divided by P's leading coefficient, so that P is monic and the first step of its Horner
    # evaluation is an addition (z + p3), which AVX2 runs beside the FMAs, not on their ports.
    lead = p[-1]
    print("P (z^0 first):", ", ".join(float(np.float32(v / lead)).hex() for v in p))
    print("Q (z^0 first):", ", ".join(float(np.float32(v / lead)).hex() for v in q))
