#!/usr/bin/env python3
"""Reference values for ev-compare's interval floor (ev-compare(1), "The
floor"), computed outside ev with Python's standard library only: the normal
quantile of statistics.NormalDist, Wilson's closed form, and Tango's score
interval found by bisection on its Z statistic (Tango 1998, as STATS.md 4.3
writes it). Run: python3 tests/reference/compare_floor.py"""
from math import sqrt
from statistics import NormalDist

Z = NormalDist().inv_cdf(0.975)


def wilson(k, n, z=Z):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z / d * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else max(0.0, c - h), 1.0 if k == n else min(1.0, c + h))


def tango_z(b, c, n, d0):
    qa = 2 * n
    qb = -b - c + (2 * n - b + c) * d0
    qc = -c * d0 * (1 - d0)
    q21 = (-qb + sqrt(max(0.0, qb * qb - 4 * qa * qc))) / (2 * qa)
    return (b - c - n * d0) / sqrt(n * (2 * q21 + d0 * (1 - d0)))


def root(f, lo, hi):
    """The root of f, which changes sign once on [lo, hi]."""
    flo = f(lo)
    for _ in range(200):
        mid = (lo + hi) / 2
        if (f(mid) > 0) == (flo > 0):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def tango(b, c, n, z=Z):
    est = (b - c) / n
    eps = 1e-12
    lo = root(lambda d: tango_z(b, c, n, d) - z, -1 + eps, est)
    hi = root(lambda d: tango_z(b, c, n, d) + z, est, 1 - eps)
    return lo, hi


def expected_table(pc, pb):
    """The expected one-sample 2x2 table of per-case pass rates: b, c."""
    b = sum(x * (1 - y) for x, y in zip(pc, pb))
    c = sum(y * (1 - x) for x, y in zip(pc, pb))
    return b, c


if __name__ == "__main__":
    # The implementation first reproduces STATS.md 4.5's vectors, which were
    # checked against R's PropCIs::scoreci.mp.
    assert abs(tango(5, 15, 100)[0] - -0.192397) < 1e-6
    assert abs(tango(12, 4, 100)[1] - 0.165588) < 1e-6
    assert abs(wilson(60, 100)[0] - 0.502003) < 1e-6
    print("40 cases, every sample passing: Wilson(40, 40) = [%.9f, %.9f]" % wilson(40, 40))
    b, c = expected_table([0.75] * 30, [0.5] * 30)
    print("30 cases at 3/4 against 2/4: expected b = %g, c = %g" % (b, c))
    print("  Tango(b, c, 30) = [%.9f, %.9f]" % tango(b, c, 30))
    b, c = expected_table([1.0] * 20, [0.5] * 20)
    print("20 cases at 2/2 against 1/2: expected b = %g, c = %g" % (b, c))
    print("  Tango(b, c, 20) = [%.9f, %.9f]" % tango(b, c, 20))
