"""Momentum / volume breakout: buy a mint whose price is running up on buy-dominated flow.

Idea: on a bonding curve, a burst of net buying moves the price along the curve; when the move
over a short window is large *and* carried by many trades with most volume on the buy side, the
burst tends to continue for a while (FOMO, bots chasing). We enter once per mint per cooldown and
let the engine's exits (stop, TP ladder, trailing, max hold) manage the position; a sharp reversal
of the window return asks to close early.

State per mint: a tumbling window of ``window_s`` seconds (opening price, buy SOL, sell SOL,
trade count). As the day goes badly (risk tier ``knobs[KNOB_TIER]`` 1..3) the return and flow
thresholds are raised by ``tier_tighten`` per tier.
"""

from __future__ import annotations

import numpy as np
from memelab.engine.risk import KNOB_TIER
from numba import njit

NAME = "momentum"

PARAMS_DTYPE = np.dtype(
    [
        ("window_s", np.float64),
        ("min_return", np.float64),
        ("min_buy_ratio", np.float64),
        ("min_buy_sol", np.float64),
        ("min_trades", np.int64),
        ("cooldown_s", np.float64),
        ("exit_drop", np.float64),
        ("size", np.float64),
        ("tier_tighten", np.float64),
    ]
)

DEFAULTS: dict[str, float | int] = {
    "window_s": 30.0,
    "min_return": 0.10,
    "min_buy_ratio": 0.65,
    "min_buy_sol": 3.0,
    "min_trades": 6,
    "cooldown_s": 900.0,
    "exit_drop": 0.25,
    "size": 1.0,
    "tier_tighten": 0.25,
}

SWEEP: dict[str, list] = {
    "window_s": [15.0, 30.0, 60.0, 120.0],
    "min_return": [0.05, 0.10, 0.20, 0.30],
    "min_buy_ratio": [0.55, 0.65, 0.75],
    "min_buy_sol": [1.0, 3.0, 10.0],
    "min_trades": [3, 6, 12],
}

# State tuple layout.
S_WIN_START = 0  # int64 ns
S_LAST_SIGNAL = 1  # int64 ns
S_OPEN_PX = 2  # float64
S_BUY_SOL = 3
S_SELL_SOL = 4
S_TRADES = 5  # int64


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Per-mint window state, sized to the replay's mint dictionary."""
    n = int(ctx.n_mints)
    never = np.full(n, np.iinfo(np.int64).min // 2, dtype=np.int64)
    return (
        never.copy(),
        never.copy(),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, dtype=np.int64),
    )


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Update the mint's window with this trade; +size on a breakout, -1 on a sharp reversal."""
    if ev["side"] == 0:
        return 0.0
    win_start, last_signal, open_px, buy_sol, sell_sol, trades = state
    m = ev["mint"]
    ts = ev["ts"]
    vt = ev["vtok"]
    px = ev["vsol"] / vt if vt == vt and vt > 0.0 else ev["price"]
    if not px > 0.0:
        return 0.0
    if ts - win_start[m] >= params["window_s"] * 1e9:
        win_start[m] = ts
        open_px[m] = px
        buy_sol[m] = 0.0
        sell_sol[m] = 0.0
        trades[m] = 0
    if ev["side"] > 0:
        buy_sol[m] += ev["sol"]
    else:
        sell_sol[m] += ev["sol"]
    trades[m] += 1
    ret = px / open_px[m] - 1.0
    if ret <= -params["exit_drop"]:
        return -1.0
    tighten = 1.0 + params["tier_tighten"] * knobs[KNOB_TIER]
    flow = buy_sol[m] + sell_sol[m]
    if (
        trades[m] >= params["min_trades"]
        and ret >= params["min_return"] * tighten
        and buy_sol[m] >= params["min_buy_sol"]
        and buy_sol[m] >= min(params["min_buy_ratio"] * tighten, 0.99) * flow
        and ts - last_signal[m] >= params["cooldown_s"] * 1e9
    ):
        last_signal[m] = ts
        return params["size"]
    return 0.0
