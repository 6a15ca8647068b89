"""ML signal: buy a token when a trained model's probability of a rise over its horizon is high.

Idea: a model trained on causal features (``research/features``) estimates, at every event, the
probability that the token's price is higher at its last trade within the label horizon. When
that probability reaches ``threshold`` (raised by ``tier_step`` per risk tier on a bad day) we
enter, once per token per cooldown; the engine's exits (stop, TP ladder, trailing, max hold) and
risk manager manage the position, and a probability below ``exit_below`` asks to close early.

The model is an input, not a param: the engine's input stage (``research.models.stage``, fed by
``--model DIR``) computes the probability per event, batched per chunk in a backtest and per event
live, from events up to that one, and the engine copies it into ``knobs[KNOB_INPUTS]``.
"""

from __future__ import annotations

import numpy as np
from memelab.engine import risk as _risk
from memelab.engine.risk import KNOB_TIER
from numba import njit

NAME = "ml"
INPUTS: tuple[str, ...] = ("ml_prob",)
# The engine's input seam (interface 1). Without it this strategy cannot run: init_state says so.
KNOB_INPUTS = int(getattr(_risk, "KNOB_INPUTS", -1))

PARAMS_DTYPE = np.dtype(
    [
        ("threshold", np.float64),
        ("tier_step", np.float64),
        ("exit_below", np.float64),
        ("cooldown_s", np.float64),
        ("size", np.float64),
    ]
)
DEFAULTS: dict[str, float | int] = {
    "threshold": 0.65,
    "tier_step": 0.05,
    "exit_below": 0.0,
    "cooldown_s": 900.0,
    "size": 1.0,
}
SWEEP: dict[str, list] = {
    "threshold": [0.55, 0.6, 0.65, 0.7, 0.75],
    "exit_below": [0.0, 0.3, 0.4],
    "cooldown_s": [300.0, 900.0, 3600.0],
}


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Last entry time per mint."""
    if KNOB_INPUTS < 0:
        raise RuntimeError(
            "strategy 'ml' needs the engine's per-event input seam (memelab.engine.risk."
            "KNOB_INPUTS and inputs= on the replay); this engine has none"
        )
    return (np.full(int(ctx.n_mints), np.iinfo(np.int64).min // 2, dtype=np.int64),)


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """+size when the probability clears the (tier-raised) threshold; -1 below ``exit_below``."""
    prob = knobs[KNOB_INPUTS]
    tier = knobs[KNOB_TIER]
    m = ev["mint"]
    if ev["side"] == 0 or m < 0:
        return 0.0
    if prob < params["exit_below"]:
        return -1.0
    if prob < params["threshold"] + params["tier_step"] * tier:
        return 0.0
    ts = ev["ts"]
    if ts - state[0][m] < np.int64(params["cooldown_s"] * 1e9):
        return 0.0
    state[0][m] = ts
    return params["size"]
