"""The sweep kernel: many parameter combinations over one chunk of events in one compiled call.

Each combination owns a row of every engine state array (market, slots, account, strategy state,
record buffers) and is replayed by the engine's own ``replay_nb`` -- the very code a one-at-a-time
backtest runs -- inside a ``prange`` over combinations. After each call the combination's record
buffers are *drained*: trades, fills and equity samples are folded into per-combination metric
accumulators and the buffer cursors (``iacct[I_N_*]``) reset to zero, so memory stays flat however
long the history and however many combinations (they run in batches).
"""

from __future__ import annotations

import numpy as np
from memelab.engine.records import FILL_OK
from memelab.engine.replay_nb import finalize_nb, replay_nb
from memelab.engine.risk import A_CASH, A_MARK, I_N_EQUITY, I_N_FILLS, I_N_ORDERS, I_N_TRADES
from numba import njit, prange
from numba.extending import overload

# Float accumulators (acc_f columns).
F_SUM_PNL = 0
F_GROSS_WIN = 1
F_GROSS_LOSS = 2  # positive number
F_SUM_RET = 3
F_SUM_RET2 = 4
F_PEAK_EQ = 5
F_MAX_DD = 6  # fraction below the running peak
F_FEES = 7  # venue + transaction fees of every fill, failed ones included
F_FINAL_EQ = 8
N_ACC_F = 9

# Integer accumulators (acc_i columns).
I_TRADES = 0
I_WINS = 1
I_STREAK = 2  # > 0 consecutive wins, < 0 consecutive losses
I_MAX_WIN_STREAK = 3
I_MAX_LOSS_STREAK = 4
I_FILLS = 5
I_FAILED_FILLS = 6
N_ACC_I = 7


def state_row(stacked, b):  # pragma: no cover - replaced by the overload in compiled code
    """``tuple(a[b] for a in stacked)``: one combination's strategy state views."""
    return tuple(a[b] for a in stacked)


@overload(state_row)
def _state_row_impl(stacked, b):
    # The tuple's length is known at compile time: generate the fixed-arity body.
    body = "".join(f"stacked[{i}][b], " for i in range(len(stacked)))
    ns: dict = {}
    exec(f"def impl(stacked, b):\n    return ({body})\n", ns)  # noqa: S102 - generated, no input
    return ns["impl"]


@njit(cache=True)
def keep_top_nb(top, top_n, b, trade) -> None:
    """Keep the ``top.shape[1]`` best trades (by P&L) of combination ``b``; earliest on ties."""
    cap = top.shape[1]
    pnl = trade["exit_sol"] - trade["entry_sol"]
    c = top_n[b]
    if c < cap:
        top[b, c] = trade
        top_n[b] = c + 1
        return
    worst = 0
    worst_pnl = top[b, 0]["exit_sol"] - top[b, 0]["entry_sol"]
    for j in range(1, cap):
        v = top[b, j]["exit_sol"] - top[b, j]["entry_sol"]
        if v < worst_pnl:
            worst, worst_pnl = j, v
    if pnl > worst_pnl:
        top[b, worst] = trade


