"""Compiled kernels for sequential tests: LLR paths and seeded Monte Carlo of whole tests.

Arrays in, arrays out; the wrappers in ``wald.py`` and ``twoarm.py`` own validation,
parameters and reporting. Decisions are coded ``DECISION_H1 = 1``, ``DECISION_H0 = -1``,
``DECISION_CONTINUE = 0``.

Randomness is a counter-based splitmix64 stream per simulated sequence (seed, sequence index):
sequence j sees the same uniforms whatever the true parameter, so curves over a parameter grid
and the bisections of the post-stopping estimate use common random numbers (smooth curves,
monotone step functions), and the result is bit-for-bit reproducible.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DECISION_H1 = 1
DECISION_H0 = -1
DECISION_CONTINUE = 0

# Score models for the two-arm simulator.
MODEL_BOOTSTRAP = 0  # resample a pool of observed scores, shifted: x = pool[i] + params[0]
MODEL_BERNOULLI_PAIR = 1  # params = (p_control, p_treatment, rho): x = win_t - win_c
MODEL_NORMAL_PAIR = 2  # params = (mu_control, mu_treatment, sigma, rho): x = pnl_t - pnl_c

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def splitmix64_nb(z: np.uint64) -> np.uint64:
    """The splitmix64 finaliser: a bijective 64-bit mix."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def stream_start_nb(seed: int, seq: int) -> np.uint64:
    """Start state of sequence ``seq``'s stream; independent of every other sequence's length."""
    return splitmix64_nb(np.uint64(seed) ^ splitmix64_nb(np.uint64(seq) + _GOLDEN))


@njit(cache=True)
def next_uniform_nb(state: np.uint64) -> tuple[np.uint64, float]:
    """Advance a stream: (new state, uniform in [0, 1))."""
    state = state + _GOLDEN
    return state, float(splitmix64_nb(state) >> _S11) * _INV_2_53


# ---------------------------------------------------------------- one-arm Bernoulli SPRT


@njit(cache=True)
def bernoulli_llr_nb(wins: int, losses: int, step_win: float, step_loss: float) -> float:
    """LLR from counts (not a running sum), so every batching gives the same float."""
    return wins * step_win + losses * step_loss


@njit(cache=True)
def bernoulli_path_nb(
    outcomes: np.ndarray,
    step_win: float,
    step_loss: float,
    upper: float,
    lower: float,
    n0: int,
    wins0: int,
    decided0: bool,
) -> tuple[np.ndarray, int, int, int]:
    """LLR after each outcome of this batch, continuing from (n0, wins0).

    Returns (llr path, index in this batch of the first boundary crossing or -1, decision at
    that crossing, wins up to and including it). A test already decided (``decided0``) is not
    re-decided: the path is still computed for plotting.
    """
    m = outcomes.shape[0]
    path = np.empty(m)
    wins = wins0
    stop = -1
    decision = DECISION_CONTINUE
    wins_at_stop = -1
    for k in range(m):
        wins += outcomes[k]
        n = n0 + k + 1
        llr = bernoulli_llr_nb(wins, n - wins, step_win, step_loss)
        path[k] = llr
        if stop < 0 and not decided0:
            if llr >= upper:
                stop, decision, wins_at_stop = k, DECISION_H1, wins
            elif llr <= lower:
                stop, decision, wins_at_stop = k, DECISION_H0, wins
    return path, stop, decision, wins_at_stop


