"""Hand-built launches for the strategy tests: ``engine_scenarios.Tape`` plus create events named
by their creator, liquidity pulls, and pools shared by two venues of one mint."""

from __future__ import annotations

import numpy as np
from engine_scenarios import T0, S, Tape
from memelab.datasets.schemas import KIND_CREATE

__all__ = ["LaunchTape", "S", "T0", "params_record"]


class LaunchTape(Tape):
    def launch(self, t: float, mint: int, creator: int) -> LaunchTape:
        """The mint's create event (a fresh curve), signed by ``creator``."""
        self.create(t, mint, trader=creator)
        row = list(self.rows[-1])
        row[6] = KIND_CREATE
        self.rows[-1] = tuple(row)
        return self

    def pull(self, t: float, mint: int, keep: float = 0.01, trader: int = 2) -> LaunchTape:
        """Liquidity pulled: the pool keeps ``keep`` of its reserves."""
        return self.set_reserves(t, mint, self.vs[mint] * keep, self.vt[mint] * keep, trader)


def params_record(fields, **overrides) -> np.void:
    """A params record of ``(name, type, default)`` fields with some values changed."""
    rec = np.zeros(1, np.dtype([(n, t) for n, t, _ in fields]))[0]
    for n, _, d in fields:
        rec[n] = overrides.get(n, d)
    return rec
