"""Cross-pool price gap: when one mint trades on two pools at different prices, buy on the cheap
pool and sell on the dear one, both legs in one atomic transaction.

Idea: after a graduation a mint can trade on its PumpSwap pool and on other AMM pools at once;
flow hits one pool and moves its price while the other lags until someone closes the gap. When
the gap covers both pools' fees, our priority fee and tip, and the slippage expected over our
latency, we buy on the cheaper pool and sell on the other. The size is chosen by pricing the two
legs exactly on the posted reserves (constant product, fees and our own impact included) for a
few multiples of the base order and keeping the most profitable one. The order goes through the
engine's atomic request (``engine.requests_nb.request_arb_nb``): the engine prices both legs at
landing, and the transaction reverts whole (we pay only its priority fee) unless it ends in
profit, as on-chain arbitrage does with a profit check in the same transaction. No position is
held, so no exit rules apply. Variant ``atomic = 0``: two ordinary orders (a buy of the cheap
pool through the request API; the engine sells that position on the pool it was bought on,
through its exits), i.e. the inventory stays until the engine's exits sell it on the cheap
pool, not the dear one: the variant is a directional trade that only starts at the gap.

This is not front-running: it trades against prices already posted by landed transactions and
never sees, let alone orders against, another user's pending transaction.

Guard against harvesting one recorded gap twice: the engine replays recorded reserves, which
do not carry our arbitrage's impact forward (the real gap would have closed). After an attempt
on a mint, the mint is spent until its gap has been seen below the entry bar again.

What the synthetic market can and cannot tell: its generator has no multi-pool graduations yet
(each mint trades on one pool at a time), so on the default market this strategy never trades
and the scenario tests build the two-pool events by hand. How results depend on the market's
arbitrage-lag knob is left until the generator has one.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import KIND_LIQUIDITY
from memelab.engine.requests_nb import request_arb_nb, request_entry_nb
from memelab.engine.risk import KNOB_EQUITY
from numba import njit

NAME = "venue_gap"

_FIELDS: tuple[tuple[str, type, float | int], ...] = (
    ("curve_fee_bps", np.float64, 100.0),  # venue fee on bonding curves (pump.fun, launchlab)
    ("amm_fee_bps", np.float64, 25.0),  # venue fee on AMM pools
    ("tx_cost_sol", np.float64, 0.0002),  # our priority fee + tip per transaction
    ("latency_s", np.float64, 0.4),  # our expected latency (match EngineConfig.latency_s)
    ("slip_bps_per_s", np.float64, 20.0),  # expected adverse move of the gap per second
    ("min_edge_bps", np.float64, 10.0),  # required profit over costs, in bps of the order
    ("order_frac", np.float64, 0.05),  # base order = this x equity (EngineConfig.position_fraction)
    ("max_size", np.float64, 1.0),  # largest multiple of the base order tried
    ("max_quote_age_s", np.float64, 600.0),  # the other pool's last event at most this old
    ("atomic", np.int64, 1),  # 1: one atomic two-leg transaction; 0: a plain buy on the cheap pool
)
PARAMS_DTYPE = np.dtype([(name, typ) for name, typ, _ in _FIELDS])
DEFAULTS: dict[str, float | int] = {name: default for name, _, default in _FIELDS}
SWEEP: dict[str, list] = {
    "min_edge_bps": [0.0, 10.0, 30.0, 100.0],
    "slip_bps_per_s": [0.0, 20.0, 100.0],
    "max_size": [0.25, 1.0, 2.0],
    "latency_s": [0.0, 0.4, 1.0],
}

MAX_POOLS = 4  # pools remembered per mint
SIZES = (1.0, 0.5, 0.25, 0.1, 0.05)  # multiples of max_size tried
# per-pool float state
P_VSOL = 0
P_VTOK = 1
P_TS = 2
P_FEE = 3
P_RUGGED = 4
N_P = 5


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Per pool: reserves, last event time, fee, rugged; per mint: its pools and a spent flag."""
    pools = np.zeros((max(int(ctx.pools), 1), N_P))
    pools[:, P_VSOL] = np.nan
    mint_pools = np.full((max(int(ctx.n_mints), 1), MAX_POOLS), -1, dtype=np.int64)
    spent = np.zeros(max(int(ctx.n_mints), 1), dtype=np.int64)
    return (pools, mint_pools, spent)


