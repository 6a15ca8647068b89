"""Compiled per-token statistics of price paths that start at the creator's dump.

Arrays in, arrays out: one path per token (trade times in seconds since the session's entry and
log spot prices after each trade), the same kernel for the real PumpPortal logs and for synthetic
lakes, so both sides are measured by one definition (``pathstats.py`` holds the list).

Session rule (the logging bot's, read from its code): a session ends after ``GAP_S`` without a
trade or at ``WINDOW_S``; its end is ``min(last trade + GAP_S, WINDOW_S)``. Prices between trades
are the last trade's spot (a bonding curve does not move without trades).
"""

from __future__ import annotations

import numpy as np
from numba import njit

GAP_S = 600.0  # a session ends after 10 min without a trade
WINDOW_S = 1200.0  # ... or 20 min after the entry
GRID_S = 10.0  # prices are read on a 10 s grid
LOOKBACK_S = 30.0  # a rise/fall is a move of at least the threshold within 30 s
HORIZONS_S = (10.0, 60.0, 120.0, 300.0)
# (threshold on the 30 s log-return, +1 rise / -1 fall)
MOVES = ((np.log(1.10), 1.0), (np.log(1.25), 1.0), (np.log(1.0 / 1.10), -1.0),
         (np.log(1.0 / 1.25), -1.0))  # fmt: skip
MOVE_NAMES = ("rise10", "rise25", "fall10", "fall25")
NEVER_S = 1e6  # "never within the session" for time-to-event statistics

# per-token scalar outputs (columns of ``out``)
O_TRADES = 0
O_END = 1
O_LAST = 2
O_MEDIAN_T = 3
O_PEAK_GAIN = 4  # max log price over the session minus the entry's
O_TROUGH = 5  # deepest fall from a running peak (log; <= 0)
O_PEAK_TO_HALF = 6  # seconds from the session's peak to the first price <= peak / 2
N_SCALARS = 7


@njit(cache=True)
def _price_at(t_arr, lp_arr, lp0, t):
    """Log spot at time ``t``: the last trade at or before it, or the entry's."""
    j = np.searchsorted(t_arr, t, side="right") - 1
    return lp0 if j < 0 else lp_arr[j]


@njit(cache=True)
def path_stats_nb(offsets, t_all, lp_all, lp0, horizons, move_thr, move_dir, lookback, grid):
    """Statistics per token; NaN where a statistic is undefined for that token.

    Returns ``(scalars[n, N_SCALARS], fwd[n, moves, horizons], ac[n, horizons, 2],
    uncond[n, horizons])``: ``fwd`` the log-return over each horizon after the token's first
    move of each kind (on the grid, the horizon inside the session), ``ac`` the successive
    returns over ``[0, h]`` and ``[h, 2h]`` from the entry, ``uncond`` the forward log-return
    from a grid point drawn uniformly inside the session (seeded per token: deterministic).
    """
    n = offsets.shape[0] - 1
    nh = horizons.shape[0]
    nm = move_thr.shape[0]
    sc = np.full((n, N_SCALARS), np.nan)
    fwd = np.full((n, nm, nh), np.nan)
    ac = np.full((n, nh, 2), np.nan)
    unc = np.full((n, nh), np.nan)
    for i in range(n):
        a, b = offsets[i], offsets[i + 1]
        # session cut: first gap > GAP_S or past WINDOW_S
        prev = 0.0
        m = a
        while m < b:
            tt = t_all[m]
            if tt - prev > GAP_S or tt > WINDOW_S:
                break
            prev = tt
            m += 1
        t = t_all[a:m]
        lp = lp_all[a:m]
        k = m - a
        end = min(prev + GAP_S, WINDOW_S)
        p0 = lp0[i]
        sc[i, O_TRADES] = k
        sc[i, O_END] = end
        if k > 0:
            sc[i, O_LAST] = t[k - 1]
            sc[i, O_MEDIAN_T] = np.median(t)
            peak = p0
            t_peak = 0.0
            dd = 0.0
            for j in range(k):
                if lp[j] > peak:
                    peak = lp[j]
                    t_peak = t[j]
                if lp[j] - peak < dd:
                    dd = lp[j] - peak
            sc[i, O_PEAK_GAIN] = peak - p0
            sc[i, O_TROUGH] = dd
            half = NEVER_S
            for j in range(k):
                if t[j] > t_peak and lp[j] <= peak - np.log(2.0):
                    half = t[j] - t_peak
                    break
            sc[i, O_PEAK_TO_HALF] = half
        # moves on the grid
        n_grid = int(end / grid) + 1
        for c in range(nm):
            g = int(np.ceil(lookback / grid))
            while g < n_grid:
                tg = g * grid
                r = _price_at(t, lp, p0, tg) - _price_at(t, lp, p0, tg - lookback)
                if (move_dir[c] > 0 and r >= move_thr[c]) or (move_dir[c] < 0 and r <= move_thr[c]):
                    here = _price_at(t, lp, p0, tg)
                    for hh in range(nh):
                        if tg + horizons[hh] <= end:
                            fwd[i, c, hh] = _price_at(t, lp, p0, tg + horizons[hh]) - here
                    break
                g += 1
        for hh in range(nh):
            h = horizons[hh]
            if 2.0 * h <= end:
                x1 = _price_at(t, lp, p0, h)
                ac[i, hh, 0] = x1 - p0
                ac[i, hh, 1] = _price_at(t, lp, p0, 2.0 * h) - x1
            span = end - h
            if span >= 0.0:
                # a grid point drawn by a per-token hash of (i, h): no RNG state, deterministic
                z = np.uint64(i) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(hh + 1)
                z = (z ^ (z >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
                z = z ^ (z >> np.uint64(29))
                u = float(z % np.uint64(1 << 30)) / float(1 << 30)
                tg = np.floor(u * (span / grid + 1.0)) * grid
                if tg > span:
                    tg = span
                unc[i, hh] = _price_at(t, lp, p0, tg + h) - _price_at(t, lp, p0, tg)
    return sc, fwd, ac, unc
