# ruff: noqa: NPY002  (numba supports only the legacy np.random API, reseeded per token)
"""Compiled core of the synthetic market: one token's life, event by event.

Each token is simulated on its own (reseeded from (seed, token)), so a token's events do not
depend on how tokens are batched: the generator can stream day by day and stay deterministic.

Time runs in seconds of token age. Retail buys arrive as a point process whose intensity ramps up
and decays with age (simulated by thinning against a bound that only decays between events);
each retail position draws its sell time when it is bought (a binary heap per token); snipers,
alpha wallets, sybil clusters, creators and rugs act at scheduled times.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.synth.base58_nb import splitmix64_nb
from numba import njit

# Constants the kernels compile in live in this file on purpose: numba's on-disk cache is keyed on
# the kernel's own source file, so a change made elsewhere would be ignored by a stale cache.
# pump.fun bonding curve constants (SOL, whole tokens).
CURVE_VSOL0 = 30.0
CURVE_VTOK0 = 1_073_000_000.0
CURVE_REAL_TOK0 = 793_100_000.0
CURVE_K = CURVE_VSOL0 * CURVE_VTOK0  # 3.219e10 SOL*tokens
CURVE_VTOK_END = CURVE_VTOK0 - CURVE_REAL_TOK0  # virtual tokens left when the curve completes
TOKEN_SUPPLY = 1_000_000_000.0

# Index of each float knob in the parameter vector handed to the numba kernel.
KERNEL_KNOBS: tuple[str, ...] = (
    "curve_fee",
    "amm_fee",
    "max_life_s",
    "buy_rate0",
    "quality_gain",
    "tau0_s",
    "tau_quality_gain",
    "interest_sigma",
    "tau_sigma",
    "fomo_trigger",
    "fomo_share",
    "ramp_s",
    "p_revival",
    "revival_mean_s",
    "revival_gain",
    "revival_tau_s",
    "bag_lost_p",
    "bag_lost_sigma",
    "bundle_wallets",
    "bundle_sol",
    "bundle_spread_s",
    "bundle_hold_mean_s",
    "bundle_keep",
    "bag_hold_mult",
    "buy_size_median",
    "buy_size_sigma",
    "buy_size_max",
    "hold_mean_s",
    "momentum_gain",
    "momentum_cap",
    "amm_tau_s",
    "amm_buy_scale",
    "p_dev_buy",
    "dev_buy_median",
    "dev_buy_sigma",
    "creator_dump_mean_s",
    "rug_bundle_wallets",
    "snipers_per_token",
    "sniper_delay_max_s",
    "sniper_size_median",
    "sniper_hold_mean_s",
    "alpha_quality_min",
    "alpha_per_token",
    "alpha_noise_per_token",
    "alpha_delay_min_s",
    "alpha_delay_max_s",
    "alpha_size_median",
    "alpha_hold_mean_s",
    "clusters_per_token",
    "sybil_member_p",
    "sybil_spread_s",
    "sybil_start_mean_s",
    "creator_dump_median_s",
    "creator_dump_sigma",
    "profit_take_rate",
    "profit_ref_s",
    "sniper_take_profit",
    "attention_crowd",
    "null_flow",
    "post_dump_attention",
    "dump_panic_p",
    "dump_panic_s",
    "null_seed_sol",
    "flip_p",
    "flip_hold_s",
    "dip_bots_per_dump",
    "dip_bot_delay_s",
    "dip_bot_size_median",
    "dip_bot_hold_s",
)
K = {name: i for i, name in enumerate(KERNEL_KNOBS)}

VENUE_CURVE = 0  # schemas.VENUE_ID["pumpfun"]
VENUE_AMM = 1  # schemas.VENUE_ID["pumpswap"]

# scheduled actions; the schedule's amount is SOL for a buy and the share kept unsold for a
# sell-all (0: sell everything)
ACT_BUY = 1
ACT_SELL_ALL = 2
ACT_CREATOR_DUMP = 3
ACT_RUG = 4
ACT_BOT_SELL = 5  # sell-all at the scheduled time or as soon as spot >= amount (a target)

# holder kinds inside a token (what selling behaviour they follow)
H_RETAIL = 0  # sells at a drawn time (heap), possibly as a slow bag or never
H_SCHEDULED = 1  # sells at a scheduled time only (snipers, alpha, insiders)

FATE_DIED = 0
FATE_GRADUATED = 1
FATE_RUG = 2
FATE_HONEYPOT = 3

MAX_SCHEDULE = 256
MAX_HOLDERS = 50_000
MOONBAG_T = 1e300  # sell time of a parked moonbag (never, unless the token graduates)

# knob indices, resolved at import (numba sees them as constants)
_P_CURVE_FEE = K["curve_fee"]
_P_AMM_FEE = K["amm_fee"]
_P_MAX_LIFE = K["max_life_s"]
_P_BUY_RATE0 = K["buy_rate0"]
_P_Q_GAIN = K["quality_gain"]
_P_TAU0 = K["tau0_s"]
_P_INTEREST_SIG = K["interest_sigma"]
_P_TAU_SIG = K["tau_sigma"]
_P_BAG_MULT = K["bag_hold_mult"]
_P_LOST = K["bag_lost_p"]
_P_FOMO_TRIGGER = K["fomo_trigger"]
_P_FOMO_SHARE = K["fomo_share"]
_P_RAMP = K["ramp_s"]
_P_REV_P = K["p_revival"]
_P_REV_MEAN = K["revival_mean_s"]
_P_REV_GAIN = K["revival_gain"]
_P_REV_TAU = K["revival_tau_s"]
_P_LOST_SIG = K["bag_lost_sigma"]
_P_BUNDLE_N = K["bundle_wallets"]
_P_BUNDLE_SOL = K["bundle_sol"]
_P_BUNDLE_SPREAD = K["bundle_spread_s"]
_P_BUNDLE_HOLD = K["bundle_hold_mean_s"]
_P_BUNDLE_KEEP = K["bundle_keep"]
_P_TAU_Q = K["tau_quality_gain"]
_P_SIZE_MED = K["buy_size_median"]
_P_SIZE_SIG = K["buy_size_sigma"]
_P_SIZE_MAX = K["buy_size_max"]
_P_HOLD = K["hold_mean_s"]
_P_MOM = K["momentum_gain"]
_P_MOM_CAP = K["momentum_cap"]
_P_AMM_TAU = K["amm_tau_s"]
_P_AMM_SCALE = K["amm_buy_scale"]
_P_DEV_P = K["p_dev_buy"]
_P_DEV_MED = K["dev_buy_median"]
_P_DEV_SIG = K["dev_buy_sigma"]
_P_DUMP = K["creator_dump_mean_s"]
_P_BUNDLE = K["rug_bundle_wallets"]
_P_SNIPERS = K["snipers_per_token"]
_P_SNIPE_DELAY = K["sniper_delay_max_s"]
_P_SNIPE_SIZE = K["sniper_size_median"]
_P_SNIPE_HOLD = K["sniper_hold_mean_s"]
_P_ALPHA_QMIN = K["alpha_quality_min"]
_P_ALPHA_N = K["alpha_per_token"]
_P_ALPHA_NOISE = K["alpha_noise_per_token"]
_P_ALPHA_DMIN = K["alpha_delay_min_s"]
_P_ALPHA_DMAX = K["alpha_delay_max_s"]
_P_ALPHA_SIZE = K["alpha_size_median"]
_P_ALPHA_HOLD = K["alpha_hold_mean_s"]
_P_CLUSTERS = K["clusters_per_token"]
_P_SYB_P = K["sybil_member_p"]
_P_SYB_SPREAD = K["sybil_spread_s"]
_P_SYB_START = K["sybil_start_mean_s"]
_P_DUMP_MED = K["creator_dump_median_s"]
_P_DUMP_SIG = K["creator_dump_sigma"]
_P_PT_RATE = K["profit_take_rate"]
_P_PT_REF = K["profit_ref_s"]
_P_SNIPE_TP = K["sniper_take_profit"]
_P_CROWD = K["attention_crowd"]
_P_NULL = K["null_flow"]
_P_POST_DUMP = K["post_dump_attention"]
_P_PANIC_P = K["dump_panic_p"]
_P_PANIC_S = K["dump_panic_s"]
_P_NULL_SEED = K["null_seed_sol"]
_P_FLIP_P = K["flip_p"]
_P_FLIP_HOLD = K["flip_hold_s"]
_P_DIP_N = K["dip_bots_per_dump"]
_P_DIP_DELAY = K["dip_bot_delay_s"]
_P_DIP_SIZE = K["dip_bot_size_median"]
_P_DIP_HOLD = K["dip_bot_hold_s"]
NULL_SEED_BUYERS = 20
NULL_PICKS = 8  # null flow: random holders tried for a sell before taking the largest seen
BOT_LATENCY_S = 0.4  # a take-profit bot sells one slot after its target is crossed


@njit(cache=True)
def curve_buy_nb(vs: float, vt: float, sol_in: float) -> float:
    """Tokens out of a constant-product buy of ``sol_in`` (after fee) on reserves (vs, vt)."""
    return vt - (vs * vt) / (vs + sol_in)


@njit(cache=True)
def curve_sell_nb(vs: float, vt: float, tokens_in: float) -> float:
    """Gross SOL out of a constant-product sell of ``tokens_in`` on reserves (vs, vt)."""
    return vs - (vs * vt) / (vt + tokens_in)


@njit(cache=True)
def attention_nb(age, b0, tau, rev_t, rev_b, rev_tau, ramp_s):
    """Retail buy rate on the curve at ``age``: the launch wave plus a later second wave.

    Each wave builds up as ``1 - exp(-x / ramp_s)`` (``ramp_s = 0``: no build-up, the bound
    used for thinning) and decays exponentially.
    """
    up = 1.0 - np.exp(-age / ramp_s) if ramp_s > 0.0 else 1.0
    rate = b0 * np.exp(-age / tau) * up
    if age >= rev_t:
        x = age - rev_t
        up = 1.0 - np.exp(-x / ramp_s) if ramp_s > 0.0 else 1.0
        rate += rev_b * np.exp(-x / rev_tau) * up
    return rate


@njit(cache=True)
def heap_push_nb(ht, hw, htok, n, t, w, tokens):
    """Push a (sell time, wallet, tokens) position onto a binary min-heap of size n."""
    i = n
    ht[i] = t
    hw[i] = w
    htok[i] = tokens
    while i > 0:
        parent = (i - 1) // 2
        if ht[parent] <= ht[i]:
            break
        ht[parent], ht[i] = ht[i], ht[parent]
        hw[parent], hw[i] = hw[i], hw[parent]
        htok[parent], htok[i] = htok[i], htok[parent]
        i = parent
    return n + 1


@njit(cache=True)
def heap_pop_nb(ht, hw, htok, n):
    """Remove the root (earliest sell) of the heap; returns the new size."""
    n -= 1
    ht[0] = ht[n]
    hw[0] = hw[n]
    htok[0] = htok[n]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        c = left
        if left + 1 < n and ht[left + 1] < ht[left]:
            c = left + 1
        if ht[i] <= ht[c]:
            break
        ht[c], ht[i] = ht[i], ht[c]
        hw[c], hw[i] = hw[i], hw[c]
        htok[c], htok[i] = htok[i], htok[c]
        i = c
    return n


@njit(cache=True)
def release_moonbags_nb(ht, hw, htok, n, t, hold_mean, hold_mult):
    """Give every parked moonbag a sell time after ``t`` (~Exp(hold)); rebuilds the heap."""
    for i in range(n):
        if ht[i] >= MOONBAG_T:
            ht[i] = t + np.random.exponential(hold_mean * hold_mult[hw[i]])
    m = 0
    for i in range(n):  # re-insert in place: entries 0..m-1 always form a heap
        m = heap_push_nb(ht, hw, htok, m, ht[i], hw[i], htok[i])
    return m


@njit(cache=True)
def panic_nb(ht, hw, htok, n, t, share, mean_s):
    """Pull a share of open positions' sell times to ~Exp(mean_s) after ``t``; rebuild the heap."""
    for i in range(n):
        if ht[i] < MOONBAG_T and htok[i] > 0.0 and np.random.random() < share:
            ht[i] = min(ht[i], t + np.random.exponential(mean_s))
    m = 0
    for i in range(n):
        m = heap_push_nb(ht, hw, htok, m, ht[i], hw[i], htok[i])
    return m


