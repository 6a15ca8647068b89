"""Compiled weighted vote of scored wallets buying a mint (SPEC: copy-trade entry rule).

Within ``vote_window_s`` (90 s) of now, the vote of a mint is the sum of score x recency x size
over the *scored* wallets that bought it: a wallet votes once it has at least
``vote_min_outcomes`` resolved outcomes counted and a score of at least ``vote_min_score`` (an
unproven wallet only carries the prior). A wallet buying the same mint again inside the window
replaces its own vote rather than adding to it, so one wallet cannot out-vote the crowd by
splitting an order. A signal needs weight >= ``min_weight`` and at least one voter scoring >=
``min_top_score``; the risk manager's tier raises both bars (``tier_weight_step`` per tier, and
``knobs[KNOB_MIN_SCORE]``).

State (``new_vote_state``): per mint a ring of ``vote_slots`` voters: ``vote_i`` (n_mints, slots,
2) int64 [ts, wallet], ``vote_f`` (n_mints, slots, 2) float64 [weight, score], ``vote_pos``
(n_mints,) int64 next slot. A vote older than the window is ignored; an overwritten slot is the
oldest vote.
"""

from __future__ import annotations

import numpy as np
from numba import njit

VOTE_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("vote_window_s", np.float64, 90.0),
    ("min_weight", np.float64, 2.5),
    ("min_top_score", np.float64, 0.55),
    ("vote_min_outcomes", np.int64, 3),
    ("vote_min_score", np.float64, 0.45),
    ("tier_weight_step", np.float64, 0.5),
    ("vote_slots", np.int64, 32),
)


def new_vote_state(n_mints: int, slots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empty vote rings for ``n_mints`` mints with ``slots`` voters each."""
    slots = max(int(slots), 1)
    vote_i = np.zeros((n_mints, slots, 2), dtype=np.int64)
    vote_i[:, :, 0] = np.iinfo(np.int64).min
    vote_i[:, :, 1] = -1
    vote_f = np.zeros((n_mints, slots, 2), dtype=np.float64)
    vote_pos = np.zeros(n_mints, dtype=np.int64)
    return vote_i, vote_f, vote_pos


@njit(cache=True)
def cast_vote_nb(ts, mint, wallet, weight, score, vote_i, vote_f, vote_pos, window_ns):
    """Record ``wallet``'s vote on ``mint`` at ``ts`` (replacing its own live vote, if any)."""
    slots = vote_i.shape[1]
    cutoff = ts - window_ns
    for k in range(slots):
        if vote_i[mint, k, 1] == wallet and vote_i[mint, k, 0] >= cutoff:
            vote_i[mint, k, 0] = ts
            vote_f[mint, k, 0] = weight
            vote_f[mint, k, 1] = score
            return
    k = vote_pos[mint]
    vote_i[mint, k, 0] = ts
    vote_i[mint, k, 1] = wallet
    vote_f[mint, k, 0] = weight
    vote_f[mint, k, 1] = score
    vote_pos[mint] = (k + 1) % slots


@njit(cache=True)
def tally_nb(ts, mint, vote_i, vote_f, window_ns):
    """(total weight, best voter score, voters) of the live votes on ``mint`` at ``ts``."""
    cutoff = ts - window_ns
    total = 0.0
    best = 0.0
    voters = 0
    for k in range(vote_i.shape[1]):
        if vote_i[mint, k, 1] >= 0 and vote_i[mint, k, 0] >= cutoff and vote_i[mint, k, 0] <= ts:
            total += vote_f[mint, k, 0]
            if vote_f[mint, k, 1] > best:
                best = vote_f[mint, k, 1]
            voters += 1
    return total, best, voters


@njit(cache=True)
def vote_bars_nb(p, tier, knob_min_score):
    """(min weight, min top score) after the risk manager's tier raised them."""
    t = tier if tier > 0.0 else 0.0
    min_weight = p.min_weight + p.tier_weight_step * t
    min_top = p.min_top_score
    if knob_min_score == knob_min_score and knob_min_score > min_top:
        min_top = knob_min_score
    return min_weight, min_top


@njit(cache=True)
def vote_on_buy_nb(
    ts, mint, wallet, score, recency, size, n_outcomes, p, tier, knob_min_score,
    vote_i, vote_f, vote_pos,
):  # fmt: skip
    """Count a scored buy into the mint's vote; returns (signal, weight, best score, voters)."""
    window_ns = np.int64(p.vote_window_s * 1e9)
    if n_outcomes >= p.vote_min_outcomes and score >= p.vote_min_score:
        cast_vote_nb(
            ts, mint, wallet, score * recency * size, score, vote_i, vote_f, vote_pos, window_ns
        )
    weight, best, voters = tally_nb(ts, mint, vote_i, vote_f, window_ns)
    min_weight, min_top = vote_bars_nb(p, tier, knob_min_score)
    signal = voters > 0 and weight >= min_weight and best >= min_top
    return signal, weight, best, voters
