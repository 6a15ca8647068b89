"""Hand-built event streams and scripted strategies for the engine tests.

Markers: an event by trader ``BUY_TRADER`` makes the scripted strategy request a buy of that mint;
``SELL_TRADER`` requests a close. Prices are scripted with side-0 (liquidity) events that set the
reserves directly, keeping k constant, so exits can be driven to exact levels.
"""

from __future__ import annotations

import math
import types

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE, KIND_LIQUIDITY, KIND_TRADE
from numba import njit

VS0 = 30.0  # fresh pump.fun curve: virtual SOL
VT0 = 1_073_000_000.0  # virtual tokens
K = VS0 * VT0
T0 = 1_767_225_600 * 1_000_000_000  # 2026-01-01 00:00 UTC, ns
BUY_TRADER = 900
SELL_TRADER = 901
S = 1_000_000_000


def reserves_at(mult: float) -> tuple[float, float]:
    """Reserves on the k = 30 x 1.073e9 curve whose spot price is ``mult`` x the starting price."""
    return VS0 * math.sqrt(mult), VT0 / math.sqrt(mult)


class Tape:
    """Build an EVENT_DTYPE array event by event (times in seconds after T0)."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.vs: dict[int, float] = {}
        self.vt: dict[int, float] = {}

    def _add(self, t, mint, trader, side, sol, tokens, vs, vt, venue=0, price=None):
        px = vs / vt if price is None else price
        kind = KIND_TRADE if side != 0 else KIND_LIQUIDITY
        self.rows.append(
            (T0 + int(round(t * S)), 0, mint, trader, side, venue, kind, mint, sol, tokens, px,
             vs, vt, np.nan)
        )  # fmt: skip

    def create(
        self, t: float, mint: int, vs: float = VS0, vt: float = VT0, trader: int = 1
    ) -> Tape:
        self.vs[mint], self.vt[mint] = vs, vt
        self._add(t, mint, trader, 0, 0.0, 0.0, vs, vt)
        return self

    def price(self, t: float, mint: int, mult: float, trader: int = 2) -> Tape:
        """A liquidity event moving the spot price to ``mult`` x the starting price."""
        vs, vt = reserves_at(mult)
        self.vs[mint], self.vt[mint] = vs, vt
        self._add(t, mint, trader, 0, 0.0, 0.0, vs, vt)
        return self

    def set_reserves(self, t: float, mint: int, vs: float, vt: float, trader: int = 2) -> Tape:
        self.vs[mint], self.vt[mint] = vs, vt
        self._add(t, mint, trader, 0, 0.0, 0.0, vs, vt)
        return self

    def buy(self, t: float, mint: int, sol: float, trader: int = 3, fee: float = 0.01) -> Tape:
        vs, vt = self.vs[mint], self.vt[mint]
        x = sol * (1 - fee)
        out = vt * x / (vs + x)
        self.vs[mint], self.vt[mint] = vs + x, vt - out
        self._add(t, mint, trader, 1, sol, out, vs + x, vt - out)
        return self

    def sell(self, t: float, mint: int, tokens: float, trader: int = 3, fee: float = 0.01) -> Tape:
        vs, vt = self.vs[mint], self.vt[mint]
        gross = vs * tokens / (vt + tokens)
        self.vs[mint], self.vt[mint] = vs - gross, vt + tokens
        self._add(t, mint, trader, -1, gross * (1 - fee), tokens, vs - gross, vt + tokens)
        return self

    def signal(self, t: float, mint: int) -> Tape:
        """A marker (side-0, reserves unchanged) on which the scripted strategy asks to buy."""
        self._add(t, mint, BUY_TRADER, 0, 0.0, 0.0, self.vs[mint], self.vt[mint])
        return self

    def close_signal(self, t: float, mint: int) -> Tape:
        self._add(t, mint, SELL_TRADER, 0, 0.0, 0.0, self.vs[mint], self.vt[mint])
        return self

    def tick(self, t: float, mint: int) -> Tape:
        """An event that changes nothing (lets time pass and in-flight orders land)."""
        self._add(t, mint, 4, 0, 0.0, 0.0, self.vs[mint], self.vt[mint])
        return self

    def events(self) -> np.ndarray:
        ev = np.array(self.rows, dtype=EVENT_DTYPE)
        order = np.argsort(ev["ts"], kind="stable")
        return ev[order]


@njit(cache=True)
def _scripted_on_event(ev, params, state, knobs):
    state[0][0] = knobs[0]  # last tier seen, for the knob test
    state[0][1] = knobs[1]
    if ev["trader"] == 900:
        return params["size"]
    if ev["trader"] == 901:
        return -1.0
    return 0.0


def _scripted_init(ctx, params):
    return (np.zeros(2),)


SCRIPTED = types.SimpleNamespace(
    NAME="scripted",
    PARAMS_DTYPE=np.dtype([("size", np.float64)]),
    DEFAULTS={"size": 1.0},
    SWEEP={"size": [0.5, 1.0]},
    init_state=_scripted_init,
    on_event=_scripted_on_event,
)


@njit(cache=True)
def _leaky_on_event(ev, params, state, knobs):
    final_px = state[0]
    m = ev["mint"]
    if ev["side"] == 0 or not ev["vtok"] > 0:
        return 0.0
    px = ev["vsol"] / ev["vtok"]
    if final_px[m] > px * params["edge"]:  # "knows" the mint ends higher: classic label leak
        return 1.0
    return 0.0


def _leaky_init(ctx, params):
    """Precomputes each mint's *final* price from the whole source: future information."""
    ev = ctx.source
    final_px = np.zeros(ctx.n_mints)
    ok = ev["vtok"] > 0
    final_px[ev["mint"][ok]] = ev["vsol"][ok] / ev["vtok"][ok]  # last write per mint wins
    return (final_px,)


LEAKY = types.SimpleNamespace(
    NAME="leaky",
    PARAMS_DTYPE=np.dtype([("edge", np.float64)]),
    DEFAULTS={"edge": 1.05},
    SWEEP={},
    init_state=_leaky_init,
    on_event=_leaky_on_event,
)


def random_market(n: int, n_mints: int, seed: int) -> np.ndarray:
    """A random multi-mint bonding-curve market with bursts of buying (exercises momentum)."""
    rng = np.random.default_rng(seed)
    ts = T0 + np.cumsum(rng.integers(1, 2 * S, n))
    mint = rng.integers(0, n_mints, n)
    vs = np.full(n_mints, VS0)
    vt = np.full(n_mints, VT0)
    bias = rng.uniform(0.35, 0.75, n_mints)
    ev = np.zeros(n, EVENT_DTYPE)
    for i in range(n):
        m = mint[i]
        side = 1 if rng.random() < bias[m] else -1
        sol = rng.exponential(0.8)
        if side > 0:
            x = sol * 0.99
            out = vt[m] * x / (vs[m] + x)
            vs[m] += x
            vt[m] -= out
            tokens = out
        else:
            tokens = min(vt[m] * sol / vs[m], vt[m] * 0.2)
            gross = vs[m] * tokens / (vt[m] + tokens)
            vs[m] -= gross
            vt[m] += tokens
            sol = gross * 0.99
        if rng.random() < 0.01:
            bias[m] = rng.uniform(0.35, 0.8)
        ev[i] = (
            ts[i],
            0,
            m,
            rng.integers(0, 200),
            side,
            0,
            0,
            m,
            sol,
            tokens,
            vs[m] / vt[m],
            vs[m],
            vt[m],
            np.nan,
        )
    return ev
