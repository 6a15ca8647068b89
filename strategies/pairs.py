"""Statistical pairs, long-only: buy the mint that has fallen behind a correlated partner.

Idea: two mints whose returns moved together over a lookback (correlation >= ``min_corr``) and
whose log-price spread is now ``entry_z`` (2.5) standard deviations from its lookback mean have
diverged; the classic trade is short the rich leg, long the cheap one, until the spread reverts.
Memecoins cannot be shorted on-chain (no borrow market for a fresh SPL token), so the tradable
form here is long-only: buy the leg that has fallen behind and sell it on convergence
(``|z| <= exit_z``), on the engine's stop, or after ``max_hold_s``. Without the short leg the
trade carries the market's direction: when both legs fall, "convergence" can come from the
leader falling to the laggard.

Everything is causal and compiled. Prices are sampled on a fixed time grid (``bar_s``, anchored
at multiples of the bar since the epoch): a bar boundary is closed by the first event at or
after it, with each mint's last price before it (carried forward when the mint was quiet).
Candidates are ``top_n`` slots, filled with the live mints of most SOL volume (decayed with the
lookback as half-life; a mint leaves its slot when quiet for ``quiet_s`` or rugged, or when a
non-member trades ``swap_ratio`` x the weakest member's volume). A slot keeps a ring of its
mint's log prices since it joined, so state is ``top_n`` x lookback bars, never all pairs of all
mints. A pair is tradable once both slots hold a full lookback of bars (so both mints have
been alive one lookback); its correlation and spread statistics are measured on the bars
*before* the current one, then the current spread is scored against them: only correlation
measured before the entry is used. Orders go through the engine's request API (a leg is rarely
the current event's mint); one request per event, so a bar's exits and entry queue up and go
out on the following events.

What the synthetic market can and cannot tell: its mints have independent order flow (no
common factor such as SOL's price or a narrative shared by two tokens), so correlation >= 0.7
between two mints happens only by chance and the strategy should not make money there; it
checks mechanics and costs, not the edge. The seed's 24 h lookback outlives most memecoins
(real paths go quiet within minutes), hence the swept lookback.
"""

from __future__ import annotations

import math

import numpy as np
from memelab.datasets.schemas import KIND_LIQUIDITY
from memelab.engine.requests_nb import request_entry_nb, request_exit_nb
from numba import njit

NAME = "pairs"

_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("bar_s", np.float64, 60.0),  # the time grid's step
    ("lookback_s", np.float64, 3600.0),  # correlation and spread window
    ("top_n", np.int64, 16),  # candidate slots (pairs: top_n x (top_n - 1) / 2)
    ("entry_z", np.float64, 2.5),
    ("exit_z", np.float64, 0.5),
    ("min_corr", np.float64, 0.7),
    ("quiet_s", np.float64, 600.0),  # a mint without a trade this long leaves its slot
    ("swap_ratio", np.float64, 2.0),  # a non-member this x the weakest member's volume joins
    ("max_hold_s", np.float64, 3600.0),  # close the leg after this long
    ("size", np.float64, 1.0),
)
PARAMS_DTYPE = np.dtype([(name, typ) for name, typ, _ in _FIELDS])
DEFAULTS: dict[str, float | int] = {name: default for name, _, default in _FIELDS}
SWEEP: dict[str, list] = {
    "lookback_s": [900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0],
    "entry_z": [2.0, 2.5, 3.0],
    "min_corr": [0.5, 0.7, 0.85],
    "top_n": [8, 16, 32],
    "bar_s": [30.0, 60.0, 300.0],
}

# Per-mint float table
F_PRICE = 0  # last spot price
F_VOL = 1  # decayed SOL volume (as of I_VOL_TS)
F_VSOL = 2  # last SOL reserve (a pull of >= 80% is a rug)
N_MF = 3
# Per-mint int table
I_FIRST = 0  # first event ts
I_LAST = 1  # last trade ts
I_VOL_TS = 2
I_SLOT = 3  # its slot, -1 none
I_POOL = 4  # pool of its last event (where orders go)
I_RUGGED = 5
N_MI = 6
# Per-slot int table
L_MINT = 0  # -1 free
L_BARS = 1  # bars recorded since the mint joined
L_HELD = 2  # 1: we asked to buy this leg
L_PARTNER = 3  # the slot it was bought against
L_ENTRY_TS = 4
N_LI = 5
# Scalars (int64): next bar boundary, queue length
C_NEXT_BAR = 0
C_QUEUE = 1
N_C = 2

