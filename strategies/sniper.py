"""Launch sniper: buy a new mint in the first seconds after its create event, when it looks safe.

Idea: a pump.fun curve is cheapest right after its launch; buying within seconds, before the
crowd, captures the first wave of attention. Most launches die or are rugged, so the entry is
filtered (all from events already seen, never from ground truth):

- creator filters (``strategies.safety_nb``): no earlier mint of the same creator observed as
  rugged (liquidity pulled, or a creator sell that halved the price) or as a honeypot (old enough,
  bought by others, never sold by anyone but the creator); the creator's own buy on this mint
  <= ``max_creator_buy_sol``; the creator has not sold it;
- the shared safety checks: sellable (a sell by a non-creator wallet within the last 60 s) and
  estimated price impact <= 1% (the order is shrunk to fit);
- caps: at most ``max_per_creator`` entries per creator per ``creator_window_s`` and
  ``max_per_minute`` entries in any 60 s.

The entry must happen while the launch is at most ``entry_window_s`` old; a creator sell on a
held mint asks to close at once. The engine's exits (stop, TP ladder, trailing, max hold) do the
rest. Latency is decisive: the order lands ``EngineConfig.latency_s`` after the decision, on the
reserves as left by everyone who was faster (``bench/strategies.py`` measures the curve).

What the synthetic market can and cannot tell
---------------------------------------------
No real data here covers a launch's first seconds trade by trade (the Kam1Cadzee sniper-bot
records give per-token buy and sell *counts* and a market cap, no times), so the latency curve
measures the generator's early-flow model, not the market. Compared with those records
(``docs/strategies.md``): the generator's early *buys* match (median 5 in the first 60 s, real
median 5 per record) but its early *sells* are far too few (median 0 and 73% of launches with no
sell in 60 s, against a real median 4 and 10% with none), so the sellability check passes later
and more rarely here than it would on chain. The creator-history filter cannot show value here:
the generator draws each mint's creator at random among insiders, independent of its fate, so
an earlier rug says nothing about the next mint (on chain, serial ruggers exist). The creator's
own buy does carry information here (rugging creators buy twice as much). Unknown: the real
latency distribution of competing snipers, how fast real rugs follow the launch, and how much
priority fee a landing within the first slot costs.
"""

from __future__ import annotations

import numpy as np
from memelab.engine.risk import KNOB_EQUITY
from memelab.strategies.safety_nb import (
    CREATOR_FIELDS,
    NEVER,
    O_BUYS,
    O_CREATED,
    O_CREATOR,
    O_CREATOR_SOLD,
    O_LAST_SELL,
    OF_CREATOR_BUY,
    SAFETY_FIELDS,
    creator_clean_nb,
    new_observations,
    observe_nb,
    safe_size_nb,
)
from numba import njit

NAME = "sniper"

_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("entry_window_s", np.float64, 15.0),  # enter only while the launch is at most this old
    ("max_creator_buy_sol", np.float64, 1.0),  # creator's own buys on the mint (X SOL)
    ("min_buyers", np.int64, 1),  # buys by other wallets seen before we enter
    ("max_per_creator", np.int64, 1),  # entries per creator per creator_window_s
    ("creator_window_s", np.float64, 86400.0),
    ("max_per_minute", np.int64, 2),  # entries in any 60 s
    ("exit_on_creator_sell", np.int64, 1),  # 1: a creator sell on a held mint closes it
    ("size", np.float64, 1.0),  # multiple of the base position size (then cut for impact)
    *SAFETY_FIELDS,
    *CREATOR_FIELDS,
)
PARAMS_DTYPE = np.dtype([(name, typ) for name, typ, _ in _FIELDS])
DEFAULTS: dict[str, float | int] = {name: default for name, _, default in _FIELDS}
SWEEP: dict[str, list] = {
    "entry_window_s": [5.0, 15.0, 30.0, 60.0],
    "max_creator_buy_sol": [0.25, 1.0, 3.0],
    "min_buyers": [0, 1, 3],
    "sell_check_s": [30.0, 60.0],
    "max_per_minute": [1, 2, 5],
}

# State: safety observations (per mint int, per mint float, per creator chain head), then
S_ENTERED = 3  # int64 per mint: time of our entry request (NEVER: none)
S_CREATOR_CAP = 4  # int64 per wallet x 2: cap window start, entries in it
S_MINUTE = 5  # int64 ring of the last max_per_minute entry times
S_CURSOR = 6  # int64[1]: the ring's oldest slot


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Observations per mint and creator, entry marks, caps; sized from ``ctx``."""
    n_m, n_w = max(int(ctx.n_mints), 1), max(int(ctx.n_wallets), 1)
    obs, fobs, head = new_observations(n_m, n_w)  # creators come from create events
    cap = np.zeros((n_w, 2), dtype=np.int64)
    cap[:, 0] = NEVER
    ring = np.full(max(int(params["max_per_minute"]), 1), NEVER, dtype=np.int64)
    entered = np.full(n_m, NEVER, dtype=np.int64)
    return (obs, fobs, head, entered, cap, ring, np.zeros(1, dtype=np.int64))


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Observe the event; on a young, clean, sellable launch ask for an impact-capped buy."""
    equity = knobs[KNOB_EQUITY]
    observe_nb(ev, state[0], state[1], state[2], params)
    m = ev["mint"]
    if m < 0 or m >= state[0].shape[0]:
        return 0.0
    ts = ev["ts"]
    entered = state[S_ENTERED][m] != NEVER
    creator = state[0][m, O_CREATOR]
    if ev["side"] < 0 and ev["trader"] == creator:
        return -1.0 if entered and params["exit_on_creator_sell"] != 0 else 0.0
    created = state[0][m, O_CREATED]
    if entered or created == NEVER or ts - created > np.int64(params["entry_window_s"] * 1e9):
        return 0.0
    if (
        state[0][m, O_CREATOR_SOLD] != 0
        or state[1][m, OF_CREATOR_BUY] > params["max_creator_buy_sol"]
        or state[0][m, O_BUYS] < params["min_buyers"]
    ):
        return 0.0
    ring = state[S_MINUTE]
    cur = state[S_CURSOR][0]
    if ts - ring[cur] < np.int64(60 * 1_000_000_000):
        return 0.0  # max_per_minute entries already in the last 60 s
    cap = state[S_CREATOR_CAP]
    c = creator if creator < cap.shape[0] else -1
    fresh = ts - cap[c, 0] >= np.int64(params["creator_window_s"] * 1e9) if c >= 0 else True
    if c >= 0 and not fresh and cap[c, 1] >= params["max_per_creator"]:
        return 0.0  # max_per_creator entries in this creator's current window
    if not creator_clean_nb(state[0], m, ts, params):
        return 0.0
    x = safe_size_nb(ts, state[0][m, O_LAST_SELL], ev["vsol"], params, equity)
    if x <= 0.0:
        return 0.0
    state[S_ENTERED][m] = ts
    ring[cur] = ts
    state[S_CURSOR][0] = (cur + 1) % ring.shape[0]
    if c >= 0:
        if fresh:
            cap[c, 0] = ts
            cap[c, 1] = 0
        cap[c, 1] += 1
    return x
