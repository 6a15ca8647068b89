"""Compiled core of causal wallet-buy outcome labels: a streaming resolver of pending buys.

Every wallet buy becomes a *pending* outcome. Its reference is the mint's VWAP over the last
``vwap_n`` trades at the buy (the buy included). Later trades of the same mint move that VWAP; the
buy resolves as a **win** at the first trade whose VWAP is >= ref x (1 + tp), as a **loss** at the
first trade whose VWAP is <= ref x (1 - sl), and as a **loss by time-out** at ``ts + horizon`` when
neither came first. A time-out is only *known* once an event later than the deadline arrives, so the
resolver never reports an outcome before it happened: causal by construction. The same step
function serves the batch labeller (``label_buys_nb``), the streaming scorer and the copy-trade
strategy.

State (all explicit arrays, so a caller can resume across chunks):

- ``mint_f`` (n_mints, 4) float64: VWAP numerator and denominator sums, cached lowest win bar
  and highest loss bar among the mint's pending buys (a trade between them needs no scan).
- ``mint_i`` (n_mints, 4) int64: ring position, ring fill, head and tail of the mint's pending list.
- ``ring_pv`` / ``ring_v`` (n_mints, vwap_n): the last trades' price x tokens and tokens.
- ``pend_i`` (cap, 8) / ``pend_f`` (cap, 4): pending buys in a global FIFO ring ordered by buy
  time (so deadlines are ordered too), doubly linked per mint.
- ``ctr`` int64[4]: ring head sequence, tail sequence, buys dropped by ring overflow, buys added.
- ``out_i`` (cap, 7) / ``out_f`` (cap, 2): the outcomes resolved by the latest step (copies, so a
  caller can read them after the ring slot is reused).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# pend_i columns
P_SEQ, P_EVENT, P_WALLET, P_MINT, P_TS, P_PREV, P_NEXT, P_STATUS = range(8)
# pend_f columns
P_REF, P_HI, P_LO, P_SOL = range(4)
# out_i columns
O_SEQ, O_EVENT, O_WALLET, O_MINT, O_STATUS, O_RES_TS, O_RES_EVENT = range(7)
# out_f columns
O_REF, O_RET = range(2)
# mint_f / mint_i columns
M_PV, M_V, M_MIN_HI, M_MAX_LO = range(4)
M_POS, M_FILL, M_HEAD, M_TAIL = range(4)
# ctr
C_HEAD, C_TAIL, C_DROPPED, C_ADDED = range(4)

STATUS_PENDING = -1
STATUS_LOSS = 0
STATUS_WIN = 1
STATUS_DROPPED = -2  # pushed out of a full ring before it resolved (counted, never scored)
STATUS_UNRESOLVED = -3  # still pending when the data ended (batch labels only)

RESOLVED_BY_PRICE = 0
RESOLVED_BY_TIMEOUT = 1


def new_resolver_state(n_mints: int, vwap_n: int, capacity: int) -> tuple[np.ndarray, ...]:
    """Fresh resolver state arrays (see module docstring)."""
    mint_f = np.zeros((n_mints, 4), dtype=np.float64)
    mint_f[:, M_MIN_HI] = np.inf
    mint_f[:, M_MAX_LO] = -np.inf
    mint_i = np.zeros((n_mints, 4), dtype=np.int64)
    mint_i[:, M_HEAD] = -1
    mint_i[:, M_TAIL] = -1
    ring_pv = np.zeros((n_mints, max(int(vwap_n), 1)), dtype=np.float64)
    ring_v = np.zeros_like(ring_pv)
    cap = max(int(capacity), 1)
    pend_i = np.zeros((cap, 8), dtype=np.int64)
    pend_f = np.zeros((cap, 4), dtype=np.float64)
    ctr = np.zeros(4, dtype=np.int64)
    out_i = np.zeros((cap + 1, 7), dtype=np.int64)
    out_f = np.zeros((cap + 1, 2), dtype=np.float64)
    return mint_f, mint_i, ring_pv, ring_v, pend_i, pend_f, ctr, out_i, out_f


@njit(cache=True)
def _unlink_nb(slot, mint_i, pend_i):
    m = pend_i[slot, P_MINT]
    prev = pend_i[slot, P_PREV]
    nxt = pend_i[slot, P_NEXT]
    if prev >= 0:
        pend_i[prev, P_NEXT] = nxt
    else:
        mint_i[m, M_HEAD] = nxt
    if nxt >= 0:
        pend_i[nxt, P_PREV] = prev
    else:
        mint_i[m, M_TAIL] = prev


@njit(cache=True)
def _emit_nb(slot, status, res_ts, res_event, vwap, pend_i, pend_f, out_i, out_f, n_out):
    pend_i[slot, P_STATUS] = status
    out_i[n_out, O_SEQ] = pend_i[slot, P_SEQ]
    out_i[n_out, O_EVENT] = pend_i[slot, P_EVENT]
    out_i[n_out, O_WALLET] = pend_i[slot, P_WALLET]
    out_i[n_out, O_MINT] = pend_i[slot, P_MINT]
    out_i[n_out, O_STATUS] = status
    out_i[n_out, O_RES_TS] = res_ts
    out_i[n_out, O_RES_EVENT] = res_event
    out_f[n_out, O_REF] = pend_f[slot, P_REF]
    out_f[n_out, O_RET] = vwap / pend_f[slot, P_REF] - 1.0 if vwap == vwap else np.nan
    return n_out + 1


@njit(cache=True)
def mint_vwap_nb(m, mint_f):
    """The mint's current VWAP over its last trades (NaN before its first priced trade)."""
    if mint_f[m, M_V] > 0.0:
        return mint_f[m, M_PV] / mint_f[m, M_V]
    return np.nan


