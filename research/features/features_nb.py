"""Compiled causal features: one pass over events, per-token state in arrays, resumable.

``features_nb`` advances the state by each event of a chunk and writes that event's feature row
(and, when asked, the token's last ``SEQ_LEN`` event vectors for the sequence model). Row i is
computed after event i updated the state, from state that only events <= i touched: causal by
construction. The state lives in the caller's arrays, so the builder, the backtest input stage
and the live runner all call this same kernel, a chunk (or one event) at a time.

The constants below are compiled into the kernel (numba's cache only notices changes to this
file), so they are defined here and re-exported by ``spec``.
"""

from __future__ import annotations

import math

import numpy as np
from memelab.research.wallets.scoring_nb import scorer_step_nb
from numba import njit

TAUS_S = (10.0, 60.0, 300.0)
LARGE_TRADE_SOL = 1.0
SEQ_LEN = 16
UNIQUE_BITS = 512
PRIOR_SCORE = 0.375
N_FEATURES = 37
N_SEQ = 9
# pump.fun curve (virtual token reserves at launch and when the curve completes)
VTOK_START = 1_073_000_000.0
VTOK_END = 1_073_000_000.0 - 793_100_000.0

# per-token float state columns
MF_LAST_LP, MF_FIRST_LP, MF_MAX_LP = 0, 1, 2
MF_LPS = 3  # 3 decayed sums of log price (one per tau)
MF_CNT = 6  # 3 decayed trade counts
MF_VAR = 9  # 3 decayed sums of squared log returns
MF_BN, MF_SN = 12, 13  # decayed buy / sell counts (60 s)
MF_BS = 14  # 3 decayed buy SOL
MF_SS = 17  # 3 decayed sell SOL
MF_NEW, MF_LARGE = 20, 21  # decayed new-wallet / large trades (60 s)
MF_SFLOW, MF_SSUM, MF_SBUYS, MF_SCORED = 22, 23, 24, 25  # scored buy flow (60 s)
MF_TOK_SUM, MF_TOK_SQ, MF_TOK_MAX, MF_CR_BUY, MF_CR_SELL = 26, 27, 28, 29, 30
MF_VSOL, MF_PROG = 31, 32
N_MF = 33
# per-token int state columns
MI_SEEN, MI_FIRST_TS, MI_DECAY_TS, MI_TRADE_TS, MI_TRADES = 0, 1, 2, 3, 4
MI_CR_SELLS, MI_NC_SELLS, MI_NC_SELL_TS, MI_BITS_SET, MI_RING = 5, 6, 7, 8, 9
N_MI = 10
BIT_WORDS = UNIQUE_BITS // 64


def new_feature_state(n_mints: int, n_wallets: int) -> tuple[np.ndarray, ...]:
    """Fresh per-token and per-wallet arrays: (mint_f, mint_i, bits, ring, seen)."""
    mint_f = np.zeros((n_mints, N_MF), dtype=np.float64)
    mint_i = np.zeros((n_mints, N_MI), dtype=np.int64)
    bits = np.zeros((n_mints, BIT_WORDS), dtype=np.uint64)
    ring = np.zeros((n_mints, SEQ_LEN, N_SEQ), dtype=np.float32)
    seen = np.zeros(n_wallets, dtype=np.uint8)
    return mint_f, mint_i, bits, ring, seen


@njit(cache=True, inline="always")
def _share(num, den):
    return num / den if den > 1e-12 else 0.0


@njit(cache=True, inline="always")
def _imb(a, b):
    s = a + b
    return (a - b) / s if s > 1e-12 else 0.0


