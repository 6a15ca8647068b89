"""Forward-return labels (offline: they read the future, so only the training-set builder uses
them, and a label is usable only once its horizon has passed).

The label of event i of token m is the sign of the log return from its price to the price of the
token's *last trade in (t_i, t_i + h]*. Events with no trade of their token in that window, or
with a zero return, get no label (``valid = 0``): "no trade, return 0" is predictable from the
trade rate on any market, which would make every model look skilful.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def forward_labels_nb(events, horizon_ns, label, fwd_ret, valid):
    """Fill ``label`` (int8 0/1), ``fwd_ret`` (float64) and ``valid`` (uint8) per event.

    Two pointers per token over a time-sorted array: O(n) after a stable sort by token.
    """
    n = len(events)
    order = np.argsort(events["mint"], kind="mergesort")
    start = 0
    while start < n:
        m = events[order[start]].mint
        stop = start
        while stop < n and events[order[stop]].mint == m:
            stop += 1
        j = start
        for a in range(start, stop):
            i = order[a]
            valid[i] = 0
            label[i] = 0
            fwd_ret[i] = np.nan
            ev = events[i]
            if ev.side == 0 or m < 0:
                continue
            p0 = _px(ev)
            if not p0 > 0.0:
                continue
            t_end = ev.ts + horizon_ns
            if j < a:
                j = a
            # advance j to the last event of the token with ts <= t_end
            while j + 1 < stop and events[order[j + 1]].ts <= t_end:
                j += 1
            # the last *trade* strictly after t_i within the horizon
            k = j
            while k > a and (events[order[k]].side == 0 or events[order[k]].ts <= ev.ts):
                k -= 1
            if k <= a:
                continue
            p1 = _px(events[order[k]])
            if not p1 > 0.0:
                continue
            r = math.log(p1 / p0)
            if r == 0.0:
                continue
            fwd_ret[i] = r
            label[i] = 1 if r > 0.0 else 0
            valid[i] = 1
        start = stop
    return n


@njit(cache=True, inline="always")
def _px(ev):
    vt = ev.vtok
    vs = ev.vsol
    if vt == vt and vt > 0.0 and vs == vs and vs > 0.0:
        return vs / vt
    return ev.price
