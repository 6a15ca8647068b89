# ruff: noqa: NPY002  (numba supports only the legacy np.random API, reseeded per token)
"""Compiled extra pools and arbitrage: a graduated mint's further AMM pools, re-executed.

Runs after the market kernel on its events (tokens in order, each in time order). For a graduated
mint that draws an extra pool (``p_extra_pool``), a Raydium-CPMM or Meteora style constant-product
pool is seeded by the creator some time after graduation at the PumpSwap spot; from then on every
post-graduation trade is re-executed on the pool it is routed to (buys keep their SOL, sells their
tokens; retail routes by depth share, not best price, so a trade moves one pool and a gap opens);
an arbitrageur closes a gap wider than the two fees plus a margin after a log-normal lag.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.synth.base58_nb import splitmix64_nb
from numba import njit

POOL_KNOBS: tuple[str, ...] = (
    "p_extra_pool",
    "extra_pool_delay_median_s",
    "extra_pool_delay_sigma",
    "extra_pool_sol_median",
    "extra_pool_sol_sigma",
    "meteora_share",
    "raydium_fee",
    "meteora_fee",
    "amm_fee",
    "arb_margin",
    "arb_lag_median_s",
    "arb_lag_sigma",
    "arb_close",
)
_Q = {name: i for i, name in enumerate(POOL_KNOBS)}
_P_EXTRA = _Q["p_extra_pool"]
_P_DELAY_MED = _Q["extra_pool_delay_median_s"]
_P_DELAY_SIG = _Q["extra_pool_delay_sigma"]
_P_SOL_MED = _Q["extra_pool_sol_median"]
_P_SOL_SIG = _Q["extra_pool_sol_sigma"]
_P_MET = _Q["meteora_share"]
_P_RAY_FEE = _Q["raydium_fee"]
_P_MET_FEE = _Q["meteora_fee"]
_P_AMM_FEE = _Q["amm_fee"]
_P_MARGIN = _Q["arb_margin"]
_P_LAG_MED = _Q["arb_lag_median_s"]
_P_LAG_SIG = _Q["arb_lag_sigma"]
_P_CLOSE = _Q["arb_close"]

VENUE_PUMPSWAP = 1  # schemas.VENUE_ID
VENUE_RAYDIUM = 2
VENUE_METEORA = 3
SLOT_CURVE = 0  # pool slot of a row within its mint: the curve, PumpSwap, the extra pool
SLOT_PUMPSWAP = 1
SLOT_EXTRA = 2
ARB_SEQ0 = 1 << 29  # seq of inserted rows (signatures stay distinct from the market's)
_STREAM = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def _arb_size_nb(vs_c, vt_c, f_c, vs_e, vt_e, f_e, target):
    """SOL (after fee) to buy on the cheap pool so that, with the tokens sold on the expensive
    one, log(spot_e / spot_c) falls to (just below) ``target`` (bisection; the gap falls monotonically)."""
    lo = 0.0
    hi = vs_e  # never more than the expensive pool's SOL
    for _ in range(60):
        x = 0.5 * (lo + hi)
        tok = vt_c - vs_c * vt_c / (vs_c + x)
        vs_c1 = vs_c + x
        vt_c1 = vt_c - tok
        vt_e1 = vt_e + tok
        vs_e1 = vs_e * vt_e / vt_e1
        gap = np.log((vs_e1 / vt_e1) / (vs_c1 / vt_c1))
        if gap > target:
            lo = x
        else:
            hi = x
    return hi  # the side where the gap is within the target


@njit(cache=True)
def extra_pools_nb(
    ev_ts, ev_mint, ev_trader, ev_side, ev_venue, ev_sol, ev_tokens, ev_price, ev_vsol,
    ev_vtok, ev_fee, ev_seq, n_in, seed, q, creator, arb_ids, horizon_ns,
    o_ts, o_mint, o_trader, o_side, o_venue, o_sol, o_tokens, o_price, o_vsol, o_vtok, o_fee,
    o_seq, o_slot, pool_venue, pool_ts, pool_fee,
):  # fmt: skip
    """Copy events into the ``o_*`` buffers, adding extra pools and arbitrage; returns rows out.

    ``pool_venue/pool_ts/pool_fee`` (per mint, filled for the mints seen) record the extra pool
    (venue -1: none).
    """
    n = 0
    i = 0
    while i < n_in:
        tok = ev_mint[i]
        j = i
        while j < n_in and ev_mint[j] == tok:
            j += 1
        h = splitmix64_nb(np.uint64(seed) * np.uint64(1000003) + np.uint64(tok) + _STREAM)
        np.random.seed(np.int64(h & np.uint64(0xFFFFFFFF)))
        g = -1
        for k in range(i, j):
            if ev_venue[k] == VENUE_PUMPSWAP and ev_side[k] == 0:
                g = k
                break
        extra = g >= 0 and np.random.random() < q[_P_EXTRA] and arb_ids.shape[0] > 0
        pool_venue[tok] = -1
        if extra:
            met = np.random.random() < q[_P_MET]
            vb = VENUE_METEORA if met else VENUE_RAYDIUM
            fb = q[_P_MET_FEE] if met else q[_P_RAY_FEE]
            t_open = ev_ts[g] + np.int64(
                1e9 * q[_P_DELAY_MED] * np.exp(q[_P_DELAY_SIG] * np.random.normal())
            )
            seed_sol = q[_P_SOL_MED] * np.exp(q[_P_SOL_SIG] * np.random.normal())
            extra = t_open < horizon_ns
        fa = q[_P_AMM_FEE]
        seq_x = ARB_SEQ0
        vs_a = 0.0
        vt_a = 0.0
        vs_b = 0.0
        vt_b = 0.0
        b_open = False
        arb_t = np.int64(-1)
        k = i
        while k < j or (b_open and arb_t >= 0):
            # the next thing to happen: the extra pool's opening, a pending arbitrage, an event
            t_ev = ev_ts[k] if k < j else np.int64(horizon_ns)
            if extra and not b_open and k > g and t_open <= t_ev:
                b_open = True
                vs_b = seed_sol
                vt_b = seed_sol * vt_a / vs_a
                pool_venue[tok] = vb
                pool_ts[tok] = t_open
                pool_fee[tok] = fb
                o_ts[n] = t_open
                o_mint[n] = tok
                o_trader[n] = creator[tok]
                o_side[n] = 0
                o_venue[n] = vb
                o_sol[n] = vs_b
                o_tokens[n] = vt_b
                o_price[n] = vs_b / vt_b
                o_vsol[n] = vs_b
                o_vtok[n] = vt_b
                o_fee[n] = 0.0
                o_seq[n] = seq_x
                o_slot[n] = SLOT_EXTRA
                n += 1
                seq_x += 1
            elif b_open and arb_t >= 0 and (arb_t < t_ev or k >= j):
                t = arb_t
                arb_t = -1
                if t >= horizon_ns:
                    break
                gap = np.log((vs_a / vt_a) / (vs_b / vt_b))
                thr = fa + fb + q[_P_MARGIN]
                if abs(gap) > thr and vs_a > 1e-6 and vs_b > 1e-6:
                    # trade until the gap is the two fees (no profit beyond), or close a share of it
                    target = max(fa + fb - 1e-9, (1.0 - q[_P_CLOSE]) * abs(gap))
                    w = arb_ids[np.random.randint(arb_ids.shape[0])]
                    if gap > 0:  # A dear: buy on B, sell on A
                        x = _arb_size_nb(vs_b, vt_b, fb, vs_a, vt_a, fa, target)
                    else:
                        x = _arb_size_nb(vs_a, vt_a, fa, vs_b, vt_b, fb, target)
                    for leg in range(2):
                        buy_b = gap > 0
                        on_b = buy_b if leg == 0 else not buy_b
                        if on_b:
                            vs, vt, f, ven, slot = vs_b, vt_b, fb, vb, SLOT_EXTRA
                        else:
                            vs, vt, f, ven, slot = vs_a, vt_a, fa, VENUE_PUMPSWAP, SLOT_PUMPSWAP
                        if leg == 0:
                            tokens = vt * x / (vs + x)
                            sol = x
                            vt = vt * vs / (vs + x)
                            vs = vs + x
                            side = 1
                        else:
                            sol = vs * tokens / (vt + tokens)
                            vs = vs * vt / (vt + tokens)
                            vt = vt + tokens
                            side = -1
                        if on_b:
                            vs_b, vt_b = vs, vt
                        else:
                            vs_a, vt_a = vs, vt
                        o_ts[n] = t
                        o_mint[n] = tok
                        o_trader[n] = w
                        o_side[n] = side
                        o_venue[n] = ven
                        o_sol[n] = sol
                        o_tokens[n] = tokens
                        o_price[n] = sol / tokens if tokens > 0.0 else vs / vt
                        o_vsol[n] = vs
                        o_vtok[n] = vt
                        o_fee[n] = sol * f
                        o_seq[n] = seq_x
                        o_slot[n] = slot
                        n += 1
                        seq_x += 1
            else:
                # a market event, copied (before graduation or without an extra pool) or
                # re-executed on the pool it is routed to
                o_ts[n] = ev_ts[k]
                o_mint[n] = tok
                o_trader[n] = ev_trader[k]
                o_side[n] = ev_side[k]
                o_venue[n] = ev_venue[k]
                o_sol[n] = ev_sol[k]
                o_tokens[n] = ev_tokens[k]
                o_price[n] = ev_price[k]
                o_vsol[n] = ev_vsol[k]
                o_vtok[n] = ev_vtok[k]
                o_fee[n] = ev_fee[k]
                o_seq[n] = ev_seq[k]
                o_slot[n] = SLOT_CURVE if ev_venue[k] == 0 else SLOT_PUMPSWAP
                if k == g:
                    vs_a = ev_vsol[k]
                    vt_a = ev_vtok[k]
                elif b_open:
                    if ev_side[k] == 0:  # liquidity pulled: the creator pulls both pools
                        rs = vs_a * 0.999
                        rt = vt_a * 0.999
                        vs_a -= rs
                        vt_a -= rt
                        o_sol[n] = rs
                        o_tokens[n] = rt
                        o_price[n] = vs_a / vt_a
                        o_vsol[n] = vs_a
                        o_vtok[n] = vt_a
                        n += 1
                        rs = vs_b * 0.999
                        rt = vt_b * 0.999
                        vs_b -= rs
                        vt_b -= rt
                        o_ts[n] = ev_ts[k]
                        o_mint[n] = tok
                        o_trader[n] = ev_trader[k]
                        o_side[n] = 0
                        o_venue[n] = vb
                        o_sol[n] = rs
                        o_tokens[n] = rt
                        o_price[n] = vs_b / vt_b
                        o_vsol[n] = vs_b
                        o_vtok[n] = vt_b
                        o_fee[n] = 0.0
                        o_seq[n] = seq_x
                        o_slot[n] = SLOT_EXTRA
                        seq_x += 1
                    else:
                        # retail routes by depth share (not best price): gaps open
                        on_b = np.random.random() < vs_b / (vs_a + vs_b)
                        if on_b:
                            vs, vt, f = vs_b, vt_b, fb
                            o_venue[n] = vb
                            o_slot[n] = SLOT_EXTRA
                        else:
                            vs, vt, f = vs_a, vt_a, fa
                        if ev_side[k] == 1:
                            sol = ev_sol[k]
                            tokens = vt * sol / (vs + sol)
                            vt = vt * vs / (vs + sol)
                            vs = vs + sol
                        else:
                            tokens = ev_tokens[k]
                            sol = vs * tokens / (vt + tokens)
                            vs = vs * vt / (vt + tokens)
                            vt = vt + tokens
                        if on_b:
                            vs_b, vt_b = vs, vt
                        else:
                            vs_a, vt_a = vs, vt
                        o_sol[n] = sol
                        o_tokens[n] = tokens
                        o_price[n] = sol / tokens if tokens > 0.0 else vs / vt
                        o_vsol[n] = vs
                        o_vtok[n] = vt
                        o_fee[n] = sol * f
                elif k > g >= 0:
                    vs_a = ev_vsol[k]
                    vt_a = ev_vtok[k]
                n += 1
                k += 1
            if b_open and arb_t < 0 and vs_a > 1e-6 and vs_b > 1e-6:
                gap = abs(np.log((vs_a / vt_a) / (vs_b / vt_b)))
                if gap > fa + fb + q[_P_MARGIN]:
                    t_now = o_ts[n - 1]
                    lag = q[_P_LAG_MED] * np.exp(q[_P_LAG_SIG] * np.random.normal())
                    arb_t = t_now + np.int64(1e9 * lag)
        i = j
    return n