@njit(cache=True)
def features_nb(
    events, first_gidx, sp, scorer, creator, mint_f, mint_i, bits, ring, seen, out_x, out_seq
):
    """Advance the state by every event; write row i of ``out_x`` (n, N_FEATURES) float32 and,
    when ``out_seq`` has n rows, the token's last SEQ_LEN event vectors (n, SEQ_LEN, N_SEQ)."""
    n = len(events)
    write_seq = out_seq.shape[0] == n
    n_wallets = seen.shape[0]
    for i in range(n):
        ev = events[i]
        m = ev.mint
        if m < 0:  # a clock tick (no token): nothing to learn, an all-zero row
            for k in range(N_FEATURES):
                out_x[i, k] = 0.0
            if write_seq:
                out_seq[i, :, :] = 0.0
            continue
        score, recency, size, n_out = scorer_step_nb(ev, first_gidx + i, sp, scorer)
        ts = ev.ts
        side = ev.side
        w = ev.trader
        vt = ev.vtok
        vs = ev.vsol
        px = vs / vt if (vt == vt and vt > 0.0 and vs == vs and vs > 0.0) else ev.price
        first = mint_i[m, MI_SEEN] == 0
        if first:
            mint_i[m, MI_SEEN] = 1
            mint_i[m, MI_FIRST_TS] = ts
            mint_i[m, MI_DECAY_TS] = ts
            mint_i[m, MI_TRADE_TS] = ts
            mint_i[m, MI_NC_SELL_TS] = -1
            lp0 = math.log(px) if px == px and px > 0.0 else 0.0
            mint_f[m, MF_LAST_LP] = lp0
            mint_f[m, MF_FIRST_LP] = lp0
            mint_f[m, MF_MAX_LP] = lp0
        # 1. decay every windowed accumulator to now
        dt = (ts - mint_i[m, MI_DECAY_TS]) * 1e-9
        if dt > 0.0:
            for h in range(3):
                d = math.exp(-dt / TAUS_S[h])
                mint_f[m, MF_LPS + h] *= d
                mint_f[m, MF_CNT + h] *= d
                mint_f[m, MF_VAR + h] *= d
                mint_f[m, MF_BS + h] *= d
                mint_f[m, MF_SS + h] *= d
            d1 = math.exp(-dt / TAUS_S[1])
            for c in (MF_BN, MF_SN, MF_NEW, MF_LARGE, MF_SFLOW, MF_SSUM, MF_SBUYS, MF_SCORED):
                mint_f[m, c] *= d1
            mint_i[m, MI_DECAY_TS] = ts
        if vs == vs and vs > 0.0:
            mint_f[m, MF_VSOL] = vs
        if ev.venue != 0:
            mint_f[m, MF_PROG] = 1.0
        elif vt == vt and vt > 0.0:
            pr = (VTOK_START - vt) / (VTOK_START - VTOK_END)
            mint_f[m, MF_PROG] = min(max(pr, 0.0), 1.0)
        # 2. add this event
        is_new = False
        is_creator = w >= 0 and w == creator[m]
        r = 0.0
        gap = (ts - mint_i[m, MI_TRADE_TS]) * 1e-9
        sol = ev.sol if ev.sol == ev.sol and ev.sol > 0.0 else 0.0
        tok = ev.tokens if ev.tokens == ev.tokens and ev.tokens > 0.0 else 0.0
        if side != 0:
            lp = math.log(px) if px == px and px > 0.0 else mint_f[m, MF_LAST_LP]
            r = 0.0 if first else lp - mint_f[m, MF_LAST_LP]
            mint_f[m, MF_LAST_LP] = lp
            if lp > mint_f[m, MF_MAX_LP]:
                mint_f[m, MF_MAX_LP] = lp
            for h in range(3):
                mint_f[m, MF_LPS + h] += lp
                mint_f[m, MF_CNT + h] += 1.0
                mint_f[m, MF_VAR + h] += r * r
                if side > 0:
                    mint_f[m, MF_BS + h] += sol
                else:
                    mint_f[m, MF_SS + h] += sol
            if side > 0:
                mint_f[m, MF_BN] += 1.0
                mint_f[m, MF_TOK_SUM] += tok
                mint_f[m, MF_TOK_SQ] += tok * tok
                if tok > mint_f[m, MF_TOK_MAX]:
                    mint_f[m, MF_TOK_MAX] = tok
                if is_creator:
                    mint_f[m, MF_CR_BUY] += tok
                if score == score:
                    mint_f[m, MF_SFLOW] += score * recency * size * sol
                    mint_f[m, MF_SSUM] += score
                    mint_f[m, MF_SBUYS] += 1.0
                    if n_out > 0:
                        mint_f[m, MF_SCORED] += 1.0
            else:
                mint_f[m, MF_SN] += 1.0
                if is_creator:
                    mint_i[m, MI_CR_SELLS] += 1
                    mint_f[m, MF_CR_SELL] += tok
                else:
                    mint_i[m, MI_NC_SELLS] += 1
                    mint_i[m, MI_NC_SELL_TS] = ts
            if sol >= LARGE_TRADE_SOL:
                mint_f[m, MF_LARGE] += 1.0
            if w >= 0 and w < n_wallets:
                if seen[w] == 0:
                    is_new = True
                    seen[w] = 1
                    mint_f[m, MF_NEW] += 1.0
                x = np.uint64(w) * np.uint64(11400714819323198485)
                b = np.int64(x >> np.uint64(55))  # 9 bits: 0..511
                word = b >> 6
                mask = np.uint64(1) << np.uint64(b & 63)
                if bits[m, word] & mask == np.uint64(0):
                    bits[m, word] |= mask
                    mint_i[m, MI_BITS_SET] += 1
            mint_i[m, MI_TRADES] += 1
            mint_i[m, MI_TRADE_TS] = ts
            # the token's event ring for the sequence model
            slot = mint_i[m, MI_RING] % SEQ_LEN
            mint_i[m, MI_RING] += 1
            ring[m, slot, 0] = 1.0
            ring[m, slot, 1] = r
            ring[m, slot, 2] = math.log1p(max(gap, 0.0))
            ring[m, slot, 3] = 1.0 if side > 0 else -1.0
            ring[m, slot, 4] = math.log1p(sol)
            ring[m, slot, 5] = 1.0 if is_new else 0.0
            ring[m, slot, 6] = score - PRIOR_SCORE if (side > 0 and score == score) else 0.0
            ring[m, slot, 7] = 1.0 if is_creator else 0.0
            ring[m, slot, 8] = mint_f[m, MF_PROG]
        # 3. the row
        lp = mint_f[m, MF_LAST_LP]
        trades = mint_i[m, MI_TRADES]
        for h in range(3):
            cnt = mint_f[m, MF_CNT + h]
            out_x[i, h] = lp - mint_f[m, MF_LPS + h] / cnt if cnt > 1e-12 else 0.0
            out_x[i, 5 + h] = math.sqrt(mint_f[m, MF_VAR + h])
            out_x[i, 9 + h] = cnt / TAUS_S[h]
            out_x[i, 13 + h] = _imb(mint_f[m, MF_BS + h], mint_f[m, MF_SS + h])
        out_x[i, 3] = lp - mint_f[m, MF_FIRST_LP]
        out_x[i, 4] = lp - mint_f[m, MF_MAX_LP]
        out_x[i, 8] = math.log1p(trades)
        out_x[i, 12] = _imb(mint_f[m, MF_BN], mint_f[m, MF_SN])
        out_x[i, 16] = math.log1p(mint_f[m, MF_BS + 1])
        out_x[i, 17] = math.log1p(mint_f[m, MF_SS + 1])
        zeros = UNIQUE_BITS - mint_i[m, MI_BITS_SET]
        uniq = -UNIQUE_BITS * math.log(max(zeros, 0.5) / UNIQUE_BITS)
        out_x[i, 18] = math.log1p(uniq)
        out_x[i, 19] = min(uniq / trades, 1.0) if trades > 0 else 0.0
        cnt60 = mint_f[m, MF_CNT + 1]
        out_x[i, 20] = _share(mint_f[m, MF_NEW], cnt60)
        out_x[i, 21] = _share(mint_f[m, MF_LARGE], cnt60)
        out_x[i, 22] = side * math.log1p(sol) if side != 0 else 0.0
        out_x[i, 23] = math.log1p(max(gap, 0.0)) if side != 0 else 0.0
        out_x[i, 24] = math.log1p(mint_f[m, MF_SFLOW])
        sb = mint_f[m, MF_SBUYS]
        out_x[i, 25] = mint_f[m, MF_SSUM] / sb - PRIOR_SCORE if sb > 1e-12 else 0.0
        out_x[i, 26] = _share(mint_f[m, MF_SCORED], sb)
        out_x[i, 27] = mint_f[m, MF_PROG]
        vsol = mint_f[m, MF_VSOL]
        out_x[i, 28] = math.log(vsol) if vsol > 0.0 else 0.0
        out_x[i, 29] = 1.0 if ev.venue != 0 else 0.0
        out_x[i, 30] = math.log1p((ts - mint_i[m, MI_FIRST_TS]) * 1e-9)
        out_x[i, 31] = math.log1p(mint_i[m, MI_CR_SELLS])
        crb = mint_f[m, MF_CR_BUY]
        crs = mint_f[m, MF_CR_SELL]
        out_x[i, 32] = min(crs / crb, 1.0) if crb > 0.0 else (1.0 if crs > 0.0 else 0.0)
        tsum = mint_f[m, MF_TOK_SUM]
        out_x[i, 33] = mint_f[m, MF_TOK_SQ] / (tsum * tsum) if tsum > 0.0 else 0.0
        out_x[i, 34] = mint_f[m, MF_TOK_MAX] / tsum if tsum > 0.0 else 0.0
        out_x[i, 35] = math.log1p(mint_i[m, MI_NC_SELLS])
        last_nc = mint_i[m, MI_NC_SELL_TS]
        out_x[i, 36] = math.exp(-(ts - last_nc) * 1e-9 / 60.0) if last_nc >= 0 else 0.0
        if write_seq:
            cnt_ring = mint_i[m, MI_RING]
            newest = (cnt_ring - 1) % SEQ_LEN
            for j in range(SEQ_LEN):
                age = SEQ_LEN - 1 - j
                if age < cnt_ring:
                    src = (newest - age) % SEQ_LEN
                    for c in range(N_SEQ):
                        out_seq[i, j, c] = ring[m, src, c]
                else:
                    for c in range(N_SEQ):
                        out_seq[i, j, c] = 0.0
    return n