@njit(cache=True, inline="always")
def resolver_step_nb(
    ev_ts,
    ev_mint,
    ev_trader,
    ev_side,
    ev_price,
    ev_tokens,
    ev_sol,
    gidx,
    horizon_ns,
    tp,
    sl,
    mint_f,
    mint_i,
    ring_pv,
    ring_v,
    pend_i,
    pend_f,
    ctr,
    out_i,
    out_f,
):
    """Advance the resolver by one event; returns how many outcomes it resolved (in ``out_*``).

    Order: (1) time-outs whose deadline is before this event, (2) this trade updates its mint's
    VWAP and resolves that mint's pending buys whose bar it crossed, (3) a buy becomes pending.
    Returns ``n`` >= 0; the resolved outcomes are ``out_i[:n]`` / ``out_f[:n]``.
    """
    cap = pend_i.shape[0]
    n_out = 0
    # (1) time-outs: the FIFO head is the oldest buy, so its deadline is the earliest.
    while ctr[C_HEAD] < ctr[C_TAIL]:
        slot = ctr[C_HEAD] % cap
        if pend_i[slot, P_STATUS] != STATUS_PENDING:
            ctr[C_HEAD] += 1
            continue
        deadline = pend_i[slot, P_TS] + horizon_ns
        if deadline >= ev_ts:
            break
        _unlink_nb(slot, mint_i, pend_i)
        m = pend_i[slot, P_MINT]
        n_out = _emit_nb(
            slot,
            STATUS_LOSS,
            deadline,
            -1,
            mint_vwap_nb(m, mint_f),
            pend_i,
            pend_f,
            out_i,
            out_f,
            n_out,
        )
        ctr[C_HEAD] += 1
    m = ev_mint
    if m < 0 or m >= mint_f.shape[0] or ev_side == 0:
        return n_out
    if not (
        ev_price > 0.0 and ev_tokens > 0.0 and np.isfinite(ev_price) and np.isfinite(ev_tokens)
    ):
        return n_out
    # (2) the trade enters the mint's VWAP ring.
    width = ring_pv.shape[1]
    pos = mint_i[m, M_POS]
    if mint_i[m, M_FILL] == width:
        mint_f[m, M_PV] -= ring_pv[m, pos]
        mint_f[m, M_V] -= ring_v[m, pos]
    else:
        mint_i[m, M_FILL] += 1
    pv = ev_price * ev_tokens
    ring_pv[m, pos] = pv
    ring_v[m, pos] = ev_tokens
    mint_f[m, M_PV] += pv
    mint_f[m, M_V] += ev_tokens
    mint_i[m, M_POS] = (pos + 1) % width
    if mint_i[m, M_FILL] == width and pos == width - 1:
        # Re-sum once per lap so subtraction round-off never accumulates.
        mint_f[m, M_PV] = ring_pv[m].sum()
        mint_f[m, M_V] = ring_v[m].sum()
    vwap = mint_f[m, M_PV] / mint_f[m, M_V]
    if vwap >= mint_f[m, M_MIN_HI] or vwap <= mint_f[m, M_MAX_LO]:
        min_hi = np.inf
        max_lo = -np.inf
        slot = mint_i[m, M_HEAD]
        while slot >= 0:
            nxt = pend_i[slot, P_NEXT]
            if vwap >= pend_f[slot, P_HI]:
                _unlink_nb(slot, mint_i, pend_i)
                n_out = _emit_nb(
                    slot, STATUS_WIN, ev_ts, gidx, vwap, pend_i, pend_f, out_i, out_f, n_out
                )
            elif vwap <= pend_f[slot, P_LO]:
                _unlink_nb(slot, mint_i, pend_i)
                n_out = _emit_nb(
                    slot, STATUS_LOSS, ev_ts, gidx, vwap, pend_i, pend_f, out_i, out_f, n_out
                )
            else:
                min_hi = min(min_hi, pend_f[slot, P_HI])
                max_lo = max(max_lo, pend_f[slot, P_LO])
            slot = nxt
        mint_f[m, M_MIN_HI] = min_hi
        mint_f[m, M_MAX_LO] = max_lo
    # (3) a buy becomes pending, referenced to the VWAP that includes it.
    if ev_side > 0 and ev_trader >= 0:
        if ctr[C_TAIL] - ctr[C_HEAD] >= cap:
            slot = ctr[C_HEAD] % cap
            if pend_i[slot, P_STATUS] == STATUS_PENDING:
                _unlink_nb(slot, mint_i, pend_i)
                pend_i[slot, P_STATUS] = STATUS_DROPPED
                ctr[C_DROPPED] += 1
            ctr[C_HEAD] += 1
        slot = ctr[C_TAIL] % cap
        pend_i[slot, P_SEQ] = ctr[C_ADDED]
        pend_i[slot, P_EVENT] = gidx
        pend_i[slot, P_WALLET] = ev_trader
        pend_i[slot, P_MINT] = m
        pend_i[slot, P_TS] = ev_ts
        pend_i[slot, P_STATUS] = STATUS_PENDING
        hi = vwap * (1.0 + tp)
        lo = vwap * (1.0 - sl)
        pend_f[slot, P_REF] = vwap
        pend_f[slot, P_HI] = hi
        pend_f[slot, P_LO] = lo
        pend_f[slot, P_SOL] = ev_sol
        tail = mint_i[m, M_TAIL]
        pend_i[slot, P_PREV] = tail
        pend_i[slot, P_NEXT] = -1
        if tail >= 0:
            pend_i[tail, P_NEXT] = slot
        else:
            mint_i[m, M_HEAD] = slot
        mint_i[m, M_TAIL] = slot
        mint_f[m, M_MIN_HI] = min(mint_f[m, M_MIN_HI], hi)
        mint_f[m, M_MAX_LO] = max(mint_f[m, M_MAX_LO], lo)
        ctr[C_TAIL] += 1
        ctr[C_ADDED] += 1
    return n_out


