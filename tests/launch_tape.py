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


def random_launches(
    n_mints: int, seed: int, n_creators: int = 12, drift: float = 0.0
) -> np.ndarray:
    """Launches with random early flow and no edge: each mint gets buys and sells by random
    wallets (buy probability 0.5 + ``drift``) over its first ~5 minutes, a creator buy on some,
    a creator dump or a liquidity pull on others. Creators are wallets 1..n_creators; traders
    100..399."""
    rng = np.random.default_rng(seed)
    tape = LaunchTape()
    t0 = np.sort(rng.uniform(0, 6 * 3600, n_mints))
    for m in range(n_mints):
        c = 1 + int(rng.integers(n_creators))
        t = float(t0[m])
        tape.launch(t, m, creator=c)
        if rng.random() < 0.4:
            tape.buy(t + 0.05, m, float(rng.lognormal(-1.5, 1.0)), trader=c)
        held: dict[int, float] = {}
        fate = rng.random()
        tt = t
        for _ in range(int(rng.integers(5, 60))):
            tt += float(rng.exponential(4.0))
            w = 100 + int(rng.integers(300))
            if rng.random() < 0.5 + drift or not held:
                before = tape.vt[m]
                tape.buy(tt, m, float(rng.lognormal(-2.0, 1.2)), trader=w)
                held[w] = held.get(w, 0.0) + before - tape.vt[m]
            else:
                w = list(held)[int(rng.integers(len(held)))]
                tape.sell(tt, m, held.pop(w), trader=w)
        if fate < 0.15:
            tape.pull(tt + 1.0, m, keep=0.02)
        elif fate < 0.35:
            tape.sell(tt + 1.0, m, (1_073_000_000.0 - tape.vt[m]) * 0.05 + 1e6, trader=c)
    return tape.events()


def grown_equals_whole(strategy, events, params=None, config=None, chunk: int = 300) -> int:
    """Replay ``events`` once sized for the whole, once starting from a context of 2 mints,
    2 pools and 2 wallets that grows chunk by chunk; assert the records are identical byte for
    byte and return the number of fills (so a caller can demand that something happened)."""
    from memelab.engine.replay import Replay, ReplayContext

    n_m = int(events["mint"].max()) + 1
    n_p = int(events["pool"].max()) + 1
    n_w = int(events["trader"].max()) + 1
    t0 = int(events["ts"][0])
    whole = Replay(strategy, params, config, ReplayContext(n_m, n_w, np.full(n_m, -1, np.int32),
                                                           t0, n_pools=n_p))  # fmt: skip
    whole.feed(events)
    want = whole.finish()
    grown = Replay(strategy, params, config, ReplayContext(2, 2, np.full(2, -1, np.int32), t0,
                                                           n_pools=2))  # fmt: skip
    for lo in range(0, len(events), chunk):
        grown.feed(events[lo : lo + chunk])
    got = grown.finish()
    for what in ("orders", "fills", "trades", "equity", "rejects", "acct", "iacct"):
        assert getattr(want, what).tobytes() == getattr(got, what).tobytes(), what
    return len(want.fills)
