"""Entry safety checks shared by the strategies (compiled): the one place they are written.

- **Sellability**: a mint is sellable when a wallet other than its creator sold it within the
  last ``sell_check_s`` (60 s). A honeypot lets only its creator sell, so a mint nobody else has
  sold recently may be one (or may just be quiet: the check cannot tell, and skips both).
- **Price impact**: on a constant-product pool the average fill of an order of ``x`` SOL is
  ``1 + x / vsol`` times the spot price, so the order must stay <= ``max_impact`` x the SOL
  reserve. The requested size is shrunk until it fits; the entry is skipped when that leaves
  less than ``min_size_frac`` of the base size.
- **Creator filters** (the launch sniper's): per mint, what its creator did (own buys, any sell)
  and what the market showed (liquidity pulled, a creator sell that crashed the price, buyers who
  never manage to sell); per creator, a chain of its earlier mints. ``creator_clean_nb`` walks the
  chain and refuses a creator with an earlier rug or honeypot *as observed so far*: evidence
  from the events seen, never the synthetic ground truth.

Parameters are read from the strategy's params record by name (``SAFETY_FIELDS``,
``CREATOR_FIELDS``: add them to a strategy's ``PARAMS_DTYPE``).
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import KIND_CREATE, KIND_LIQUIDITY
from numba import njit

NEVER = np.iinfo(np.int64).min // 2  # "no such time yet"

# (name, type, default): the sellability and impact checks.
SAFETY_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("sell_check_s", np.float64, 60.0),  # sellability: a non-creator sell within this many s
    ("max_impact", np.float64, 0.01),  # estimated price impact bar of our order
    ("impact_order_frac", np.float64, 0.05),  # order estimate = this x equity (the base size)
    ("impact_order_sol", np.float64, 0.5),  # order estimate when equity is unknown
    ("require_reserves", np.int64, 1),  # 1: no reserves on the event -> impact unknown -> skip
    ("min_size_frac", np.float64, 0.02),  # skip when impact-capped size < this x base size
)

# The creator filters' evidence rules.
CREATOR_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("rug_drop", np.float64, 0.8),  # a liquidity event removing >= this share of SOL: a rug
    ("dump_price_drop", np.float64, 0.5),  # a creator sell dropping the price >= this: a rug
    ("hp_obs_s", np.float64, 300.0),  # honeypot evidence: a mint this old ...
    ("hp_min_buys", np.int64, 5),  # ... with >= this many non-creator buys ...
    # ... and no non-creator sell ever
    ("max_history", np.int64, 64),  # earlier mints of a creator looked at (most recent first)
)

# Per-mint observation table (int64 columns).
O_CREATED = 0  # create event time (NEVER: its launch was not seen)
O_CREATOR = 1  # creator wallet id (-1 unknown)
O_PREV = 2  # the creator's previous mint (-1: none): the history chain
O_LAST_SELL = 3  # last sell by a wallet other than the creator
O_BUYS = 4  # buys by non-creators
O_SELLS = 5  # sells by non-creators
O_CREATOR_SOLD = 6  # 1 once the creator sold
O_RUGGED = 7  # 1 once a rug was observed (liquidity pulled, or a crashing creator dump)
N_OBS_I = 8
# Per-mint observation table (float64 columns).
OF_CREATOR_BUY = 0  # SOL the creator bought
OF_VSOL = 1  # last SOL reserve seen
N_OBS_F = 2


def new_observations(n_mints: int, n_wallets: int, creator=None) -> tuple[np.ndarray, ...]:
    """(per-mint int table, per-mint float table, per-creator head of its mint chain)."""
    obs = np.zeros((max(n_mints, 1), N_OBS_I), dtype=np.int64)
    obs[:, O_CREATED] = NEVER
    obs[:, O_LAST_SELL] = NEVER
    obs[:, O_CREATOR] = -1
    obs[:, O_PREV] = -1
    if creator is not None and len(creator):
        k = min(len(creator), obs.shape[0])
        obs[:k, O_CREATOR] = np.asarray(creator[:k], dtype=np.int64)
    fobs = np.zeros((obs.shape[0], N_OBS_F))
    fobs[:, OF_VSOL] = np.nan
    head = np.full(max(n_wallets, 1), -1, dtype=np.int64)
    return obs, fobs, head


@njit(cache=True)
def note_sell_nb(last_sell, creator, mint, trader, ts) -> None:
    """Sellability evidence: a sell of ``mint`` by a wallet other than its creator."""
    if trader != creator[mint]:
        last_sell[mint] = ts


@njit(cache=True)
def sellable_nb(ts, last_sell_ts, window_s) -> bool:
    """A non-creator sell within ``window_s`` before ``ts``."""
    return ts - last_sell_ts <= np.int64(window_s * 1e9)


@njit(cache=True)
def impact_fit_nb(want, vsol, base, params) -> float:
    """The size multiple (<= ``want``) whose order moves the price <= ``max_impact``; 0: skip.

    ``base`` is the SOL of a 1.0 multiple. No reserves: ``want`` unless ``require_reserves``.
    """
    if not (vsol == vsol and vsol > 0.0):
        return want if params["require_reserves"] == 0 else 0.0
    if base <= 0.0:
        return want
    fit = params["max_impact"] * vsol / base
    if fit < want:
        want = fit
    return want if want >= params["min_size_frac"] else 0.0


@njit(cache=True)
def base_order_sol_nb(equity, params) -> float:
    """Our order's SOL at a 1.0 multiple: ``impact_order_frac`` x equity (or a fixed guess)."""
    return equity * params["impact_order_frac"] if equity > 0.0 else params["impact_order_sol"]


