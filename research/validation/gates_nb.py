"""Compiled kernels for the overfitting gates: block aggregates and CSCV over many trials.

Arrays in, arrays out; the pandas-facing wrappers and the statistics live in ``validation.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

METRIC_SHARPE = 0  # mean / sample std (ddof=1); 0 when the std is 0
METRIC_MEAN = 1  # mean per observation


@njit(cache=True)
def block_moments_nb(
    m: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block and trial: sum, sum of squares and count of the rows of ``m`` (T x N).

    Block ``b`` holds rows ``starts[b]:starts[b + 1]``. Aggregating once makes every CSCV split a
    sum of S/2 blocks instead of a pass over T rows.
    """
    n_blocks = len(starts) - 1
    n_trials = m.shape[1]
    s1 = np.zeros((n_blocks, n_trials))
    s2 = np.zeros((n_blocks, n_trials))
    cnt = np.zeros(n_blocks, dtype=np.int64)
    for b in range(n_blocks):
        cnt[b] = starts[b + 1] - starts[b]
        for t in range(starts[b], starts[b + 1]):
            for j in range(n_trials):
                x = m[t, j]
                s1[b, j] += x
                s2[b, j] += x * x
    return s1, s2, cnt


@njit(cache=True)
def _perf_nb(s1: float, s2: float, n: int, metric: int) -> float:
    if n == 0:
        return 0.0
    mean = s1 / n
    if metric == METRIC_MEAN:
        return mean
    if n < 2:
        return 0.0
    var = (s2 - n * mean * mean) / (n - 1)
    if var <= 0.0:
        return 0.0
    return mean / np.sqrt(var)


@njit(cache=True, parallel=True)
def cscv_nb(
    s1: np.ndarray, s2: np.ndarray, cnt: np.ndarray, train_blocks: np.ndarray, metric: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each split (row of ``train_blocks``, the S/2 in-sample block ids; the rest is OOS):
    the in-sample best trial (first on ties), its IS and OOS performance, and its relative OOS
    rank ``w = rank / (N + 1)`` (ranks 1..N ascending, ties averaged).
    """
    n_splits, half = train_blocks.shape
    n_blocks, n_trials = s1.shape
    best = np.empty(n_splits, dtype=np.int64)
    perf_is = np.empty(n_splits)
    perf_oos = np.empty(n_splits)
    rel_rank = np.empty(n_splits)
    for c in prange(n_splits):
        in_train = np.zeros(n_blocks, dtype=np.bool_)
        for k in range(half):
            in_train[train_blocks[c, k]] = True
        n_is = 0
        n_oos = 0
        for b in range(n_blocks):
            if in_train[b]:
                n_is += cnt[b]
            else:
                n_oos += cnt[b]
        oos = np.empty(n_trials)
        best_j = 0
        best_v = -np.inf
        for j in range(n_trials):
            a1 = 0.0
            a2 = 0.0
            o1 = 0.0
            o2 = 0.0
            for b in range(n_blocks):
                if in_train[b]:
                    a1 += s1[b, j]
                    a2 += s2[b, j]
                else:
                    o1 += s1[b, j]
                    o2 += s2[b, j]
            v = _perf_nb(a1, a2, n_is, metric)
            if v > best_v:
                best_v = v
                best_j = j
            oos[j] = _perf_nb(o1, o2, n_oos, metric)
        target = oos[best_j]
        less = 0
        equal = 0
        for j in range(n_trials):
            if oos[j] < target:
                less += 1
            elif oos[j] == target:
                equal += 1
        best[c] = best_j
        perf_is[c] = best_v
        perf_oos[c] = target
        rel_rank[c] = (less + (equal + 1) / 2.0) / (n_trials + 1)
    return best, perf_is, perf_oos, rel_rank
