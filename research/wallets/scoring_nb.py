"""Compiled streaming wallet scorer: Beta-binomial posterior over *resolved* outcomes.

For every event the scorer (1) advances the outcome resolver (``labels_nb``), so a wallet's buy
counts only once its outcome is known; (2) adds resolved outcomes to the wallet's counts and to a
FIFO of outcomes ordered by resolution time; (3) drops outcomes that resolved ``window`` or longer
ago; (4) on a buy, reports the buying wallet's score with its recency and size factors, *before*
this buy changes anything. Score = posterior mean (a + wins) / (a + b + n) under a Beta(a, b)
prior; ``window_s <= 0`` means all history.

Recency boost: 1 + ``recency_boost`` x max(0, 1 - gap / ``recency_horizon_s``), with ``gap`` the
time since the wallet's previous trade (a wallet that was just active is "hot"; a first trade gets
1.0). Size factor: 1 + ``size_boost`` x clip((sol / norm - 1) / (``size_ratio_full`` - 1), 0, 1),
``norm`` the EWMA of the wallet's earlier buy sizes (first buy: 1.0). Defaults give 1.0-1.3x and
1.0-1.5x.

State tuple (``new_scorer_state``): the 9 resolver arrays, then ``wallet_i`` (n_wallets, 6)
int64 [last trade ts, buys, window wins, window n, all wins, all n], ``wallet_f`` (n_wallets, 1)
float64 [buy-size EWMA], ``res_i`` (cap, 3) int64 ring of resolved outcomes [wallet, win,
resolved ts], ``sctr`` int64[3] [ring head, ring tail, outcomes expired early by overflow].
"""

from __future__ import annotations

import numpy as np
from memelab.research.wallets import labels_nb as lnb
from numba import njit

W_LAST_TS, W_BUYS, W_WIN_WINS, W_WIN_N, W_ALL_WINS, W_ALL_N = range(6)
W_SIZE_NORM = 0
S_HEAD, S_TAIL, S_OVERFLOW = range(3)
N_RESOLVER = 9

# Scorer parameters: every field is read by name from the params record (any record dtype that
# has these fields works, e.g. a strategy's flat PARAMS_DTYPE).
SCORER_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("prior_alpha", np.float64, 3.0),
    ("prior_beta", np.float64, 5.0),
    ("window_s", np.float64, 3600.0),
    ("horizon_s", np.float64, 900.0),
    ("tp", np.float64, 0.20),
    ("sl", np.float64, 0.08),
    ("vwap_n", np.int64, 20),
    ("recency_boost", np.float64, 0.3),
    ("recency_horizon_s", np.float64, 3600.0),
    ("size_boost", np.float64, 0.5),
    ("size_ratio_full", np.float64, 3.0),
    ("size_ewm_alpha", np.float64, 0.2),
    ("pending_capacity", np.int64, 1 << 18),
    ("outcome_capacity", np.int64, 1 << 18),
)
SCORER_PARAMS_DTYPE = np.dtype([(name, typ) for name, typ, _ in SCORER_FIELDS])


def scorer_params(**overrides: float | int) -> np.ndarray:
    """One record of ``SCORER_PARAMS_DTYPE`` with SPEC defaults, updated by ``overrides``."""
    rec = np.zeros(1, dtype=SCORER_PARAMS_DTYPE)
    for name, _, default in SCORER_FIELDS:
        rec[name] = default
    for key, value in overrides.items():
        if key not in SCORER_PARAMS_DTYPE.names:
            raise KeyError(f"unknown scorer parameter {key!r}; known: {SCORER_PARAMS_DTYPE.names}")
        rec[key] = value
    return rec[0]