@njit(cache=True)
def safe_size_nb(ts, last_sell_ts, vsol, params, equity) -> float:
    """The size multiple to request (``params["size"]`` cut to fit), 0.0 when unsafe.

    Sellable: a non-creator sell (at ``last_sell_ts``) within ``sell_check_s``. Impact: the base
    order times the multiple must stay <= ``max_impact`` x the SOL reserve (``impact_fit_nb``).
    """
    if not sellable_nb(ts, last_sell_ts, params["sell_check_s"]):
        return 0.0
    return impact_fit_nb(params["size"], vsol, base_order_sol_nb(equity, params), params)


@njit(cache=True)
def safe_entry_size_nb(ts, mint, vsol, last_sell, params, equity) -> float:
    """``safe_size_nb`` for ``mint`` with its last non-creator sell in ``last_sell[mint]``."""
    return safe_size_nb(ts, last_sell[mint], vsol, params, equity)


@njit(cache=True)
def observe_nb(ev, obs, fobs, head, params) -> None:
    """Update a mint's observation row with this event (every kind; call it on every event)."""
    m = ev["mint"]
    if m < 0 or m >= obs.shape[0]:
        return
    kind = ev["kind"]
    side = ev["side"]
    ts = ev["ts"]
    vs = ev["vsol"]
    prev_vs = fobs[m, OF_VSOL]
    if kind == KIND_CREATE:  # the launch names its creator (the create tx's signer)
        if obs[m, O_CREATED] == NEVER:
            obs[m, O_CREATED] = ts
            c = ev["trader"]
            obs[m, O_CREATOR] = c
            if 0 <= c < head.shape[0] and head[c] != m:
                obs[m, O_PREV] = head[c]
                head[c] = m
    elif kind == KIND_LIQUIDITY:  # a pull of >= rug_drop of the SOL is a rug
        if vs == vs and prev_vs == prev_vs and vs <= (1.0 - params["rug_drop"]) * prev_vs:
            obs[m, O_RUGGED] = 1
    elif side != 0:
        is_creator = ev["trader"] == obs[m, O_CREATOR]
        if side > 0:
            if is_creator:
                fobs[m, OF_CREATOR_BUY] += ev["sol"]
            else:
                obs[m, O_BUYS] += 1
        elif is_creator:
            obs[m, O_CREATOR_SOLD] = 1
            # a dump that takes the price down by dump_price_drop is a rug on a curve
            # (constant product: price ratio = (vsol after / vsol before) ** 2)
            if vs == vs and prev_vs == prev_vs and prev_vs > 0.0:
                r = vs / prev_vs
                if r * r <= 1.0 - params["dump_price_drop"]:
                    obs[m, O_RUGGED] = 1
        else:
            obs[m, O_LAST_SELL] = ts
            obs[m, O_SELLS] += 1
    if vs == vs:
        fobs[m, OF_VSOL] = vs


@njit(cache=True)
def honeypot_seen_nb(obs, m, ts, params) -> bool:
    """Honeypot evidence by ``ts``: old enough, bought by others, never sold by anyone else."""
    created = obs[m, O_CREATED]
    return (
        created != NEVER
        and ts - created >= np.int64(params["hp_obs_s"] * 1e9)
        and obs[m, O_BUYS] >= params["hp_min_buys"]
        and obs[m, O_SELLS] == 0
    )


@njit(cache=True)
def creator_clean_nb(obs, m, ts, params) -> bool:
    """No earlier mint of ``m``'s creator was seen rugged or honeypotted (by ``ts``)."""
    k = obs[m, O_PREV]
    n = 0
    while k >= 0 and n < params["max_history"]:
        if obs[k, O_RUGGED] != 0 or honeypot_seen_nb(obs, k, ts, params):
            return False
        k = obs[k, O_PREV]
        n += 1
    return True