@njit(cache=True)
def drain_nb(
    b, trades, fills, equity, iacct, acc_f, acc_i, bucket_edges, bucket_eq, top, top_n
):  # fmt: skip
    """Fold combination ``b``'s buffered records into its accumulators, then empty the buffers.

    ``acc_f[b, F_PEAK_EQ]`` starts at the initial equity; ``bucket_eq[b, j]`` ends as the last
    equity sample in bucket ``j`` (NaN when none); ``top[b]`` keeps its best trades when
    ``top.shape[1] > 0``.
    """
    keep_top = top.shape[1] > 0
    for k in range(iacct[I_N_TRADES]):
        t = trades[k]
        if keep_top:
            keep_top_nb(top, top_n, b, t)
        pnl = t["exit_sol"] - t["entry_sol"]
        ret = pnl / t["entry_sol"] if t["entry_sol"] > 0.0 else 0.0
        acc_i[b, I_TRADES] += 1
        acc_f[b, F_SUM_PNL] += pnl
        acc_f[b, F_SUM_RET] += ret
        acc_f[b, F_SUM_RET2] += ret * ret
        if pnl > 0.0:
            acc_i[b, I_WINS] += 1
            acc_f[b, F_GROSS_WIN] += pnl
            s = acc_i[b, I_STREAK]
            s = s + 1 if s > 0 else 1
            acc_i[b, I_STREAK] = s
            if s > acc_i[b, I_MAX_WIN_STREAK]:
                acc_i[b, I_MAX_WIN_STREAK] = s
        else:
            acc_f[b, F_GROSS_LOSS] -= pnl
            s = acc_i[b, I_STREAK]
            s = s - 1 if s < 0 else -1
            acc_i[b, I_STREAK] = s
            if -s > acc_i[b, I_MAX_LOSS_STREAK]:
                acc_i[b, I_MAX_LOSS_STREAK] = -s
    for k in range(iacct[I_N_FILLS]):
        f = fills[k]
        acc_i[b, I_FILLS] += 1
        if f["status"] != FILL_OK:
            acc_i[b, I_FAILED_FILLS] += 1
        acc_f[b, F_FEES] += f["venue_fee"] + f["tx_fee"]
    n_buckets = bucket_eq.shape[1]
    for k in range(iacct[I_N_EQUITY]):
        ts = equity[k]["ts"]
        eq = equity[k]["equity"]
        if eq > acc_f[b, F_PEAK_EQ]:
            acc_f[b, F_PEAK_EQ] = eq
        dd = 1.0 - eq / acc_f[b, F_PEAK_EQ]
        if dd > acc_f[b, F_MAX_DD]:
            acc_f[b, F_MAX_DD] = dd
        j = np.searchsorted(bucket_edges, ts, side="right") - 1
        if 0 <= j < n_buckets:
            bucket_eq[b, j] = eq
    iacct[I_N_ORDERS] = 0
    iacct[I_N_FILLS] = 0
    iacct[I_N_TRADES] = 0
    iacct[I_N_EQUITY] = 0


# Not cached on disk, like the engine's ``replay_nb``: the strategy's ``on_event`` reaches the
# replay loop as a first-class function value, which numba compiles to a dynamic address it cannot
# cache (and a dispatcher-typed signature it cannot key a cache on). Everything it calls except
# ``replay_nb`` is cached; the rest costs one compile per process.
def _sweep_chunk(
    events, offset, inputs, cfg_arr, venues, honeypot, on_event, params, sstates,
    market, mint_slot, slots, acct, iacct, rejects, knobs, orders, fills, trades, equity,
    acc_f, acc_i, bucket_edges, bucket_eq, top, top_n,
):  # fmt: skip
    """Replay ``events`` (global index ``offset``) for every combination ``b`` of the batch.

    Every array argument after ``params`` has the combination as its first axis; ``sstates`` is
    the strategy's state tuple with each array stacked over combinations. ``cfg_arr`` is the
    engine's config record as a length-1 array (a parallel loop cannot capture a record scalar).
    """
    n = events.shape[0]
    for b in prange(params.shape[0]):
        cfg = cfg_arr[0]
        i = 0
        while i < n:
            i = replay_nb(
                events, i, offset, inputs, cfg, venues, honeypot, on_event, params[b],
                state_row(sstates, b), market[b], mint_slot[b], slots[b], acct[b], iacct[b],
                rejects[b], knobs[b], orders[b], fills[b], trades[b], equity[b],
            )  # fmt: skip
            drain_nb(b, trades[b], fills[b], equity[b], iacct[b], acc_f, acc_i, bucket_edges,
                     bucket_eq, top, top_n)  # fmt: skip


# One body, two compilations: ``prange`` is a plain ``range`` when not parallel. The serial one
# compiles several times faster (no parfor passes): single-threaded workers (Dask tasks) use it.
sweep_chunk_nb = njit(cache=False, parallel=True)(_sweep_chunk)
sweep_chunk_serial_nb = njit(cache=False)(_sweep_chunk)


@njit(cache=True, parallel=True)
def sweep_finish_nb(
    cfg_arr, venues, market, mint_slot, slots, acct, iacct, fills, trades, equity,
    acc_f, acc_i, bucket_edges, bucket_eq, top, top_n,
):  # fmt: skip
    """End of data for every combination: the engine's liquidation, a last drain, final equity."""
    for b in prange(acct.shape[0]):
        cfg = cfg_arr[0]
        finalize_nb(
            cfg, venues, market[b], mint_slot[b], slots[b], acct[b], iacct[b], fills[b],
            trades[b], equity[b],
        )  # fmt: skip
        drain_nb(b, trades[b], fills[b], equity[b], iacct[b], acc_f, acc_i, bucket_edges,
                 bucket_eq, top, top_n)  # fmt: skip
        acc_f[b, F_FINAL_EQ] = acct[b, A_CASH] + acct[b, A_MARK]
