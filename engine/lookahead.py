"""The look-ahead guard: changing the future must not change the past.

Run a strategy over events, perturb every event strictly after a cut time (sizes, sides, reserves,
prices: timestamps and mints are kept so the order of events is unchanged), run again, and demand
that every decision (order), every fill and every equity sample up to the cut is identical, bit
for bit. A strategy
that peeks at future events -- through its state, precomputed inputs, or an engine bug -- is
caught. Usable as a test helper by every strategy (``assert check_lookahead(...).passed``) and
as ``memelab check lookahead``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from memelab.engine.config import EngineConfig
from memelab.engine.replay import run_replay


@dataclass(frozen=True)
class LookaheadReport:
    passed: bool
    cut_ts: int
    events: int
    events_perturbed: int
    orders_checked: int
    fills_checked: int
    first_difference: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def perturb_after(events: np.ndarray, cut_ts: int, seed: int = 0) -> np.ndarray:
    """A copy of ``events`` whose events with ``ts > cut_ts`` have random sizes, sides and prices."""
    out = events.copy()
    idx = np.flatnonzero(out["ts"] > cut_ts)
    if len(idx) == 0:
        return out
    rng = np.random.default_rng(seed)
    k = len(idx)
    scale = rng.uniform(0.3, 3.0, k)
    move = rng.uniform(0.5, 2.0, k)
    tail = out[idx]
    tail["sol"] *= scale
    tail["tokens"] *= scale / move
    trade = tail["side"] != 0
    flip = rng.random(k) < 0.5
    tail["side"] = np.where(trade & flip, -tail["side"], tail["side"])
    tail["vsol"] *= np.sqrt(move)
    tail["vtok"] /= np.sqrt(move)
    tail["price"] *= move
    out[idx] = tail
    return out


def _first_diff(a: np.ndarray, b: np.ndarray, what: str) -> str | None:
    if len(a) != len(b):
        return f"{what}: {len(a)} before the cut in the original run, {len(b)} after perturbing"
    for name in a.dtype.names:
        x, y = a[name], b[name]
        same = (x == y) | ((x != x) & (y != y)) if x.dtype.kind == "f" else x == y
        if not np.all(same):
            i = int(np.flatnonzero(~same)[0])
            return f"{what}[{i}].{name}: {x[i]!r} != {y[i]!r} (ts {int(a['ts'][i])})"
    return None


def check_lookahead(
    events: Any,
    strategy: ModuleType,
    params: Mapping[str, Any] | None = None,
    config: EngineConfig | None = None,
    cut: int | None = None,
    seed: int = 0,
    honeypot: np.ndarray | None = None,
    inputs: Any = None,
) -> LookaheadReport:
    """Run, perturb every event after ``cut`` (default: the median event time), re-run, compare.

    ``events`` is an ``EVENT_DTYPE`` array, a ``Lake`` or an ``engine.source.Source`` (a lake
    window is loaded into memory whole: bound it); ``strategy`` a strategy module.
    ``inputs`` (an input stage) is checked with the strategy: each run gets a fresh deep copy,
    so a stage whose row i reads events after i is caught like a leaking strategy.
    """
    from memelab.engine.source import Source

    src = Source.open(events, config=config, honeypot=honeypot)
    events = src.load()
    if src.lake is not None:  # the lake's ground truth, by mint id, for the in-memory runs
        honeypot = np.flatnonzero(src.honeypot)
        config = (config or EngineConfig()).replace(honeypot_mints=())
    if len(events) < 2:
        raise ValueError("look-ahead check needs at least 2 events")
    cut_ts = int(events["ts"][len(events) // 2]) if cut is None else int(cut)

    def run(ev: np.ndarray):
        stage = copy.deepcopy(inputs)
        return run_replay(ev, strategy, params, config, honeypot=honeypot, inputs=stage)[1]

    base = run(events)
    pert = run(perturb_after(events, cut_ts, seed))
    diff = None
    n_orders = n_fills = 0
    for what in ("orders", "fills", "equity"):
        a, b = getattr(base, what), getattr(pert, what)
        a, b = a[a["ts"] <= cut_ts], b[b["ts"] <= cut_ts]
        if what == "orders":
            n_orders = len(a)
        elif what == "fills":
            n_fills = len(a)
        diff = diff or _first_diff(a, b, what)
    return LookaheadReport(
        passed=diff is None,
        cut_ts=cut_ts,
        events=len(events),
        events_perturbed=int((events["ts"] > cut_ts).sum()),
        orders_checked=n_orders,
        fills_checked=n_fills,
        first_difference=diff,
    )