def new_scorer_state(n_mints: int, n_wallets: int, params: np.void) -> tuple[np.ndarray, ...]:
    """Fresh scorer state arrays for ``n_mints`` x ``n_wallets`` (see module docstring)."""
    resolver = lnb.new_resolver_state(
        n_mints, int(params["vwap_n"]), int(params["pending_capacity"])
    )
    wallet_i = np.zeros((n_wallets, 6), dtype=np.int64)
    wallet_i[:, W_LAST_TS] = np.iinfo(np.int64).min
    wallet_f = np.zeros((n_wallets, 1), dtype=np.float64)
    res_i = np.zeros((max(int(params["outcome_capacity"]), 1), 3), dtype=np.int64)
    sctr = np.zeros(3, dtype=np.int64)
    return (*resolver, wallet_i, wallet_f, res_i, sctr)


@njit(cache=True)
def posterior_mean_nb(wins, n, prior_alpha, prior_beta):
    """Beta-binomial posterior mean: (a + wins) / (a + b + n)."""
    return (prior_alpha + wins) / (prior_alpha + prior_beta + n)


@njit(cache=True)
def wallet_score_nb(w, p, wallet_i):
    """The wallet's current score (posterior mean over its counted outcomes)."""
    if p.window_s > 0.0:
        return posterior_mean_nb(
            wallet_i[w, W_WIN_WINS], wallet_i[w, W_WIN_N], p.prior_alpha, p.prior_beta
        )
    return posterior_mean_nb(
        wallet_i[w, W_ALL_WINS], wallet_i[w, W_ALL_N], p.prior_alpha, p.prior_beta
    )


@njit(cache=True)
def wallet_outcomes_nb(w, p, wallet_i):
    """Outcomes currently counted for the wallet (window or all history)."""
    if p.window_s > 0.0:
        return wallet_i[w, W_WIN_N]
    return wallet_i[w, W_ALL_N]


@njit(cache=True)
def recency_factor_nb(gap_ns, p):
    """1 + boost x max(0, 1 - gap / horizon); 1.0 when the wallet has no earlier trade."""
    if gap_ns < 0 or p.recency_horizon_s <= 0.0:
        return 1.0
    frac = 1.0 - (gap_ns / 1e9) / p.recency_horizon_s
    if frac < 0.0:
        frac = 0.0
    return 1.0 + p.recency_boost * frac


@njit(cache=True)
def size_factor_nb(sol, norm, p):
    """1 + boost x clip((sol / norm - 1) / (full - 1), 0, 1); 1.0 without a norm yet."""
    if not (norm > 0.0) or not (sol > 0.0) or p.size_ratio_full <= 1.0:
        return 1.0
    frac = (sol / norm - 1.0) / (p.size_ratio_full - 1.0)
    if frac < 0.0:
        frac = 0.0
    elif frac > 1.0:
        frac = 1.0
    return 1.0 + p.size_boost * frac


@njit(cache=True)
def _count_outcome_nb(w, win, res_ts, p, wallet_i, res_i, sctr):
    if w < 0 or w >= wallet_i.shape[0]:
        return
    wallet_i[w, W_ALL_N] += 1
    wallet_i[w, W_ALL_WINS] += win
    if p.window_s <= 0.0:
        return
    cap = res_i.shape[0]
    if sctr[S_TAIL] - sctr[S_HEAD] >= cap:  # full: expire the oldest early (counted)
        slot = sctr[S_HEAD] % cap
        old = res_i[slot, 0]
        wallet_i[old, W_WIN_N] -= 1
        wallet_i[old, W_WIN_WINS] -= res_i[slot, 1]
        sctr[S_HEAD] += 1
        sctr[S_OVERFLOW] += 1
    slot = sctr[S_TAIL] % cap
    res_i[slot, 0] = w
    res_i[slot, 1] = win
    res_i[slot, 2] = res_ts
    sctr[S_TAIL] += 1
    wallet_i[w, W_WIN_N] += 1
    wallet_i[w, W_WIN_WINS] += win