@njit(cache=True)
def two_leg_out_nb(sol, s1, t1, f1, s2, t2, f2) -> float:
    """SOL back from buying with ``sol`` on pool 1 and selling every token on pool 2 (constant
    product on the reserves, venue fee on the SOL side of each leg)."""
    x = sol * (1.0 - f1)
    tokens = t1 * x / (s1 + x)
    return s2 * tokens / (t2 + tokens) * (1.0 - f2)


@njit(cache=True)
def best_arb_nb(s1, t1, f1, s2, t2, f2, base, params) -> tuple[float, float]:
    """(size multiple, expected profit in SOL) of the best order buying on pool 1 and selling
    on pool 2, net of venue fees, impact, tx cost and the latency slippage bar; (0, 0) if none
    clears ``min_edge_bps``."""
    slip = params["slip_bps_per_s"] * params["latency_s"] * 1e-4
    edge = params["min_edge_bps"] * 1e-4
    best_x = 0.0
    best_p = 0.0
    for k in range(len(SIZES)):
        x = SIZES[k] * params["max_size"]
        sol = x * base
        if sol <= 0.0:
            continue
        profit = two_leg_out_nb(sol, s1, t1, f1, s2, t2, f2) - sol - params["tx_cost_sol"]
        if profit - (slip + edge) * sol > best_p:
            best_p = profit - (slip + edge) * sol
            best_x = x
    return best_x, best_p


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Update this pool's quote; if the mint's pools disagree by more than the costs, ask for
    the two-leg trade."""
    equity = knobs[KNOB_EQUITY]
    pools = state[0]
    mint_pools = state[1]
    spent = state[2]
    p = ev["pool"]
    m = ev["mint"]
    if p < 0 or p >= pools.shape[0] or m < 0 or m >= mint_pools.shape[0]:
        return 0.0
    vs = ev["vsol"]
    vt = ev["vtok"]
    if not (vs == vs and vt == vt and vs > 0.0 and vt > 0.0):
        return 0.0
    prev = pools[p, P_VSOL]
    if ev["kind"] == KIND_LIQUIDITY and prev == prev and vs <= 0.2 * prev:  # liquidity pulled
        pools[p, P_RUGGED] = 1.0
    pools[p, P_VSOL] = vs
    pools[p, P_VTOK] = vt
    pools[p, P_TS] = ev["ts"]
    v = ev["venue"]
    curve = v == 0 or v == 4  # pump.fun, launchlab: bonding curves
    pools[p, P_FEE] = (params["curve_fee_bps"] if curve else params["amm_fee_bps"]) * 1e-4
    slot = -1
    for k in range(MAX_POOLS):
        if mint_pools[m, k] == p or mint_pools[m, k] < 0:
            slot = k
            break
    if slot >= 0:
        mint_pools[m, slot] = p
    base = equity * params["order_frac"] if equity > 0.0 else 0.0
    max_age = np.int64(params["max_quote_age_s"] * 1e9)
    best_x = 0.0
    best_p = 0.0
    buy = -1
    sell = -1
    for k in range(MAX_POOLS):
        q = mint_pools[m, k]
        if q < 0 or q == p or pools[q, P_RUGGED] != 0.0 or pools[p, P_RUGGED] != 0.0:
            continue
        if ev["ts"] - np.int64(pools[q, P_TS]) > max_age:
            continue
        for d in range(2):  # buy on p, sell on q; then the other way
            a, b = (p, q) if d == 0 else (q, p)
            x, gain = best_arb_nb(
                pools[a, P_VSOL], pools[a, P_VTOK], pools[a, P_FEE],
                pools[b, P_VSOL], pools[b, P_VTOK], pools[b, P_FEE], base, params,
            )  # fmt: skip
            if gain > best_p:
                best_p = gain
                best_x = x
                buy = a
                sell = b
    if best_x <= 0.0:
        spent[m] = 0  # the gap is below the bar: the next one is a new gap
        return 0.0
    if spent[m] != 0:
        return 0.0
    spent[m] = 1
    if params["atomic"] != 0:
        request_arb_nb(knobs, buy, sell, best_x)
    else:
        request_entry_nb(knobs, buy, best_x)
    return 0.0
