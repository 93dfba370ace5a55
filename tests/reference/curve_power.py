#!/usr/bin/python3
# Reference fits of ev-curve's power law, acc = a - b n^-c, computed outside
# ev for tests/unit/test_curve.c: weighted least squares with the weights of
# ev-curve(1), w = N / (p~(1 - p~)) and p~ = (k + 1/2) / (N + 1), within the
# bounds a <= 1, b >= 0 and 0 <= c <= 5, by scipy.optimize.least_squares
# (trust-region reflective, which handles an active bound) from several
# starts, keeping the best. Run with Debian 12's python3-scipy (1.10):
#     /usr/bin/python3 tests/reference/curve_power.py
import numpy as np
from scipy.optimize import least_squares

CASES = {
    # STATS.md 8.5, the worked fit: an interior optimum.
    "worked": ([25, 50, 100, 200], [78, 92, 104, 112], [200] * 4),
    # Curves that rise steeply to 100%: the bounded optimum has a = 1.
    "ceiling-1": ([10, 20, 40, 80, 160], [1, 55, 89, 95, 99], [100] * 5),
    "ceiling-2": ([10, 20, 40, 80, 160], [2, 47, 79, 97, 100], [100] * 5),
    "ceiling-3": ([10, 20, 40, 80, 160], [66, 89, 94, 99, 100], [100] * 5),
    # Unequal eval sizes, a ceiling below 1.
    "unequal": ([10, 30, 100, 300, 1000], [12, 31, 52, 73, 95], [50, 80, 100, 120, 150]),
}


def fit(n, k, N):
    n, k, N = (np.array(v, float) for v in (n, k, N))
    y = k / N
    q = (k + 0.5) / (N + 1)
    w = N / (q * (1 - q))
    best = None
    for c0 in (0.1, 0.3, 0.5, 1.0, 2.0, 3.0):
        a0 = min(1.0, y.max() + 0.1)
        t = n**-c0
        b0 = max(np.sum(w * t * (a0 - y)) / np.sum(w * t * t), 1e-6)
        r = least_squares(lambda p: np.sqrt(w) * (y - (p[0] - p[1] * n ** -p[2])),
                          [a0, b0, c0], bounds=([-np.inf, 0, 0], [1, np.inf, 5]),
                          method="trf", ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=100000)
        sse = float(np.sum(r.fun**2))
        if best is None or sse < best[0]:
            best = (sse, r.x)
    return best


for name, (n, k, N) in CASES.items():
    sse, (a, b, c) = fit(n, k, N)
    print(f"{name}: a={a:.10f} b={b:.10f} c={c:.10f} sse={sse:.10f}")
