"""One way in: the events a replay, a sweep, a walk-forward fold or the look-ahead check reads.

:class:`Source` resolves, once, what every mode needs from a lake or an in-memory event array:
the time window, the :class:`~memelab.engine.replay.ReplayContext` (dictionary sizes, creators),
the global index of the window's first event (signal ids stay stable across windows), the
ground-truth honeypot flags (which decide what the simulated market does to our sells, never
what a strategy sees), each mint's launch time (its launch row becomes a create event), and a
chunk iterator (date partitions, row-group streamed, or through the event cache).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from memelab.engine.config import EngineConfig


@dataclass
class Source:
    """Events of a lake or an array in ``[start, end)``, with everything resolved about them.

    Build with :meth:`open`. ``lake`` is set for a lake (``events`` for an array); ``ctx``,
    ``first_index``, ``honeypot`` (bool per mint, ground truth), ``launch_ts`` (per mint) and
    ``label`` (for run records) are ready to use.
    """

    lake: Any
    events: np.ndarray | None
    start: int | None
    end: int | None
    ctx: Any
    first_index: int
    honeypot: np.ndarray
    launch_ts: np.ndarray
    label: str

    @classmethod
    def open(
        cls,
        source: Any,
        start: int | None = None,
        end: int | None = None,
        config: EngineConfig | None = None,
        honeypot: np.ndarray | None = None,
    ) -> Source:
        """``source``: a ``Lake``, a lake path, an ``EVENT_DTYPE`` array, or a ``Source``
        (returned as it is). ``honeypot`` (mint ids or a mask) overrides the lake's truth."""
        from memelab.engine import replay as rp

        if isinstance(source, Source):
            return source
        config = config or EngineConfig()
        if isinstance(source, np.ndarray):
            if config.honeypot_mints:
                raise ValueError(
                    "honeypot_mints are addresses: pass honeypot= mint ids for an event array"
                )
            ev = source
            if start is not None or end is not None:
                lo = np.searchsorted(ev["ts"], start) if start is not None else 0
                hi = np.searchsorted(ev["ts"], end) if end is not None else len(ev)
                ev = ev[lo:hi]
            ctx = rp._context_from_events(ev)
            first = int(np.searchsorted(source["ts"], start)) if start is not None else 0
            flags = rp.honeypot_flags(honeypot, ctx.n_mints).astype(bool)
            label = f"<{len(source)} events in memory>"
            launch = np.full(ctx.n_mints, -1, np.int64)
            return cls(None, ev, start, end, ctx, first, flags, launch, label)
        from memelab.datasets.lake import Lake

        lake = source if isinstance(source, Lake) else Lake(os.fspath(source))
        lake.require().require_schema("swaps")
        ctx = rp._context_from_lake(lake, start)
        hp = rp.lake_honeypots(lake, config, ctx.n_mints) if honeypot is None else honeypot
        flags = rp.honeypot_flags(hp, ctx.n_mints).astype(bool)
        first = rp.events_before(lake, start)
        launch = rp.lake_launch_ts(lake, ctx.n_mints)
        return cls(lake, None, start, end, ctx, first, flags, launch, str(lake.root))

    def chunks(self, event_cache: bool = False, stream: bool = True) -> Iterator[np.ndarray]:
        """The window's events in replay order, one array per chunk (each valid until the next
        is asked for when streamed: consume it, or copy it)."""
        from memelab.engine.replay import with_creates

        if self.lake is None:
            return iter([np.ascontiguousarray(self.events)] if len(self.events) else [])
        if event_cache:
            from memelab.datasets.event_cache import iter_cached_events

            it = iter_cached_events(self.lake, self.start, self.end)
        elif stream:
            from memelab.datasets.stream import stream_events

            it = stream_events(self.lake, self.start, self.end)
        else:
            it = self.lake.iter_events(self.start, self.end)
        return with_creates(it, self.launch_ts)

    def load(self) -> np.ndarray:
        """The whole window in memory, as one array (the look-ahead check perturbs it)."""
        if self.lake is None:
            return np.ascontiguousarray(self.events)
        from memelab.datasets.schemas import EVENT_DTYPE

        parts = [c.copy() for c in self.chunks(stream=False)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=EVENT_DTYPE)

    def time_range(self) -> tuple[int, int]:
        """First and last event time: an array's; a lake's manifest range clipped to the window
        (every process derives the same bucket edges without reading events)."""
        if self.lake is None:
            if not len(self.events):
                raise ValueError("no events in the requested window")
            return int(self.events["ts"][0]), int(self.events["ts"][-1])
        lo, hi = self.lake.manifest("swaps")["time_range"]
        lo = max(lo, self.start) if self.start is not None else lo
        hi = min(hi, self.end - 1) if self.end is not None else hi
        if hi < lo:
            raise ValueError(f"no events in the requested window of lake {self.lake.root}")
        return int(lo), int(hi)

    def mint_names(self) -> np.ndarray | None:
        """Base58 per mint id (a lake's dictionary), None for an array."""
        if self.lake is None:
            return None
        names = self.lake.dictionary("mints").to_numpy(zero_copy_only=False)
        return np.asarray(names, dtype=object)


def require_strategy(strategy: Any) -> Any:
    """The strategy module itself (the engine never looks strategies up by name: the CLI and
    the strategies package's ``get_strategy`` do); a clear error for a name or an incomplete
    one."""
    if isinstance(strategy, str):
        raise TypeError(
            f"strategy {strategy!r} is a name: pass the strategy module "
            f"(get_strategy({strategy!r}) from the strategies package, or import it)"
        )
    missing = [a for a in ("NAME", "PARAMS_DTYPE", "DEFAULTS", "init_state", "on_event")
               if not hasattr(strategy, a)]  # fmt: skip
    if missing:
        raise TypeError(f"strategy {strategy!r} lacks {missing} (see memelab.engine)")
    return strategy