@njit(cache=True)
def simulate_bernoulli_nb(
    p: float,
    n_seq: int,
    max_n: int,
    step_win: float,
    step_loss: float,
    upper: float,
    lower: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``n_seq`` SPRTs on Bernoulli(p) outcomes, each truncated at ``max_n``.

    Returns per sequence (decision int8, samples used int64, LLR at stop or truncation).
    """
    decision = np.zeros(n_seq, dtype=np.int8)
    used = np.zeros(n_seq, dtype=np.int64)
    llr_end = np.zeros(n_seq)
    for j in range(n_seq):
        state = stream_start_nb(seed, j)
        wins = 0
        llr = 0.0
        n = 0
        d = DECISION_CONTINUE
        while n < max_n:
            state, u = next_uniform_nb(state)
            n += 1
            if u < p:
                wins += 1
            llr = bernoulli_llr_nb(wins, n - wins, step_win, step_loss)
            if llr >= upper:
                d = DECISION_H1
                break
            if llr <= lower:
                d = DECISION_H0
                break
        decision[j] = d
        used[j] = n
        llr_end[j] = llr
    return decision, used, llr_end


@njit(cache=True)
def bernoulli_oc_asn_nb(
    ps: np.ndarray,
    n_seq: int,
    max_n: int,
    step_win: float,
    step_loss: float,
    upper: float,
    lower: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OC and ASN over a grid of true win rates (common random numbers across the grid).

    Returns (P(accept H0), P(accept H1), P(no decision by max_n), mean samples, its std error).
    """
    g = ps.shape[0]
    oc = np.empty(g)
    p_h1 = np.empty(g)
    p_cont = np.empty(g)
    asn = np.empty(g)
    asn_se = np.empty(g)
    for i in range(g):
        d, used, _ = simulate_bernoulli_nb(
            ps[i], n_seq, max_n, step_win, step_loss, upper, lower, seed
        )
        oc[i] = np.mean(d == DECISION_H0)
        p_h1[i] = np.mean(d == DECISION_H1)
        p_cont[i] = np.mean(d == DECISION_CONTINUE)
        u = used.astype(np.float64)
        asn[i] = np.mean(u)
        asn_se[i] = np.std(u) / np.sqrt(n_seq)
    return oc, p_h1, p_cont, asn, asn_se


# ---------------------------------------------------------------- two-arm Brownian GSPRT


@njit(cache=True)
def gsprt_llr_nb(k: int, mean: float, m2: float, delta0: float, delta1: float) -> float:
    """Brownian-approximation LLR of H1: E[x] = delta1 vs H0: E[x] = delta0 after k scores.

    LLR = k (delta1 - delta0) (mean - (delta0 + delta1) / 2) / var, with var the unbiased
    empirical variance (the ML one, smaller early on, inflates the type I error), floored at
    ((delta1 - delta0) / 2)^2: scores are never taken as less noisy than half the effect of
    interest, so identical scores (all ties, a constant fee saving) give a finite LLR.
    """
    if k < 2:
        return 0.0
    half = 0.5 * (delta1 - delta0)
    var = max(m2 / (k - 1), half * half)
    return k * (delta1 - delta0) * (mean - 0.5 * (delta0 + delta1)) / var


@njit(cache=True)
def gsprt_path_nb(
    x: np.ndarray,
    delta0: float,
    delta1: float,
    upper: float,
    lower: float,
    min_n: int,
    k0: int,
    mean0: float,
    m20: float,
    decided0: bool,
) -> tuple[np.ndarray, int, int, int, float, float]:
    """GSPRT LLR after each score of this batch, continuing from Welford state (k0, mean0, m20).

    Returns (llr path, index of the first crossing in this batch or -1, its decision, and the
    Welford state (k, mean, m2) after the batch). No decision before ``min_n`` scores: the
    variance estimate needs a few samples before it can be trusted.
    """
    m = x.shape[0]
    path = np.empty(m)
    k = k0
    mean = mean0
    m2 = m20
    stop = -1
    decision = DECISION_CONTINUE
    for i in range(m):
        k += 1
        d = x[i] - mean
        mean += d / k
        m2 += d * (x[i] - mean)
        llr = gsprt_llr_nb(k, mean, m2, delta0, delta1)
        path[i] = llr
        if stop < 0 and not decided0 and k >= min_n:
            if llr >= upper:
                stop, decision = i, DECISION_H1
            elif llr <= lower:
                stop, decision = i, DECISION_H0
    return path, stop, decision, k, mean, m2


@njit(cache=True)
def _draw_score_nb(
    state: np.uint64, model: int, params: np.ndarray, pool: np.ndarray
) -> tuple[np.uint64, float]:
    """One score from a score model (see the MODEL_* constants)."""
    if model == MODEL_BOOTSTRAP:
        state, u = next_uniform_nb(state)
        i = min(int(u * pool.shape[0]), pool.shape[0] - 1)
        return state, pool[i] + params[0]
    if model == MODEL_BERNOULLI_PAIR:
        state, u1 = next_uniform_nb(state)
        state, u2 = next_uniform_nb(state)
        state, v = next_uniform_nb(state)
        # with probability rho both arms see the same draw: the variance the pair shares
        ut = u1 if v < params[2] else u2
        c = 1.0 if u1 < params[0] else 0.0
        t = 1.0 if ut < params[1] else 0.0
        return state, t - c
    # MODEL_NORMAL_PAIR, Box-Muller on three normals: shared, control-own, treatment-own
    state, a = next_uniform_nb(state)
    state, b = next_uniform_nb(state)
    state, c = next_uniform_nb(state)
    state, e = next_uniform_nb(state)
    r1 = np.sqrt(-2.0 * np.log(1.0 - a))
    r2 = np.sqrt(-2.0 * np.log(1.0 - c))
    z_shared = r1 * np.cos(2.0 * np.pi * b)
    z_c = r1 * np.sin(2.0 * np.pi * b)
    z_t = r2 * np.cos(2.0 * np.pi * e)
    rho = params[3]
    s = params[2]
    pnl_c = params[0] + s * (np.sqrt(rho) * z_shared + np.sqrt(1.0 - rho) * z_c)
    pnl_t = params[1] + s * (np.sqrt(rho) * z_shared + np.sqrt(1.0 - rho) * z_t)
    return state, pnl_t - pnl_c


@njit(cache=True)
def simulate_gsprt_nb(
    model: int,
    params: np.ndarray,
    pool: np.ndarray,
    n_seq: int,
    max_n: int,
    delta0: float,
    delta1: float,
    upper: float,
    lower: float,
    min_n: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run ``n_seq`` two-arm GSPRTs on scores from a model, each truncated at ``max_n``.

    Returns per sequence (decision int8, samples used, LLR at stop, mean score at stop).
    """
    decision = np.zeros(n_seq, dtype=np.int8)
    used = np.zeros(n_seq, dtype=np.int64)
    llr_end = np.zeros(n_seq)
    mean_end = np.zeros(n_seq)
    for j in range(n_seq):
        state = stream_start_nb(seed, j)
        k = 0
        mean = 0.0
        m2 = 0.0
        llr = 0.0
        d = DECISION_CONTINUE
        while k < max_n:
            state, x = _draw_score_nb(state, model, params, pool)
            k += 1
            dx = x - mean
            mean += dx / k
            m2 += dx * (x - mean)
            llr = gsprt_llr_nb(k, mean, m2, delta0, delta1)
            if k >= min_n:
                if llr >= upper:
                    d = DECISION_H1
                    break
                if llr <= lower:
                    d = DECISION_H0
                    break
        decision[j] = d
        used[j] = k
        llr_end[j] = llr
        mean_end[j] = mean
    return decision, used, llr_end, mean_end


@njit(cache=True)
def _order_cmp_nb(d: int, n: int, stat: float, od: int, on: int, ostat: float) -> int:
    """-1, 0, +1: a simulated outcome against the observed one in the stopping-time ordering."""
    if d != od:
        return 1 if d > od else -1
    if d == DECISION_H1 and n != on:
        return 1 if n < on else -1  # an earlier H1 stop is more extreme upwards
    if d == DECISION_H0 and n != on:
        return 1 if n > on else -1  # a later H0 stop is less extreme downwards
    if stat > ostat:
        return 1
    if stat < ostat:
        return -1
    return 0


@njit(cache=True)
def stopping_order_fractions_nb(
    decision: np.ndarray,
    used: np.ndarray,
    stat: np.ndarray,
    obs_decision: int,
    obs_n: int,
    obs_stat: float,
) -> tuple[float, float]:
    """Fractions of simulated outcomes >= and <= the observed one in the stopping-time ordering.

    The ordering (Siegmund): every H0 stop < every truncation without decision < every H1
    stop; among H1 stops the earlier is larger, among H0 stops the later is larger; ties in
    the stopping time (and truncations) are ordered by the statistic at stop (LLR or mean).
    """
    n = decision.shape[0]
    ge = 0
    le = 0
    for j in range(n):
        c = _order_cmp_nb(decision[j], used[j], stat[j], obs_decision, obs_n, obs_stat)
        if c >= 0:
            ge += 1
        if c <= 0:
            le += 1
    return ge / n, le / n
