"""Compiled fill math: constant product on (virtual) reserves, venue fee on the SOL side.

Every function takes plain floats and returns floats, so the replay kernel, sweeps and the live
paper executor share one implementation. Reserves are those *before* our transaction lands (as
left by every trade up to then); our own size moves the price inside the fill.
"""

from __future__ import annotations

import numpy as np
from memelab.engine.config import CURVE_CONCENTRATED, V_FEE, V_N_TIERS, V_SUPPLY, V_TIERS
from numba import njit


@njit(cache=True)
def buy_tokens_out_nb(vsol: float, vtok: float, sol_in: float, fee: float) -> float:
    """Tokens received for ``sol_in`` SOL: vT - k / (vS + sol_in * (1 - fee))."""
    x = sol_in * (1.0 - fee)
    if x <= 0.0 or vsol <= 0.0 or vtok <= 0.0:
        return 0.0
    return vtok * x / (vsol + x)  # == vT - vS*vT/(vS + x), without the cancellation


@njit(cache=True)
def sell_sol_out_nb(vsol: float, vtok: float, tokens_in: float, fee: float) -> float:
    """SOL received for ``tokens_in`` tokens, net of the venue fee: (vS - k / (vT + t)) * (1 - fee)."""
    if tokens_in <= 0.0 or vsol <= 0.0 or vtok <= 0.0:
        return 0.0
    return vsol * tokens_in / (vtok + tokens_in) * (1.0 - fee)


@njit(cache=True)
def pool_reserves_nb(
    vsol: float, vtok: float, price: float, curve: float, depth_mult: float, fallback_depth: float
) -> tuple[float, float]:
    """Reserves to price a fill against.

    Known reserves are used as they are (a concentrated-liquidity pool is approximated as a
    constant-product pool ``depth_mult`` times deeper). An event without reserves (a plain price
    feed) falls back to a constant-product pool of ``fallback_depth`` SOL at the last price.
    Returns (0, 0) when nothing is known (the fill fails for lack of liquidity).
    """
    if vsol == vsol and vtok == vtok and vtok > 0.0:
        if curve == CURVE_CONCENTRATED:
            return vsol * depth_mult, vtok * depth_mult
        return vsol, vtok
    if price == price and price > 0.0:
        return fallback_depth, fallback_depth / price
    return 0.0, 0.0


@njit(cache=True)
def spot_price_nb(vsol: float, vtok: float, price: float) -> float:
    """Marginal price from reserves when known, else the trade's own price."""
    if vsol == vsol and vtok == vtok and vtok > 0.0:
        return vsol / vtok
    return price


@njit(cache=True)
def buy_price_nb(vsol: float, vtok: float, sol_in: float, fee: float) -> float:
    """Effective SOL per token paid (fee and own impact included); inf when nothing fills."""
    out = buy_tokens_out_nb(vsol, vtok, sol_in, fee)
    return sol_in / out if out > 0.0 else np.inf


@njit(cache=True)
def sell_price_nb(vsol: float, vtok: float, tokens_in: float, fee: float) -> float:
    """Effective SOL per token received (fee and own impact included)."""
    if tokens_in <= 0.0:
        return 0.0
    return sell_sol_out_nb(vsol, vtok, tokens_in, fee) / tokens_in


@njit(cache=True)
def shift_by_own_sol_nb(vsol: float, vtok: float, own_sol: float) -> tuple[float, float]:
    """The pool as it really is while ``own_sol`` SOL of ours sits in it (k kept).

    Recorded reserves come from a history without us. Our open position put ``own_sol`` into
    the pool (net of what our partial sells took out); other traders' recorded flows are assumed
    unchanged in SOL, so the real pool is the recorded one plus our SOL, further along the same
    curve. Selling back into a quiet pool then returns our own impact, as on chain; our impact
    fades as the pool grows; with no position the pool is the recorded one.
    """
    if own_sol == 0.0 or vsol <= 0.0 or vtok <= 0.0:
        return vsol, vtok
    s = max(vsol + own_sol, 0.01 * vsol)  # never drain the pool completely
    return s, vsol * vtok / s


@njit(cache=True)
def venue_fee_nb(venues, venue: int, vsol: float, vtok: float) -> float:
    """The venue's fee (fraction of the SOL side) for a pool in this state.

    Flat unless the venue has market-cap tiers: then the tier whose threshold the pool's market
    cap (spot price x supply) has reached (the first tier below every threshold).
    """
    n = int(venues[venue, V_N_TIERS])
    if n == 0:
        return venues[venue, V_FEE]
    mcap = vsol / vtok * venues[venue, V_SUPPLY] if vtok > 0.0 else 0.0
    fee = venues[venue, V_TIERS + 1]
    for k in range(1, n):
        if mcap >= venues[venue, V_TIERS + 2 * k]:
            fee = venues[venue, V_TIERS + 2 * k + 1]
    return fee