S_MF, S_MI, S_SLOT, S_RING, S_QUEUE, S_CLOCK, S_SPREAD = range(7)


def _window(params) -> int:
    return max(int(round(float(params["lookback_s"]) / float(params["bar_s"]))), 2)


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Per-mint price/volume, ``top_n`` slots with a ring of lookback + 1 log prices, a queue."""
    n = max(int(ctx.n_mints), 1)
    k = max(int(params["top_n"]), 2)
    mf = np.zeros((n, N_MF))
    mi = np.zeros((n, N_MI), dtype=np.int64)
    mi[:, I_SLOT] = -1
    mi[:, I_POOL] = -1
    slots = np.zeros((k, N_LI), dtype=np.int64)
    slots[:, L_MINT] = -1
    slots[:, L_PARTNER] = -1
    ring = np.zeros((k, _window(params) + 2))
    queue = np.zeros((2 * k + 2, 2))  # (pool, size) requests waiting for an event
    clock = np.zeros(N_C, dtype=np.int64)
    spread = np.full((k, 2), np.nan)  # a held leg's spread mean and sd at entry
    return (mf, mi, slots, ring, queue, clock, spread)


@njit(cache=True)
def _vol_now(mf, mi, m, ts, half_life_ns) -> float:
    return mf[m, F_VOL] * math.exp(-(ts - mi[m, I_VOL_TS]) / half_life_ns * math.log(2.0))


@njit(cache=True)
def _push(queue, clock, pool, size) -> None:
    q = clock[C_QUEUE]
    if q < queue.shape[0] and pool >= 0:
        queue[q, 0] = pool
        queue[q, 1] = size
        clock[C_QUEUE] = q + 1


@njit(cache=True)
def pair_stats_nb(ring, a, b, n_bars, w, cur) -> tuple[float, float, float, float]:
    """(correlation of bar returns, z of the current log-price spread ``a - b``, the spread's
    mean and standard deviation) for slots ``a``, ``b``.

    ``cur`` is the ring index of the newest bar; the statistics use the ``w`` returns and ``w``
    spread points *before* it, and z scores the newest spread against them.
    """
    size = ring.shape[1]
    if n_bars < w + 2:
        return np.nan, np.nan, np.nan, np.nan
    sa = sb = saa = sbb = sab = 0.0
    ss = sss = 0.0
    for k in range(1, w + 1):
        i1 = (cur - k) % size
        i0 = (cur - k - 1) % size
        ra = ring[a, i1] - ring[a, i0]
        rb = ring[b, i1] - ring[b, i0]
        sa += ra
        sb += rb
        saa += ra * ra
        sbb += rb * rb
        sab += ra * rb
        s = ring[a, i1] - ring[b, i1]
        ss += s
        sss += s * s
    va = saa - sa * sa / w
    vb = sbb - sb * sb / w
    corr = (sab - sa * sb / w) / math.sqrt(va * vb) if va > 0.0 and vb > 0.0 else np.nan
    mean = ss / w
    var = sss / w - mean * mean
    s_now = ring[a, cur % size] - ring[b, cur % size]
    sd = math.sqrt(var) if var > 1e-18 else np.nan
    return corr, (s_now - mean) / sd, mean, sd


@njit(cache=True)
def _busy(slots, t) -> bool:
    """A slot whose leg is held, or whose mint is a held leg's partner: it stays."""
    if slots[t, L_HELD] != 0:
        return True
    for s in range(slots.shape[0]):
        if slots[s, L_HELD] != 0 and slots[s, L_PARTNER] == t:
            return True
    return False


