"""The engine's per-event input stage for a trained model (interface 1 of the project).

``ModelInputStage(model_dir)`` is called by the engine once per chunk (live: per event) with the
chunk's events and the global index of its first event; it returns ``(n, 1)`` float64: the
model's probability at each event, computed from that event and everything before it (the
``FeatureStream`` state carries across calls). A backtest window that starts before the model's
``backtest_from`` (end of validation + embargo) is refused: the model saw that data.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import numpy as np
from memelab.research.features.stream import FeatureStream
from memelab.research.models.inference import Predictor
from memelab.research.models.splits import check_backtest_start

WARMUP_S = 6 * 3600.0  # token lives are hours: this much history rebuilds their state


class ModelInputStage:
    """Causal model probabilities per event, batched per chunk (``names = ("ml_prob",)``)."""

    names: tuple[str, ...] = ("ml_prob",)

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        n_mints: int = 1,
        n_wallets: int = 1,
        creator: np.ndarray | None = None,
        batch: int = 1 << 15,
    ):
        self.model_dir = Path(model_dir)
        self.predictor = Predictor(self.model_dir)
        self.ranges: dict[str, Any] = self.predictor.meta["ranges"]
        self.stream = FeatureStream(n_mints, n_wallets, creator)
        self.batch = int(batch)
        self._start: FeatureStream | None = None  # state at the first call (after warm-up)
        self._next: int | None = None

    @classmethod
    def from_lake(cls, model_dir: str | os.PathLike[str], lake: Any, start: int | None,
                  warmup_s: float = WARMUP_S) -> ModelInputStage:  # fmt: skip
        """A stage for a backtest of ``lake`` from ``start``: sized from the lake's dictionaries,
        creators from its launches, token state warmed on the ``warmup_s`` before ``start``.
        Refuses a ``start`` before the model's ``backtest_from``."""
        from memelab.engine.replay import _context_from_lake

        meta_ranges = Predictor(model_dir).meta["ranges"]
        check_backtest_start(meta_ranges, start, f"model {model_dir}")
        ctx = _context_from_lake(lake, start)
        stage = cls(model_dir, ctx.n_mints, ctx.n_wallets, ctx.creator)
        if warmup_s > 0:
            for chunk in lake.iter_events(int(start - warmup_s * 1e9), int(start)):
                stage.warm_up(chunk)
        return stage

    @classmethod
    def for_source(cls, model_dir: str | os.PathLike[str], source: Any, start: int | None,
                   warmup_s: float = WARMUP_S) -> ModelInputStage:  # fmt: skip
        """A stage for a backtest of ``source`` (a lake, its path, or an ``EVENT_DTYPE`` array)
        from ``start`` (ns; None: the first event): what ``memelab backtest --strategy ml
        --model DIR`` needs. Refuses a start before the model's ``backtest_from``."""
        if isinstance(source, np.ndarray):
            first = int(source["ts"][0]) if len(source) else None
            start = first if start is None else int(start)
            check_backtest_start(Predictor(model_dir).meta["ranges"], start, f"model {model_dir}")
            n_m = int(source["mint"].max()) + 1 if len(source) else 1
            n_w = int(source["trader"].max()) + 1 if len(source) else 1
            stage = cls(model_dir, n_m, n_w)
            lo = np.searchsorted(source["ts"], start - int(warmup_s * 1e9))
            hi = np.searchsorted(source["ts"], start)
            if warmup_s > 0 and hi > lo:
                stage.warm_up(np.ascontiguousarray(source[lo:hi]))
            return stage
        from memelab.datasets.lake import Lake

        lake = source if isinstance(source, Lake) else Lake(os.fspath(source))
        lake.require()
        if start is None:
            start = int(lake.manifest("swaps")["time_range"][0])
        return cls.from_lake(model_dir, lake, start, warmup_s)

    def __deepcopy__(self, memo: dict) -> ModelInputStage:
        """A copy with its own feature state, sharing the (stateless) predictor: what the
        engine's look-ahead check makes of a stage to run it twice."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.stream = copy.deepcopy(self.stream, memo)
        new._start = copy.deepcopy(self._start, memo)
        return new

    def warm_up(self, events: np.ndarray) -> None:
        """Advance the feature state by events before the window (no predictions)."""
        if self._next is not None:
            raise RuntimeError("warm_up must come before the first call of the stage")
        for a in range(0, len(events), self.batch):
            self.stream.update(events[a : a + self.batch])

    def __call__(self, events: np.ndarray, first_index: int) -> np.ndarray:
        n = len(events)
        if self._next is not None and first_index < self._next:
            # an index going back is a new replay of the same window: start over
            self.stream = copy.deepcopy(self._start)
            self._next = None
        if self._next is None:
            if n:
                check_backtest_start(self.ranges, int(events["ts"][0]), f"model {self.model_dir}")
            self._start = copy.deepcopy(self.stream)
        out = np.zeros((n, len(self.names)), dtype=np.float64)
        for a in range(0, n, self.batch):
            b = min(a + self.batch, n)
            x, seq = self.stream.update(events[a:b], with_seq=self.predictor.needs_seq)
            out[a:b, 0] = self.predictor.predict(x, seq if self.predictor.needs_seq else None)
        self._next = int(first_index) + n
        return out
