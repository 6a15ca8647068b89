"""``FeatureStream``: the resumable wrapper around ``features_nb`` (state, growth, batching).

One object per replay (backtest, training-set build, live runner): feed it chunks in time order
(or one event at a time) and it returns each event's feature row, computed from events up to and
including that one. Its state grows when a chunk brings a token or wallet id beyond its arrays.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.research.features import features_nb as fnb
from memelab.research.wallets import scoring_nb

# The scorer behind the wallet-score-weighted flow: SPEC defaults, smaller rings (these hold the
# pending buys of the last 15 min and the outcomes of the last 60 min, not the whole history).
SCORER_CAPACITY = 1 << 16


def scorer_params() -> np.void:
    return scoring_nb.scorer_params(
        pending_capacity=SCORER_CAPACITY, outcome_capacity=SCORER_CAPACITY
    )


class FeatureStream:
    """Causal per-event features over a stream of ``EVENT_DTYPE`` chunks.

    ``creator``: int32 creator wallet id per mint (-1 unknown), static launch metadata.
    """

    def __init__(self, n_mints: int = 1, n_wallets: int = 1, creator: np.ndarray | None = None):
        self.sp = scorer_params()
        n_mints, n_wallets = max(int(n_mints), 1), max(int(n_wallets), 1)
        self.scorer = scoring_nb.new_scorer_state(n_mints, n_wallets, self.sp)
        self.state = fnb.new_feature_state(n_mints, n_wallets)
        self.creator = np.full(n_mints, -1, dtype=np.int32)
        if creator is not None and len(creator):
            c = np.asarray(creator, dtype=np.int32)[:n_mints]
            self.creator[: len(c)] = c
        self.events_seen = 0  # the scorer's own event counter (its pending-buy ids)

    @property
    def n_mints(self) -> int:
        return self.state[0].shape[0]

    @property
    def n_wallets(self) -> int:
        return self.state[4].shape[0]

    def _grow(self, n_mints: int, n_wallets: int) -> None:
        """Reallocate to at least these sizes (doubling), keeping every row of state."""
        nm = max(self.n_mints, n_mints if n_mints <= self.n_mints else 2 * n_mints)
        nw = max(self.n_wallets, n_wallets if n_wallets <= self.n_wallets else 2 * n_wallets)
        fresh_sc = scoring_nb.new_scorer_state(nm, nw, self.sp)
        per_mint, per_wallet = (0, 1, 2, 3), (9, 10)
        scorer = []
        for k, (old, new) in enumerate(zip(self.scorer, fresh_sc, strict=True)):
            if k in per_mint or k in per_wallet:
                new[: old.shape[0]] = old
                scorer.append(new)
            else:
                scorer.append(old)
        self.scorer = tuple(scorer)
        fresh = fnb.new_feature_state(nm, nw)
        for old, new in zip(self.state, fresh, strict=True):
            new[: old.shape[0]] = old
        self.state = fresh
        creator = np.full(nm, -1, dtype=np.int32)
        creator[: len(self.creator)] = self.creator
        self.creator = creator

    def update(self, events: np.ndarray, with_seq: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Advance by ``events``; return (features (n, N_FEATURES) float32, sequences
        (n, SEQ_LEN, N_SEQ) float32, empty unless ``with_seq``)."""
        if events.dtype != EVENT_DTYPE:
            raise TypeError(f"events must have EVENT_DTYPE, got {events.dtype}")
        n = len(events)
        x = np.zeros((n, fnb.N_FEATURES), dtype=np.float32)
        seq = np.zeros((n if with_seq else 0, fnb.SEQ_LEN, fnb.N_SEQ), dtype=np.float32)
        if n == 0:
            return x, seq
        top_m, top_w = int(events["mint"].max()), int(events["trader"].max())
        if top_m >= self.n_mints or top_w >= self.n_wallets:
            self._grow(top_m + 1, top_w + 1)
        events = np.ascontiguousarray(events)
        fnb.features_nb(
            events, self.events_seen, self.sp, self.scorer, self.creator, *self.state, x, seq
        )
        self.events_seen += n
        return x, seq
