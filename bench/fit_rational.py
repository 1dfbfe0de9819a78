#!/usr/bin/env python3
"""Derives the rational approximations of TanhOp (runtime/kernels/activation-inl.h) and ErfOp
(runtime/kernels/unary-inl.h): f(x) = x·P(x²)/Q(x²), one rational over the whole range.

Why a rational: these kernels run at the limit of AVX2's two FMA ports, so what counts is the
number of multiply-class operations a vector. tanh has poles at ±iπ/2 and saturates to ±1, which
a rational in z = x² follows with few terms where a polynomial cannot: degree 4/4, 8 FMAs, two
products and a division, about five operations fewer than the exp-based -expm1(-2|x|) /
(2 + expm1(-2|x|)) it replaced. erf is entire, which a rational follows less readily: 4/5 is the
lowest degree that stays well inside 1e-6 (4/4: 3e-6), one FMA fewer than the 5/5 before it.

How: minimax of the relative error of f(x)/x over z in [0, c²], by Lawson's iteration on the
linearized least-squares problem (Loeb): min sum w·(P - f·Q)² / (f·Q_prev)², the weights
multiplied by the error each round, with Q(0) = 1; reference values from mpmath at 30 digits, on
Chebyshev nodes. c is where the function rounds to 1 in float (tanh: 9.01; erf: 3.92). Then both
polynomials are divided by P's leading coefficient, so that P is monic and the first step of its
Horner evaluation is an addition, which AVX2 runs beside the FMAs.
The kernels clamp |x| at or past c, cap the result at 1 and or in the sign of x, so the rational
must reach 1 at the clamp: tanh's does past 9.01 (the kernel clamps at 9.2); for erf, whose
unconstrained fit ends 3e-7 below erf(3.92), the fit takes one more point, z = c² with
target erf(c)·(1 + 3e-7) at a weight far above the others, so the rational ends above 1.

Errors (fit in double, then after rounding the coefficients to float and evaluating in float
over every float, 4.28e9 inputs; FMA targets (AVX2, AVX-512) / SSE4):
  tanh 4/4: 2.1e-8, then 3.2e-7 / 4.1e-7.
  erf  4/5: 3.7e-7, then 6.7e-7 / 7.6e-7.

Run: python3 bench/fit_rational.py   (needs numpy and mpmath)
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 30


def tanh_over_x(z):
    if z == 0:
        return 1.0
    a = mp.sqrt(mp.mpf(z))
    return float(mp.tanh(a) / a)


def erf_over_x(z):
    if z == 0:
        return float(2 / mp.sqrt(mp.pi))
    a = mp.sqrt(mp.mpf(z))
    return float(mp.erf(a) / a)


def fit(f, m, n, zmax, end_excess=None, points=3000, iters=300):
    """Degrees m, n in z on [0, zmax]; end_excess: target f·(1 + end_excess) at z = zmax."""
    k = np.arange(points)
    z = (1 - np.cos(np.pi * (k + 0.5) / points)) / 2 * zmax  # Chebyshev nodes
    if end_excess is not None:
        z = np.append(z, zmax)
    fz = np.array([f(v) for v in z])
    target = fz.copy()
    if end_excess is not None:
        target[-1] = fz[-1] * (1 + end_excess)
    nfree = len(z) - (1 if end_excess is not None else 0)
    w = np.ones(len(z))
    q_prev = np.ones(len(z))
    best = None
    for _ in range(iters):
        a = np.hstack([np.vander(z, m + 1, increasing=True),
                       -target[:, None] * np.vander(z, n + 1, increasing=True)[:, 1:]])
        ww = w.copy()
        if end_excess is not None:
            ww[-1] = 1e4 * w.max()
        s = np.sqrt(ww) / np.abs(fz * q_prev)
        c, *_ = np.linalg.lstsq(a * s[:, None], target * s, rcond=None)
        p, q = c[:m + 1], np.concatenate([[1.0], c[m + 1:]])
        pz, qz = np.polyval(p[::-1], z), np.polyval(q[::-1], z)
        err = np.abs(pz / qz - fz) / np.abs(fz)
        if best is None or err[:nfree].max() < best[0]:
            best = (err[:nfree].max(), p, q)
        w = w * err
        if end_excess is not None:
            w[-1] = w[:-1].mean()
        w /= w.sum()
        q_prev = qz
    return best


def show(name, err, p, q):
    lead = p[-1]
    print(f"{name}: fit error (before rounding to float) {err:.3g}")
    print("  P (z^0 first):", ", ".join(float(np.float32(v / lead)).hex() for v in p))
    print("  Q (z^0 first):", ", ".join(float(np.float32(v / lead)).hex() for v in q))


if __name__ == "__main__":
    show("tanh 4/4", *fit(tanh_over_x, 4, 4, 9.01 ** 2, points=4000, iters=150))
    show("erf 4/5", *fit(erf_over_x, 4, 5, 3.92 ** 2, end_excess=3e-7))