@njit(cache=True)
def _busiest_outside(mf, mi, ts, quiet, half_life_ns, above) -> int:
    """The live, unrugged non-member of most decayed volume (> ``above``), or -1."""
    best = -1
    best_v = above
    for m in range(mi.shape[0]):
        if mi[m, I_SLOT] >= 0 or mi[m, I_RUGGED] != 0 or mi[m, I_LAST] == 0:
            continue
        if ts - mi[m, I_LAST] > quiet or not mf[m, F_PRICE] > 0.0:
            continue
        v = _vol_now(mf, mi, m, ts, half_life_ns)
        if v > best_v:
            best_v = v
            best = m
    return best


@njit(cache=True)
def _assign(mi, slots, t, m) -> None:
    old = slots[t, L_MINT]
    if old >= 0:
        mi[old, I_SLOT] = -1
    slots[t, L_MINT] = m
    slots[t, L_BARS] = 0
    slots[t, L_PARTNER] = -1
    if m >= 0:
        mi[m, I_SLOT] = t


@njit(cache=True)
def _refill_slots(mf, mi, slots, ts, params, half_life_ns) -> None:
    """Free dead slots; fill free ones with the live non-members of most volume; swap the
    weakest idle member for a non-member trading ``swap_ratio`` x its volume."""
    k = slots.shape[0]
    quiet = np.int64(params["quiet_s"] * 1e9)
    for t in range(k):
        m = slots[t, L_MINT]
        dead = m >= 0 and (ts - mi[m, I_LAST] > quiet or mi[m, I_RUGGED] != 0)
        if dead and not _busy(slots, t):
            _assign(mi, slots, t, -1)
    for t in range(k):
        if slots[t, L_MINT] < 0:
            best = _busiest_outside(mf, mi, ts, quiet, half_life_ns, 0.0)
            if best < 0:
                return
            _assign(mi, slots, t, best)
    weakest = np.inf
    target = -1
    for t in range(k):
        if slots[t, L_MINT] >= 0 and not _busy(slots, t):
            v = _vol_now(mf, mi, slots[t, L_MINT], ts, half_life_ns)
            if v < weakest:
                weakest = v
                target = t
    if target >= 0:
        best = _busiest_outside(mf, mi, ts, quiet, half_life_ns, weakest * params["swap_ratio"])
        if best >= 0:
            _assign(mi, slots, target, best)