# inline="always": called per event with a 13-array state tuple; inlining removes the per-call
# tuple copy and reference counting (3x faster).
@njit(cache=True, inline="always")
def scorer_step_nb(ev, gidx, p, st):
    """Advance the scorer by one event. On a buy returns (score, recency, size, n_outcomes) of the
    buying wallet as known *before* this event; otherwise (nan, 1, 1, -1)."""
    mint_f, mint_i, ring_pv, ring_v, pend_i, pend_f, ctr, out_i, out_f = (
        st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8],
    )  # fmt: skip
    wallet_i, wallet_f, res_i, sctr = st[9], st[10], st[11], st[12]
    w = ev.trader
    is_wallet = w >= 0 and w < wallet_i.shape[0]
    # The buyer's figures before this event: this event's resolutions are for *other* buys, but
    # they happened at this event's time, so they count (they resolved at or before now).
    n = lnb.resolver_step_nb(
        ev.ts, ev.mint, ev.trader, ev.side, ev.price, ev.tokens, ev.sol, gidx,
        np.int64(p.horizon_s * 1e9), p.tp, p.sl, mint_f, mint_i, ring_pv, ring_v, pend_i, pend_f,
        ctr, out_i, out_f,
    )  # fmt: skip
    for j in range(n):
        status = out_i[j, lnb.O_STATUS]
        if status == lnb.STATUS_WIN or status == lnb.STATUS_LOSS:
            win = 1 if status == lnb.STATUS_WIN else 0
            _count_outcome_nb(
                out_i[j, lnb.O_WALLET], win, out_i[j, lnb.O_RES_TS], p, wallet_i, res_i, sctr
            )
    if p.window_s > 0.0:
        cutoff = ev.ts - np.int64(p.window_s * 1e9)
        cap = res_i.shape[0]
        while sctr[S_HEAD] < sctr[S_TAIL]:
            slot = sctr[S_HEAD] % cap
            if res_i[slot, 2] > cutoff:
                break
            old = res_i[slot, 0]
            wallet_i[old, W_WIN_N] -= 1
            wallet_i[old, W_WIN_WINS] -= res_i[slot, 1]
            sctr[S_HEAD] += 1
    score = np.nan
    recency = 1.0
    size = 1.0
    n_out = -1
    if is_wallet and ev.side != 0:
        if ev.side > 0:
            score = wallet_score_nb(w, p, wallet_i)
            n_out = wallet_outcomes_nb(w, p, wallet_i)
            last = wallet_i[w, W_LAST_TS]
            gap = ev.ts - last if last != np.iinfo(np.int64).min else -1
            recency = recency_factor_nb(gap, p)
            norm = wallet_f[w, W_SIZE_NORM]
            size = size_factor_nb(ev.sol, norm, p)
            if ev.sol > 0.0 and np.isfinite(ev.sol):
                if norm > 0.0:
                    wallet_f[w, W_SIZE_NORM] = norm + p.size_ewm_alpha * (ev.sol - norm)
                else:
                    wallet_f[w, W_SIZE_NORM] = ev.sol
            wallet_i[w, W_BUYS] += 1
        wallet_i[w, W_LAST_TS] = ev.ts
    return score, recency, size, n_out


@njit(cache=True)
def score_events_nb(events, first_gidx, p, st, out_i, out_f, n_before):
    """Stream a chunk through the scorer, recording every buy's (event, wallet, mint, n_outcomes)
    in ``out_i`` and (score, recency, size) in ``out_f``; returns rows used so far."""
    k = n_before
    for i in range(events.shape[0]):
        ev = events[i]
        score, recency, size, n_out = scorer_step_nb(ev, first_gidx + i, p, st)
        if n_out >= 0:
            out_i[k, 0] = first_gidx + i
            out_i[k, 1] = ev.trader
            out_i[k, 2] = ev.mint
            out_i[k, 3] = n_out
            out_f[k, 0] = score
            out_f[k, 1] = recency
            out_f[k, 2] = size
            k += 1
    return k
