"""A bare, hand-written numba replay loop: the yardstick the engine's speed is measured against.

Same work per event as the engine running momentum on the benchmark market: a per-mint momentum
window (return, buy SOL, buy ratio, trade count, cooldown), entries sized at a fixed fraction of
equity landing at the first event >= send + latency, constant-product fills on the mint's
reserves with the venue fee and our own impact, and exits on every event of the mint (hard
stop, a three-step TP ladder, peak trailing, max hold, plus a deadline scan for quiet mints).
No phases, no records, no risk tiers, no seams: the fastest straightforward loop one would
write by hand. Its figures are only a reference; its trades are not the engine's.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# params columns
P_WINDOW_NS = 0
P_MIN_RETURN = 1
P_MIN_BUY_RATIO = 2
P_MIN_BUY_SOL = 3
P_MIN_TRADES = 4
P_COOLDOWN_NS = 5
N_PARAMS = 6


@njit(cache=True, nogil=True)
def bare_replay_nb(events, n_mints, p, max_open, latency_ns, fee, fraction, hold_ns):
    """(final equity, trades) of the bare loop over ``events`` with params row ``p``."""
    win_start = np.full(n_mints, -(1 << 62), np.int64)
    last_sig = np.full(n_mints, -(1 << 62), np.int64)
    trades_in = np.zeros(n_mints, np.int64)
    open_px = np.zeros(n_mints)
    buy_sol = np.zeros(n_mints)
    sell_sol = np.zeros(n_mints)
    vs = np.full(n_mints, np.nan)
    vt = np.full(n_mints, np.nan)
    # positions per mint: 0 none, 1 buy in flight, 2 open
    pstate = np.zeros(n_mints, np.int64)
    land = np.zeros(n_mints, np.int64)
    entry_ts = np.zeros(n_mints, np.int64)
    order_sol = np.zeros(n_mints)
    tokens = np.zeros(n_mints)
    tokens0 = np.zeros(n_mints)
    entry_px = np.zeros(n_mints)
    peak = np.zeros(n_mints)
    tp = np.zeros(n_mints, np.int64)
    pending_mints = np.zeros(max_open, np.int64)
    n_pending = 0
    n_open = 0
    next_land = 1 << 62
    cash = 100.0
    n_trades = 0
    for i in range(events.shape[0]):
        e = events[i]
        ts = e["ts"]
        m = e["mint"]
        if ts >= next_land:  # land due buys
            nl = 1 << 62
            k = 0
            while k < n_pending:
                q = pending_mints[k]
                if land[q] <= ts:
                    x = order_sol[q] * (1.0 - fee)
                    out = vt[q] * x / (vs[q] + x) if vs[q] == vs[q] else 0.0
                    if out > 0.0:
                        cash -= order_sol[q]
                        tokens[q] = out
                        tokens0[q] = out
                        entry_px[q] = order_sol[q] / out
                        peak[q] = entry_px[q]
                        entry_ts[q] = ts
                        pstate[q] = 2
                        tp[q] = 0
                    else:
                        pstate[q] = 0
                        n_open -= 1
                    n_pending -= 1
                    pending_mints[k] = pending_mints[n_pending]
                else:
                    nl = min(nl, land[q])
                    k += 1
            next_land = nl
        vs[m] = e["vsol"]
        vt[m] = e["vtok"]
        px = vs[m] / vt[m]
        if pstate[m] == 2:  # exits: mark at the liquidation price
            held = tokens[m]
            mark = vs[m] * held / (vt[m] + held) * (1.0 - fee) / held
            if mark > peak[m]:
                peak[m] = mark
            r = mark / entry_px[m] - 1.0
            sell = 0.0
            if r <= -0.2 or ts - entry_ts[m] >= hold_ns:
                sell = held
            elif peak[m] >= entry_px[m] * 1.6 and mark <= peak[m] * 0.82:
                sell = held
            elif tp[m] < 3 and r >= (0.25, 0.6, 1.2)[tp[m]]:
                sell = min(held, tokens0[m] * 0.3)
                tp[m] += 1
            if sell > 0.0:
                got = vs[m] * sell / (vt[m] + sell) * (1.0 - fee)
                cash += got
                tokens[m] -= sell
                if tokens[m] <= tokens0[m] * 1e-9:
                    pstate[m] = 0
                    n_open -= 1
                    n_trades += 1
        if e["side"] == 0:
            continue
        # momentum window
        if ts - win_start[m] >= p[P_WINDOW_NS]:
            win_start[m] = ts
            trades_in[m] = 0
            open_px[m] = px
            buy_sol[m] = 0.0
            sell_sol[m] = 0.0
        if e["side"] > 0:
            buy_sol[m] += e["sol"]
        else:
            sell_sol[m] += e["sol"]
        trades_in[m] += 1
        if trades_in[m] < p[P_MIN_TRADES] or px < open_px[m] * (1.0 + p[P_MIN_RETURN]):
            continue
        flow = buy_sol[m] + sell_sol[m]
        if (
            buy_sol[m] >= p[P_MIN_BUY_SOL]
            and buy_sol[m] >= p[P_MIN_BUY_RATIO] * flow
            and ts - last_sig[m] >= p[P_COOLDOWN_NS]
        ):
            last_sig[m] = ts
            if pstate[m] == 0 and n_open < max_open:
                pstate[m] = 1
                n_open += 1
                order_sol[m] = cash * fraction
                land[m] = ts + latency_ns
                pending_mints[n_pending] = m
                n_pending += 1
                next_land = min(next_land, land[m])
    return cash, n_trades


@njit(cache=True, parallel=True)
def bare_sweep_nb(events, n_mints, params, max_open, latency_ns, fee, fraction, hold_ns):
    """The bare loop for every params row, combinations in ``prange``."""
    k = params.shape[0]
    equity = np.zeros(k)
    trades = np.zeros(k, np.int64)
    for c in prange(k):
        equity[c], trades[c] = bare_replay_nb(
            events, n_mints, params[c], max_open, latency_ns, fee, fraction, hold_ns
        )
    return equity, trades


def momentum_params(rows) -> np.ndarray:
    """Bare params rows from momentum ``PARAMS_DTYPE`` records."""
    out = np.zeros((len(rows), N_PARAMS))
    for i, r in enumerate(rows):
        out[i] = (r["window_s"] * 1e9, r["min_return"], r["min_buy_ratio"], r["min_buy_sol"],
                  r["min_trades"], r["cooldown_s"] * 1e9)  # fmt: skip
    return out