@njit(cache=True)
def _close_bar(mf, mi, slots, ring, spread, queue, clock, ts_bar, params) -> None:
    """Record the bar for every slot, then queue exits and the best entry."""
    w = ring.shape[1] - 2
    size = ring.shape[1]
    k = slots.shape[0]
    bar = ts_bar // np.int64(params["bar_s"] * 1e9)
    cur = bar % size
    half_life = params["lookback_s"] * 1e9
    _refill_slots(mf, mi, slots, ts_bar, params, half_life)
    for s in range(k):
        m = slots[s, L_MINT]
        if m >= 0:
            ring[s, cur] = math.log(mf[m, F_PRICE])
            slots[s, L_BARS] += 1
    # exits: convergence or max hold
    max_hold = np.int64(params["max_hold_s"] * 1e9)
    for s in range(k):
        if slots[s, L_HELD] == 0:
            continue
        p = slots[s, L_PARTNER]
        m = slots[s, L_MINT]
        done = ts_bar - slots[s, L_ENTRY_TS] >= max_hold or mi[m, I_RUGGED] != 0
        if not done and p >= 0 and slots[p, L_MINT] >= 0:
            # the spread scored on the statistics frozen at entry (the window since then holds
            # the divergence itself)
            z = (ring[s, cur] - ring[p, cur] - spread[s, 0]) / spread[s, 1]
            done = not (z == z) or abs(z) <= params["exit_z"]
        elif p < 0 or slots[p, L_MINT] < 0:
            done = True  # the partner died: nothing left to converge to
        if done:
            _push(queue, clock, mi[m, I_POOL], -1.0)
            slots[s, L_HELD] = 0
            slots[s, L_PARTNER] = -1
    # entry: the most diverged correlated pair; buy its laggard
    best_z = 0.0
    best_leg = -1
    best_partner = -1
    best_mean = best_sd = np.nan
    for a in range(k):
        if slots[a, L_MINT] < 0 or slots[a, L_BARS] < w + 2:
            continue
        for b in range(a + 1, k):
            if slots[b, L_MINT] < 0 or slots[b, L_BARS] < w + 2:
                continue
            n_ab = min(slots[a, L_BARS], slots[b, L_BARS])
            corr, z, mean, sd = pair_stats_nb(ring, a, b, n_ab, w, cur)
            if not (corr >= params["min_corr"] and abs(z) >= params["entry_z"]):
                continue
            leg, other = (b, a) if z > 0.0 else (a, b)  # z > 0: a is rich, b has fallen behind
            if slots[leg, L_HELD] != 0 or mi[slots[leg, L_MINT], I_RUGGED] != 0:
                continue
            if abs(z) > best_z:
                best_z = abs(z)
                best_leg = leg
                best_partner = other
                # the spread leg - partner at entry: (a - b) or its negative
                best_mean = mean if leg == a else -mean
                best_sd = sd
    if best_leg >= 0:
        m = slots[best_leg, L_MINT]
        _push(queue, clock, mi[m, I_POOL], params["size"])
        slots[best_leg, L_HELD] = 1
        slots[best_leg, L_PARTNER] = best_partner
        slots[best_leg, L_ENTRY_TS] = ts_bar
        spread[best_leg, 0] = best_mean
        spread[best_leg, 1] = best_sd


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Close the bars this event crosses, update its mint, send one queued request."""
    mf = state[S_MF]
    mi = state[S_MI]
    slots = state[S_SLOT]
    ring = state[S_RING]
    queue = state[S_QUEUE]
    clock = state[S_CLOCK]
    ts = ev["ts"]
    bar_ns = np.int64(params["bar_s"] * 1e9)
    if clock[C_NEXT_BAR] == 0:
        clock[C_NEXT_BAR] = (ts // bar_ns + 1) * bar_ns
    if ts >= clock[C_NEXT_BAR]:
        n_bars = (ts - clock[C_NEXT_BAR]) // bar_ns + 1
        w = ring.shape[1]
        first = clock[C_NEXT_BAR] + max(n_bars - w, 0) * bar_ns  # older bars would be overwritten
        b = first
        while b <= ts:
            _close_bar(mf, mi, slots, ring, state[S_SPREAD], queue, clock, b, params)
            b += bar_ns
        clock[C_NEXT_BAR] = b
    m = ev["mint"]
    if 0 <= m < mi.shape[0]:
        if mi[m, I_FIRST] == 0:
            mi[m, I_FIRST] = ts
        vs = ev["vsol"]
        vt = ev["vtok"]
        px = vs / vt if vt == vt and vt > 0.0 else ev["price"]
        prev_vs = mf[m, F_VSOL]
        if ev["kind"] == KIND_LIQUIDITY and vs == vs and mi[m, I_POOL] == ev["pool"]:
            if vs <= 0.2 * prev_vs:  # liquidity pulled: >= 80% of the pool's SOL gone
                mi[m, I_RUGGED] = 1
        if vs == vs:
            mf[m, F_VSOL] = vs
        if px > 0.0:
            mf[m, F_PRICE] = px
        mi[m, I_POOL] = ev["pool"]
        if ev["side"] != 0:
            mi[m, I_LAST] = ts
            half_life = params["lookback_s"] * 1e9
            mf[m, F_VOL] = _vol_now(mf, mi, m, ts, half_life) + ev["sol"]
            mi[m, I_VOL_TS] = ts
    q = clock[C_QUEUE]
    if q > 0:
        pool = int(queue[0, 0])
        size = queue[0, 1]
        for i in range(1, q):
            queue[i - 1, 0] = queue[i, 0]
            queue[i - 1, 1] = queue[i, 1]
        clock[C_QUEUE] = q - 1
        if size > 0.0:
            request_entry_nb(knobs, pool, size)
        else:
            request_exit_nb(knobs, pool)
    return 0.0
