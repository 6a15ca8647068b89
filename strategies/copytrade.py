"""Copy-trade scored alpha wallets: enter when the weighted vote of proven wallets says so.

Idea: some wallets are consistently early on tokens that then run. Score every wallet with a
Beta(3, 5) posterior over its *resolved* buy outcomes (VWAP +20% before -8% within 15 min, counted
only after they resolve, over a rolling 60-min window), and when scored wallets pile into a mint
within 90 s (sum of score x recency x size >= 2.5, one of them scoring >= 0.55) buy it too. Two
sniper-style safety checks guard the entry: the mint must be sellable (a sell by a wallet other
than its creator in the last 60 s: honeypots only let the creator sell) and our order's estimated
price impact on the curve (order / SOL reserve) must be <= 1% (the requested size is cut to fit,
and the entry skipped when that leaves under ``min_size_frac`` of the base size). The engine's exits and risk manager
manage the position; a bad day raises the vote's bars through the risk knobs (tier adds
``tier_weight_step`` to the weight bar; ``knobs[KNOB_MIN_SCORE]`` lifts the top-score bar).

Everything runs inside ``on_event`` (compiled): the scorer state, the vote rings and the safety
state are updated event by event, so a decision at event i uses events <= i only.
"""

from __future__ import annotations

import numpy as np
from memelab.engine.risk import KNOB_EQUITY, KNOB_MIN_SCORE, KNOB_TIER
from memelab.research.wallets import scoring_nb, vote_nb
from memelab.research.wallets.scoring_nb import SCORER_FIELDS, scorer_step_nb
from memelab.research.wallets.vote_nb import VOTE_FIELDS, vote_on_buy_nb
from numba import njit

NAME = "copytrade"
NEEDS = ("wallet identities",)  # the vote weighs who bought (see ``memelab strategies``)

_OWN_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("sell_check_s", np.float64, 60.0),  # sellability: a non-creator sell within this many s
    ("max_impact", np.float64, 0.01),  # estimated price impact bar of our order
    ("impact_order_frac", np.float64, 0.05),  # order estimate = this x equity (the base size)
    ("impact_order_sol", np.float64, 0.5),  # order estimate when equity is unknown
    ("require_reserves", np.int64, 1),  # 1: no reserves on the event -> impact unknown -> skip
    ("min_size_frac", np.float64, 0.02),  # skip when impact-capped size < this x base size
    ("cooldown_s", np.float64, 900.0),  # one entry signal per mint per cooldown
    ("size", np.float64, 1.0),  # multiple of the base position size
)
# The scorer's capacities are smaller here than in research runs: a replay keeps one state per
# params record, and 65k pending buys in 15 min / outcomes in 60 min is far above the demo lakes.
_FIELDS = (
    tuple(
        (n, t, 1 << 16 if n in ("pending_capacity", "outcome_capacity") else d)
        for n, t, d in SCORER_FIELDS
    )
    + VOTE_FIELDS
    + _OWN_FIELDS
)

PARAMS_DTYPE = np.dtype([(name, typ) for name, typ, _ in _FIELDS])
DEFAULTS: dict[str, float | int] = {name: default for name, _, default in _FIELDS}
SWEEP: dict[str, list] = {
    "min_weight": [1.5, 2.0, 2.5, 3.0, 4.0],
    "min_top_score": [0.5, 0.55, 0.6, 0.65],
    "vote_window_s": [30.0, 60.0, 90.0, 180.0],
    "window_s": [1800.0, 3600.0, 4 * 3600.0, 0.0],
    "vote_min_outcomes": [1, 3, 5],
}

# State tuple: 13 scorer arrays, 3 vote arrays, then these.
S_LAST_SELL = 16  # int64 per mint: last sell by a wallet other than the mint's creator
S_LAST_SIGNAL = 17  # int64 per mint
S_CREATOR = 18  # int32 per mint (from the replay context; -1 unknown)
S_COUNTER = 19  # int64[1]: events seen (the resolver's event index)


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Scorer (per mint, per wallet, rings), vote rings and safety arrays, sized from ``ctx``."""
    n_mints, n_wallets = int(ctx.n_mints), int(ctx.n_wallets)
    scorer = scoring_nb.new_scorer_state(n_mints, n_wallets, params)
    vote = vote_nb.new_vote_state(n_mints, int(params["vote_slots"]))
    never = np.full(n_mints, np.iinfo(np.int64).min // 2, dtype=np.int64)
    creator = np.full(n_mints, -1, dtype=np.int32)
    if ctx.creator is not None and len(ctx.creator):
        k = min(len(ctx.creator), n_mints)
        creator[:k] = np.asarray(ctx.creator[:k], dtype=np.int32)
    return (*scorer, *vote, never.copy(), never.copy(), creator, np.zeros(1, dtype=np.int64))


@njit(cache=True)
def safe_entry_size_nb(ts, mint, vsol, last_sell, params, equity):
    """The size multiple to request, 0.0 when the entry is unsafe.

    Sellable: a non-creator sell within ``sell_check_s``. Impact: on a constant-product curve the
    average fill over spot is 1 + order / SOL reserve, so the base order (``impact_order_frac`` of
    equity) times the multiple must stay <= ``max_impact`` x reserve: the multiple is cut to fit,
    and the entry skipped when that leaves less than ``min_size_frac``.
    """
    if ts - last_sell[mint] > np.int64(params["sell_check_s"] * 1e9):
        return 0.0
    base = equity * params["impact_order_frac"] if equity > 0.0 else params["impact_order_sol"]
    want = params["size"]
    if not (vsol == vsol and vsol > 0.0):
        return want if params["require_reserves"] == 0 else 0.0
    if base <= 0.0:
        return want
    fit = params["max_impact"] * vsol / base
    if fit < want:
        want = fit
    return want if want >= params["min_size_frac"] else 0.0


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Score, vote, check safety; +size when scored wallets pile into a safe mint."""
    counter = state[S_COUNTER]
    gidx = counter[0]
    counter[0] += 1
    score, recency, size, n_out = scorer_step_nb(ev, gidx, params, state)
    side = ev["side"]
    m = ev["mint"]
    if side == 0 or m < 0:
        return 0.0
    ts = ev["ts"]
    last_sell = state[S_LAST_SELL]
    creator = state[S_CREATOR]
    if side < 0:
        if ev["trader"] != creator[m]:
            last_sell[m] = ts
        return 0.0
    if n_out < 0:
        return 0.0
    signal, weight, best, voters = vote_on_buy_nb(
        ts, m, ev["trader"], score, recency, size, n_out, params, knobs[KNOB_TIER],
        knobs[KNOB_MIN_SCORE], state[13], state[14], state[15],
    )  # fmt: skip
    last_signal = state[S_LAST_SIGNAL]
    if not signal or ts - last_signal[m] < np.int64(params["cooldown_s"] * 1e9):
        return 0.0
    x = safe_entry_size_nb(ts, m, ev["vsol"], last_sell, params, knobs[KNOB_EQUITY])
    if x <= 0.0:
        return 0.0
    last_signal[m] = ts
    return x