@njit(cache=True)
def label_buys_nb(events, first_gidx, horizon_ns, tp, sl, state, lab_i, lab_f, n_labels_before):
    """Stream one chunk of events through the resolver, writing every outcome into ``lab_*``.

    ``lab_i`` rows (indexed by the buy's sequence number): event index, wallet, mint, buy ts,
    status, resolution ts, resolution event index (-1 for a time-out). ``lab_f``: ref VWAP, VWAP
    return at resolution, buy SOL. Rows of buys still pending at the end keep status -3.
    Returns the number of label rows used so far.
    """
    mint_f, mint_i, ring_pv, ring_v, pend_i, pend_f, ctr, out_i, out_f = state
    n_labels = n_labels_before
    for k in range(events.shape[0]):
        ev = events[k]
        gidx = first_gidx + k
        before = ctr[C_ADDED]
        n = resolver_step_nb(
            ev.ts, ev.mint, ev.trader, ev.side, ev.price, ev.tokens, ev.sol, gidx, horizon_ns, tp,
            sl, mint_f, mint_i, ring_pv, ring_v, pend_i, pend_f, ctr, out_i, out_f,
        )  # fmt: skip
        for j in range(n):
            seq = out_i[j, O_SEQ]
            lab_i[seq, 4] = out_i[j, O_STATUS]
            lab_i[seq, 5] = out_i[j, O_RES_TS]
            lab_i[seq, 6] = out_i[j, O_RES_EVENT]
            lab_f[seq, 1] = out_f[j, O_RET]
        if ctr[C_ADDED] > before:
            seq = before
            lab_i[seq, 0] = gidx
            lab_i[seq, 1] = ev.trader
            lab_i[seq, 2] = ev.mint
            lab_i[seq, 3] = ev.ts
            lab_i[seq, 4] = STATUS_UNRESOLVED
            lab_i[seq, 5] = -1
            lab_i[seq, 6] = -1
            slot = (ctr[C_TAIL] - 1) % pend_i.shape[0]
            lab_f[seq, 0] = pend_f[slot, P_REF]
            lab_f[seq, 1] = np.nan
            lab_f[seq, 2] = ev.sol
            n_labels = seq + 1
    return n_labels


@njit(cache=True)
def max_buys_within_nb(ts, is_buy, horizon_ns):
    """Most buys inside any closed ``horizon``-long window: the resolver ring size that never drops."""
    best = 0
    lo = 0
    count = 0
    buys_ts = np.empty(ts.shape[0], dtype=np.int64)
    nb = 0
    for i in range(ts.shape[0]):
        if is_buy[i]:
            buys_ts[nb] = ts[i]
            nb += 1
    for i in range(nb):
        count += 1
        while buys_ts[lo] < buys_ts[i] - horizon_ns:
            lo += 1
            count -= 1
        if count > best:
            best = count
    return best