@njit(cache=True)
def _pick_holder_nb(ht, htok, n, need):
    """A random open position (not a parked moonbag) holding >= ``need`` tokens.

    Tries ``NULL_PICKS`` uniform draws; when none holds enough, the largest seen; -1 when the
    draws found no open position at all. Identity plays no part: only what is held.
    """
    best = -1
    for _ in range(NULL_PICKS if n > 0 else 0):
        j = np.random.randint(n)
        if htok[j] <= 0.0 or ht[j] == MOONBAG_T:
            continue
        if htok[j] >= need:
            return j
        if best < 0 or htok[j] > htok[best]:
            best = j
    if need > 0.0 and (best < 0 or htok[best] < need):  # none drawn holds enough: the largest
        for j in range(n):
            if htok[j] > 0.0 and ht[j] != MOONBAG_T and (best < 0 or htok[j] > htok[best]):
                best = j
    return best


@njit(cache=True)
def _schedule(sch_t, sch_w, sch_act, sch_amt, n, t, w, act, amt):
    if n >= MAX_SCHEDULE:
        return n
    sch_t[n] = t
    sch_w[n] = w
    sch_act[n] = act
    sch_amt[n] = amt
    return n + 1


@njit(cache=True)
def simulate_tokens_nb(
    tok_lo: int,
    tok_hi: int,
    t0_ns: np.ndarray,
    creator: np.ndarray,
    quality: np.ndarray,
    honeypot: np.ndarray,
    bundled: np.ndarray,
    rug_age_s: np.ndarray,
    horizon_ns: np.int64,
    seed: np.int64,
    p: np.ndarray,
    retail_cdf: np.ndarray,
    retail_ids: np.ndarray,
    fomo_cdf: np.ndarray,
    fomo_ids: np.ndarray,
    bag_p: np.ndarray,
    full_p: np.ndarray,
    hold_mult: np.ndarray,
    moonbag: np.ndarray,
    alpha_ids: np.ndarray,
    alpha_weight: np.ndarray,
    sniper_ids: np.ndarray,
    insider_ids: np.ndarray,
    cluster_ptr: np.ndarray,
    cluster_members: np.ndarray,
    ev_ts: np.ndarray,
    ev_mint: np.ndarray,
    ev_trader: np.ndarray,
    ev_side: np.ndarray,
    ev_venue: np.ndarray,
    ev_sol: np.ndarray,
    ev_tokens: np.ndarray,
    ev_price: np.ndarray,
    ev_vsol: np.ndarray,
    ev_vtok: np.ndarray,
    ev_fee: np.ndarray,
    ev_seq: np.ndarray,
    out_grad_ns: np.ndarray,
    out_rug_ns: np.ndarray,
    out_fate: np.ndarray,
    max_per_token: int,
) -> tuple[int, int]:
    """Simulate tokens ``tok_lo..`` into the event buffers until they are nearly full.

    Returns (events written, next token to simulate). The caller drains the buffers and calls
    again from the returned token until it reaches ``tok_hi``.
    """
    cap = ev_ts.shape[0]
    n = 0
    tok = tok_lo
    h_w = np.empty(MAX_HOLDERS, dtype=np.int32)
    h_tok = np.empty(MAX_HOLDERS, dtype=np.float64)
    q_t = np.empty(MAX_HOLDERS, dtype=np.float64)
    q_w = np.empty(MAX_HOLDERS, dtype=np.int32)
    q_tok = np.empty(MAX_HOLDERS, dtype=np.float64)
    sch_t = np.empty(MAX_SCHEDULE, dtype=np.float64)
    sch_w = np.empty(MAX_SCHEDULE, dtype=np.int32)
    sch_act = np.empty(MAX_SCHEDULE, dtype=np.int8)
    sch_amt = np.empty(MAX_SCHEDULE, dtype=np.float64)
    n_clusters = cluster_ptr.shape[0] - 1
    while tok < tok_hi and cap - n >= max_per_token:
        h = splitmix64_nb(np.uint64(seed) * np.uint64(1000003) + np.uint64(tok))
        np.random.seed(np.int64(h & np.uint64(0xFFFFFFFF)))
        t0 = t0_ns[tok]
        q = quality[tok]
        cre = creator[tok]
        hp = honeypot[tok]
        life = min(p[_P_MAX_LIFE], (horizon_ns - t0) / 1e9)
        start_n = n
        seq = 0
        venue = VENUE_CURVE
        vs = CURVE_VSOL0
        vt = CURVE_VTOK0
        grad_age = -1.0
        rugged = False
        fee_rate = p[_P_CURVE_FEE]
        interest = np.exp(p[_P_Q_GAIN] * q + p[_P_INTEREST_SIG] * np.random.normal())
        lost_p = min(1.0, p[_P_LOST] * np.exp(p[_P_LOST_SIG] * np.random.normal()))
        tau = p[_P_TAU0] * (1.0 + p[_P_TAU_Q] * q) * np.exp(p[_P_TAU_SIG] * np.random.normal())
        b0 = p[_P_BUY_RATE0] * interest
        # a second wave of attention later in life on some tokens (a call, a mention): what
        # gives real launches their slow graduations, hours after creation
        rev_t = 1e300
        rev_b = 0.0
        if np.random.random() < p[_P_REV_P]:
            rev_t = np.random.exponential(p[_P_REV_MEAN])
            rev_b = b0 * p[_P_REV_GAIN] * np.exp(p[_P_INTEREST_SIG] * np.random.normal())
        grad_level = 0.0  # the buy rate carried onto the pool at graduation
        price0 = vs / vt
        n_h = 0
        n_s = 0
        creator_tokens = 0.0
        # --- creation event: the new curve's reserves
        ev_ts[n] = t0
        ev_mint[n] = tok
        ev_trader[n] = cre
        ev_side[n] = 0
        ev_venue[n] = venue
        ev_sol[n] = 0.0
        ev_tokens[n] = 0.0
        ev_price[n] = vs / vt
        ev_vsol[n] = vs
        ev_vtok[n] = vt
        ev_fee[n] = 0.0
        ev_seq[n] = seq
        n += 1
        seq += 1
        # --- scheduled actors
        if np.random.random() < p[_P_DEV_P] or rug_age_s[tok] < 1e30:
            dev = p[_P_DEV_MED] * np.exp(p[_P_DEV_SIG] * np.random.normal())
            if rug_age_s[tok] < 1e30:
                dev *= 2.0
            n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, 0.0, cre, ACT_BUY, dev)
        if rug_age_s[tok] < 1e30:
            n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, rug_age_s[tok], cre, ACT_RUG, 0.0)
            nb = int(p[_P_BUNDLE])
            for _ in range(nb):
                w = insider_ids[np.random.randint(insider_ids.shape[0])]
                amt = p[_P_DEV_MED] * np.exp(p[_P_DEV_SIG] * np.random.normal())
                ta = np.random.random() * 0.8
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, ta, w, ACT_BUY, amt)
                n_s = _schedule(
                    sch_t,
                    sch_w,
                    sch_act,
                    sch_amt,
                    n_s,
                    rug_age_s[tok] - 0.5 + np.random.random() * 0.4,
                    w,
                    ACT_SELL_ALL,
                    0.0,
                )
        else:
            if p[_P_DUMP_SIG] > 0.0:  # log-normal: most creators dump within seconds
                dump_at = p[_P_DUMP_MED] * np.exp(p[_P_DUMP_SIG] * np.random.normal())
            else:
                dump_at = np.random.exponential(p[_P_DUMP])
            n_s = _schedule(
                sch_t, sch_w, sch_act, sch_amt, n_s, dump_at, cre, ACT_CREATOR_DUMP, 0.0
            )
        if bundled[tok]:
            # a bundled launch: the first insider buys in the launch block, the others over a
            # per-token window (~Exp(bundle_spread_s): seconds on some launches, minutes on
            # others), so the curve completes when the last of them is in; they hold until then
            # and dump on the AMM
            nb = int(p[_P_BUNDLE_N])
            window = p[_P_BUNDLE_SPREAD] * np.random.exponential()
            b_w = np.empty(nb, np.int64)
            b_t = np.empty(nb, np.float64)
            for j in range(nb):
                b_w[j] = insider_ids[np.random.randint(insider_ids.shape[0])]
                b_t[j] = np.random.random() * (0.8 if j == 0 else window)
                amt = p[_P_BUNDLE_SOL] / nb * (0.6 + 0.8 * np.random.random())
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, b_t[j], b_w[j], ACT_BUY, amt)
            last_in = b_t.max()
            keep = p[_P_BUNDLE_KEEP] * np.random.random()  # share of the bundle never sold
            for j in range(nb):
                th = last_in + np.random.exponential(p[_P_BUNDLE_HOLD])
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, th, b_w[j], ACT_SELL_ALL, keep)
        if sniper_ids.shape[0] > 0:
            ns = np.random.poisson(p[_P_SNIPERS])
            for _ in range(ns):
                w = sniper_ids[np.random.randint(sniper_ids.shape[0])]
                ta = 0.4 + np.random.random() * p[_P_SNIPE_DELAY]
                amt = p[_P_SNIPE_SIZE] * np.exp(0.5 * np.random.normal())
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, ta, w, ACT_BUY, amt)
                th = ta + np.random.exponential(p[_P_SNIPE_HOLD])
                if p[_P_SNIPE_TP] > 0.0:  # sells into the first rise: target set at its buy
                    n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, th, w, ACT_BOT_SELL, 1e300)
                else:
                    n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, th, w, ACT_SELL_ALL, 0.0)
        if p[_P_NULL] > 0.0 and p[_P_NULL_SEED] > 0.0 and retail_ids.shape[0] > 0:
            # null: seed holders buy at launch, so that the coin-flip walk starts away from the
            # curve's floor (a walk reflected there would drift up)
            for j in range(NULL_SEED_BUYERS):
                w = retail_ids[np.random.randint(retail_ids.shape[0])]
                amt = p[_P_NULL_SEED] / NULL_SEED_BUYERS
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, 0.01 * j, -2 - w, ACT_BUY, amt)
        # alpha followers per token do not depend on how many alpha wallets exist: each joins
        # with a chance that makes the expected count alpha_per_token (weighted by skill)
        n_alpha = alpha_ids.shape[0]
        for i in range(n_alpha):
            if q >= p[_P_ALPHA_QMIN]:
                pf = p[_P_ALPHA_N] * alpha_weight[i]
            else:
                pf = p[_P_ALPHA_NOISE] / n_alpha
            if np.random.random() < pf:
                ta = p[_P_ALPHA_DMIN] + np.random.random() * (p[_P_ALPHA_DMAX] - p[_P_ALPHA_DMIN])
                amt = p[_P_ALPHA_SIZE] * np.exp(0.5 * np.random.normal())
                n_s = _schedule(sch_t, sch_w, sch_act, sch_amt, n_s, ta, alpha_ids[i], ACT_BUY, amt)
                th = ta + np.random.exponential(p[_P_ALPHA_HOLD])
                n_s = _schedule(
                    sch_t, sch_w, sch_act, sch_amt, n_s, th, alpha_ids[i], ACT_SELL_ALL, 0.0
                )
        if n_clusters > 0:
            nc = np.random.poisson(p[_P_CLUSTERS])
            for _ in range(nc):
                c = np.random.randint(n_clusters)
                ts0 = np.random.exponential(p[_P_SYB_START])
                for j in range(cluster_ptr[c], cluster_ptr[c + 1]):
                    if np.random.random() < p[_P_SYB_P]:
                        ta = ts0 + np.random.random() * p[_P_SYB_SPREAD]
                        amt = p[_P_SIZE_MED] * np.exp(0.6 * np.random.normal())
                        # sybil members hold like retail: registered as hazard sellers on buy
                        n_s = _schedule(
                            sch_t,
                            sch_w,
                            sch_act,
                            sch_amt,
                            n_s,
                            ta,
                            -2 - cluster_members[j],
                            ACT_BUY,
                            amt,
                        )
        # --- main loop: the next event is the earliest of a retail buy (thinned point process),
        # a scheduled action and the earliest retail sell (a heap of drawn sell times)
        t = 0.0
        n_q = 0
        n_buys = 0  # retail buys so far: each one spends some of the token's finite crowd
        lref = np.log(price0)  # the price profit takers measure a rise against (an EMA)
        t_ref = 0.0
        null = p[_P_NULL] > 0.0
        while n - start_n < max_per_token - 4:
            if rugged:
                break
            mom = 1.0
            if p[_P_MOM] > 0.0:
                mom = min(p[_P_MOM_CAP], (vs / vt / price0) ** p[_P_MOM])
            if p[_P_CROWD] > 0.0:  # attention is spent by buying, whatever the quality
                mom *= np.exp(-n_buys / p[_P_CROWD])
            # the buy intensity bound: it only decays until the next event changes the state
            if venue == VENUE_CURVE:
                lam_b = mom * attention_nb(t, b0, tau, rev_t, rev_b, p[_P_REV_TAU], 0.0)
            else:
                lam_b = mom * grad_level * np.exp(-(t - grad_age) / p[_P_AMM_TAU])
            i_s = -1
            t_s = 1e300
            spot = vs / vt
            for i in range(n_s):
                ti = sch_t[i]
                if sch_act[i] == ACT_BOT_SELL and spot >= sch_amt[i]:
                    ti = min(ti, t + BOT_LATENCY_S)  # its target is crossed: sell now
                if ti < t_s:
                    t_s = ti
                    i_s = i
            t_h = q_t[0] if n_q > 0 else 1e300
            t_prop = t + np.random.exponential(1.0 / lam_b) if lam_b > 0.0 else 1e300
            # profit takers: holders sell into strength at a rate that grows with the rise over
            # the reference price (constant between events: sampled exactly)
            lam_pt = 0.0
            if p[_P_PT_RATE] > 0.0 and n_q > 0:
                gain = np.log(spot) - lref
                if gain > 0.0:
                    lam_pt = p[_P_PT_RATE] * n_q * gain
            t_pt = t + np.random.exponential(1.0 / lam_pt) if lam_pt > 0.0 else 1e300
            # the second wave raises the bound: proposals restart from its onset
            t_wave = rev_t if venue == VENUE_CURVE and t < rev_t else 1e300
            t_next = min(t_s, t_h, t_prop, t_wave, t_pt)
            if t_next >= life:
                break
            if t_wave == t_next:
                t = t_wave
                continue
            side = 0
            trader = cre
            sol = 0.0
            tokens = 0.0
            hold_kind = H_SCHEDULED
            if t_s == t_next:
                t = max(t, t_s)
                w = sch_w[i_s]
                act = sch_act[i_s]
                amt = sch_amt[i_s]
                n_s -= 1  # remove from the schedule (swap with last)
                sch_t[i_s] = sch_t[n_s]
                sch_w[i_s] = sch_w[n_s]
                sch_act[i_s] = sch_act[n_s]
                sch_amt[i_s] = sch_amt[n_s]
                trader = w
                if w <= -2:  # sybil member: holds like retail
                    trader = -2 - w
                    hold_kind = H_RETAIL
                if act == ACT_BUY:
                    side = 1
                    sol = amt
                elif act == ACT_SELL_ALL or act == ACT_BOT_SELL:
                    if act == ACT_BOT_SELL:
                        amt = 0.0
                    if hp and trader != cre:
                        continue
                    side = -1
                    j = 0
                    while j < n_h:
                        if h_w[j] == trader:
                            tokens += h_tok[j]
                            n_h -= 1
                            h_w[j] = h_w[n_h]
                            h_tok[j] = h_tok[n_h]
                        else:
                            j += 1
                    if amt > 0.0 and n_h < MAX_HOLDERS:  # a share is kept, never sold
                        h_w[n_h] = trader
                        h_tok[n_h] = tokens * amt
                        n_h += 1
                        tokens -= tokens * amt
                    if tokens <= 0.0:
                        continue
                elif act == ACT_RUG and venue == VENUE_AMM:
                    rugged = True  # liquidity pulled (side 0, below)
                    out_rug_ns[tok] = t0 + np.int64(t * 1e9)
                else:  # creator dump; on the curve a rug is the creator dumping everything
                    if act == ACT_RUG:
                        rugged = True
                        out_rug_ns[tok] = t0 + np.int64(t * 1e9)
                    if creator_tokens <= 0.0:
                        continue
                    side = -1
                    tokens = creator_tokens
                    creator_tokens = 0.0
                    if venue == VENUE_CURVE:
                        # "dev sold": buyers lose interest and some holders head for the exit
                        b0 *= p[_P_POST_DUMP]
                        rev_b *= p[_P_POST_DUMP]
                        if p[_P_PANIC_P] > 0.0:
                            n_q = panic_nb(q_t, q_w, q_tok, n_q, t, p[_P_PANIC_P], p[_P_PANIC_S])
                        if p[_P_DIP_N] > 0.0 and sniper_ids.shape[0] > 0:
                            # dip bots: buy the dumped token betting on a bounce, sell into the
                            # next buyers (take-profit target) or after a short hold
                            for _ in range(np.random.poisson(p[_P_DIP_N])):
                                w = sniper_ids[np.random.randint(sniper_ids.shape[0])]
                                ta = t + np.random.exponential(p[_P_DIP_DELAY])
                                amt = p[_P_DIP_SIZE] * np.exp(np.random.normal())
                                n_s = _schedule(
                                    sch_t, sch_w, sch_act, sch_amt, n_s, ta, w, ACT_BUY, amt
                                )
                                th = ta + np.random.exponential(p[_P_DIP_HOLD])
                                n_s = _schedule(
                                    sch_t, sch_w, sch_act, sch_amt, n_s, th, w, ACT_BOT_SELL, 1e300
                                )
            elif t_pt == t_next:
                t = t_pt
                j = _pick_holder_nb(q_t, q_tok, n_q, 0.0)
                if j < 0:
                    continue
                trader = q_w[j]
                tokens = q_tok[j]
                q_tok[j] = 0.0  # left in the heap, skipped when its time comes
                side = -1
            elif t_h == t_next:
                t = max(t, t_h)
                trader = q_w[0]
                held = q_tok[0]
                n_q = heap_pop_nb(q_t, q_w, q_tok, n_q)
                if held <= 0.0:
                    continue
                side = -1
                if np.random.random() < full_p[trader] or held < 1.0:
                    tokens = held
                else:  # sell half now, the rest later
                    tokens = held * 0.5
                    t_sell = t + np.random.exponential(p[_P_HOLD] * hold_mult[trader])
                    n_q = heap_push_nb(q_t, q_w, q_tok, n_q, t_sell, trader, held - tokens)
            else:
                # thinning: accept with the true intensity at t_prop over the bound
                if venue == VENUE_CURVE:
                    rev_tau = p[_P_REV_TAU]
                    lb = mom * attention_nb(t_prop, b0, tau, rev_t, rev_b, rev_tau, p[_P_RAMP])
                else:
                    lb = mom * grad_level * np.exp(-(t_prop - grad_age) / p[_P_AMM_TAU])
                t = t_prop
                if np.random.random() * lam_b > lb:
                    continue
                side = 1
                n_buys += 1
                null_sol = 0.0
                if null:
                    # null flow: a size first, then a coin flip for its direction. The sell is
                    # sized so that the spot falls by as much as the buy would raise it: spot is
                    # vs^2 / (vs vt) on both venues, a buy takes it x (1 + x)^2, the sell
                    # x (2 - (1 + x)^2), so the expected change is zero (a martingale). An
                    # arrival whose sell no holder could fill is dropped whichever way the coin
                    # falls: dropping only the sell would make the price drift up.
                    null_sol = min(
                        p[_P_SIZE_MAX], p[_P_SIZE_MED] * np.exp(p[_P_SIZE_SIG] * np.random.normal())
                    )
                    x = null_sol / (1.0 + fee_rate) / vs
                    vs_to = vs * np.sqrt(max(2.0 - (1.0 + x) * (1.0 + x), 1e-6))
                    need = vs * vt / vs_to - vt
                    j = _pick_holder_nb(q_t, q_tok, n_q, need)
                    if j < 0 or q_tok[j] < need:
                        continue
                    if np.random.random() < 0.5:
                        trader = q_w[j]
                        tokens = need
                        q_tok[j] -= tokens
                        side = -1
                if side == 1:
                    if (
                        fomo_ids.shape[0] > 0
                        and vs / vt > price0 * p[_P_FOMO_TRIGGER]
                        and np.random.random() < p[_P_FOMO_SHARE]
                    ):  # a pumped token draws the wallets that chase pumps
                        u = np.random.random() * fomo_cdf[fomo_cdf.shape[0] - 1]
                        trader = fomo_ids[np.searchsorted(fomo_cdf, u)]
                    else:
                        u = np.random.random() * retail_cdf[retail_cdf.shape[0] - 1]
                        trader = retail_ids[np.searchsorted(retail_cdf, u)]
                    if null:
                        sol = null_sol
                    else:
                        sol = min(
                            p[_P_SIZE_MAX],
                            p[_P_SIZE_MED] * np.exp(p[_P_SIZE_SIG] * np.random.normal()),
                        )
                    hold_kind = H_RETAIL
            # --- execute the trade (or the rug) against the current venue
            ts = t0 + np.int64(t * 1e9)
            if ts >= horizon_ns:
                if rugged:  # the rug would happen after the horizon: it did not happen
                    rugged = False
                    out_rug_ns[tok] = -1
                break
            if t > t_ref:  # the profit takers' reference follows the price (EMA)
                lref += (np.log(vs / vt) - lref) * (1.0 - np.exp(-(t - t_ref) / p[_P_PT_REF]))
                t_ref = t
            if side == 0:
                # liquidity pulled on the AMM: reserves collapse by 99.9%
                removed_s = vs * 0.999
                removed_t = vt * 0.999
                vs -= removed_s
                vt -= removed_t
                ev_ts[n] = ts
                ev_mint[n] = tok
                ev_trader[n] = cre
                ev_side[n] = 0
                ev_venue[n] = venue
                ev_sol[n] = removed_s
                ev_tokens[n] = removed_t
                ev_price[n] = vs / vt
                ev_vsol[n] = vs
                ev_vtok[n] = vt
                ev_fee[n] = 0.0
                ev_seq[n] = seq
                n += 1
                seq += 1
                continue
            graduate_now = False
            if side == 1:
                sol_in = sol / (1.0 + fee_rate)
                tokens = curve_buy_nb(vs, vt, sol_in)
                if venue == VENUE_CURVE and vt - tokens <= CURVE_VTOK_END:
                    # the curve sells at most its remaining real tokens, then completes
                    tokens = vt - CURVE_VTOK_END
                    vs_new = CURVE_K / CURVE_VTOK_END
                    sol_in = vs_new - vs
                    vs = vs_new
                    vt = CURVE_VTOK_END
                    graduate_now = True
                else:
                    vs = vs + sol_in
                    vt = CURVE_K / vs if venue == VENUE_CURVE else vt - tokens
                fee = sol_in * fee_rate
                sol_amount = sol_in
                if trader == cre:
                    creator_tokens += tokens
                elif hold_kind == H_SCHEDULED:
                    if p[_P_SNIPE_TP] > 0.0:  # a take-profit bot's target: its entry x (1 + tp)
                        for i in range(n_s):
                            if sch_w[i] == trader and sch_act[i] == ACT_BOT_SELL:
                                if sch_amt[i] >= 1e299:
                                    sch_amt[i] = vs / vt * (1.0 + p[_P_SNIPE_TP])
                    if n_h < MAX_HOLDERS:
                        h_w[n_h] = trader
                        h_tok[n_h] = tokens
                        n_h += 1
                elif not hp:  # a honeypot's buyers can never sell
                    # the position's sell time is drawn now; a bag sells much later or never
                    hold = p[_P_HOLD] * hold_mult[trader]
                    lost = False
                    if p[_P_FLIP_P] > 0.0 and np.random.random() < p[_P_FLIP_P]:
                        # a flip: bought to sell into the next buyers within seconds
                        hold = p[_P_FLIP_HOLD]
                    elif np.random.random() < bag_p[trader]:
                        hold *= p[_P_BAG_MULT]
                        lost = np.random.random() < lost_p
                    # a moonbag (a per-wallet share of each position) is kept unless the token
                    # moons (graduates): parked in the heap at MOONBAG_T until then
                    kept = tokens * moonbag[trader]
                    if null:  # null flow: holders sell only when the coin says so (above)
                        lost = False
                        kept = 0.0
                        hold = MOONBAG_T * 10.0
                    if not lost and n_q < MAX_HOLDERS:
                        t_sell = t + np.random.exponential(hold)
                        n_q = heap_push_nb(q_t, q_w, q_tok, n_q, t_sell, trader, tokens - kept)
                    if not lost and kept > 0.0 and n_q < MAX_HOLDERS:
                        n_q = heap_push_nb(q_t, q_w, q_tok, n_q, MOONBAG_T, trader, kept)
            else:
                gross = curve_sell_nb(vs, vt, tokens)
                vt = vt + tokens
                vs = CURVE_K / vt if venue == VENUE_CURVE else vs - gross
                fee = gross * fee_rate
                sol_amount = gross
            ev_ts[n] = ts
            ev_mint[n] = tok
            ev_trader[n] = trader
            ev_side[n] = side
            ev_venue[n] = venue
            ev_sol[n] = sol_amount
            ev_tokens[n] = tokens
            ev_price[n] = sol_amount / tokens if tokens > 0.0 else vs / vt
            ev_vsol[n] = vs
            ev_vtok[n] = vt
            ev_fee[n] = fee
            ev_seq[n] = seq
            n += 1
            seq += 1
            if graduate_now:
                # migration: the real SOL and the price carry over into a constant-product pool
                grad_age = t
                grad_level = p[_P_AMM_SCALE] * attention_nb(
                    t, b0, tau, rev_t, rev_b, p[_P_REV_TAU], 0.0
                )
                if not null:
                    n_q = release_moonbags_nb(q_t, q_w, q_tok, n_q, t, p[_P_HOLD], hold_mult)
                out_grad_ns[tok] = ts
                real_sol = vs - CURVE_VSOL0
                price = vs / vt
                vs = real_sol
                vt = real_sol / price
                venue = VENUE_AMM
                fee_rate = p[_P_AMM_FEE]
                ev_ts[n] = ts
                ev_mint[n] = tok
                ev_trader[n] = cre
                ev_side[n] = 0
                ev_venue[n] = venue
                ev_sol[n] = vs
                ev_tokens[n] = vt
                ev_price[n] = vs / vt
                ev_vsol[n] = vs
                ev_vtok[n] = vt
                ev_fee[n] = 0.0
                ev_seq[n] = seq
                n += 1
                seq += 1
        if hp:
            out_fate[tok] = FATE_HONEYPOT
        elif rugged:
            out_fate[tok] = FATE_RUG
        elif grad_age >= 0.0:
            out_fate[tok] = FATE_GRADUATED
        else:
            out_fate[tok] = FATE_DIED
        tok += 1
    return n, tok
