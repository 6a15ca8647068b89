"""Replay driver: owns the kernel's state arrays, feeds it chunks, grows its record buffers.

``Replay`` is the resumable object (one ``feed`` per chunk: a lake date partition, or one live
event); ``backtest`` is the one-call API over a lake or an in-memory event array.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.engine import records
from memelab.engine.config import MAX_SLOTS, EngineConfig
from memelab.engine.replay_nb import (
    HEADROOM,
    M_PRICE,
    M_VSOL,
    M_VTOK,
    MARKET_FIELDS,
    finalize_nb,
    replay_nb,
    scan_events_nb,
)
from memelab.engine.risk import (
    I_LAST_TS,
    I_N_EQUITY,
    I_N_FILLS,
    I_N_ORDERS,
    I_N_TRADES,
    I_STARTED,
    N_ACCT,
    N_IACCT,
    N_KNOBS,
    N_REJECT,
)


@dataclass
class ReplayContext:
    """What a strategy may know before the first event: sizes and static metadata, never truth.

    ``source`` is the lake or event array being replayed, for strategies that load static inputs
    keyed by event (e.g. model predictions). Reading future events from it is look-ahead, which
    ``engine.lookahead`` exists to catch.
    """

    n_mints: int
    n_wallets: int
    creator: np.ndarray  # int32 creator wallet id per mint, -1 unknown
    t0: int  # ns of the first event to replay (or the window start)
    source: Any = None


def make_params(strategy: ModuleType, params: Mapping[str, Any] | None = None) -> np.void:
    """One ``PARAMS_DTYPE`` record: the strategy's DEFAULTS overridden by ``params``."""
    values = dict(strategy.DEFAULTS)
    for key, value in (params or {}).items():
        if key not in strategy.PARAMS_DTYPE.names:
            raise ValueError(
                f"strategy {strategy.NAME!r} has no parameter {key!r}; "
                f"known: {list(strategy.PARAMS_DTYPE.names)}"
            )
        values[key] = value
    rec = np.zeros(1, dtype=strategy.PARAMS_DTYPE)[0]
    for key in strategy.PARAMS_DTYPE.names:
        if key not in values:
            raise ValueError(f"strategy {strategy.NAME!r}: parameter {key!r} has no default")
        kind = strategy.PARAMS_DTYPE[key].kind
        try:
            rec[key] = int(values[key]) if kind == "i" else float(values[key])
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"strategy {strategy.NAME!r}: parameter {key}={values[key]!r} is not a number"
            ) from exc
    return rec


@dataclass
class ReplayOutput:
    """Raw record arrays of one replay (trimmed to what was written)."""

    orders: np.ndarray
    fills: np.ndarray
    trades: np.ndarray
    equity: np.ndarray
    rejects: np.ndarray
    acct: np.ndarray
    iacct: np.ndarray
    knobs: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


class Replay:
    """A resumable replay of one strategy with one params record.

    Feed chunks of events in time order with :meth:`feed`; call :meth:`finish` once at the end to
    liquidate what is still open and get the records. All state is in arrays held here, so a
    long history streams chunk by chunk in bounded memory.
    """

    def __init__(
        self,
        strategy: ModuleType,
        params: Mapping[str, Any] | None,
        config: EngineConfig | None,
        ctx: ReplayContext,
        honeypot: np.ndarray | None = None,
        capacity: int = 4096,
        first_index: int = 0,
    ):
        self.strategy = strategy
        self.config = config or EngineConfig()
        self.ctx = ctx
        self.params = make_params(strategy, params)
        self.cfg, self.venues = self.config.pack()
        n = int(ctx.n_mints)
        self.honeypot = np.zeros(n, dtype=np.uint8)
        if honeypot is not None:
            hp = np.asarray(honeypot)
            if hp.dtype == bool and len(hp) == n:
                self.honeypot[:] = hp
            else:
                ids = hp.astype(np.int64)
                self.honeypot[ids[(ids >= 0) & (ids < n)]] = 1  # mints beyond the replay: moot
        self.sstate = tuple(strategy.init_state(ctx, self.params))
        self.knobs = np.zeros(N_KNOBS)
        self.market = np.full((n, MARKET_FIELDS), 0.0)
        self.market[:, [M_VSOL, M_VTOK, M_PRICE]] = np.nan
        self.mint_slot = np.full(n, -1, dtype=np.int64)
        self.slots = np.zeros(MAX_SLOTS, dtype=records.POS_DTYPE)
        self.acct = np.zeros(N_ACCT)
        self.iacct = np.zeros(N_IACCT, dtype=np.int64)
        self.rejects = np.zeros(N_REJECT, dtype=np.int64)
        cap = max(capacity, 2 * HEADROOM)
        self.orders = np.zeros(cap, dtype=records.ORDER_DTYPE)
        self.fills = np.zeros(cap, dtype=records.FILL_DTYPE)
        self.trades = np.zeros(cap, dtype=records.TRADE_DTYPE)
        self.equity = np.zeros(cap, dtype=records.EQUITY_DTYPE)
        self.offset = first_index  # global index of the next event (signal ids are global)
        self.finished = False

    def _grow(self) -> None:
        for name, counter in (
            ("orders", I_N_ORDERS),
            ("fills", I_N_FILLS),
            ("trades", I_N_TRADES),
            ("equity", I_N_EQUITY),
        ):
            buf = getattr(self, name)
            if self.iacct[counter] + HEADROOM > len(buf):
                bigger = np.zeros(len(buf) * 2, dtype=buf.dtype)
                bigger[: len(buf)] = buf
                setattr(self, name, bigger)

    def feed(self, events: np.ndarray) -> None:
        """Replay one chunk (``EVENT_DTYPE``, sorted by ts, after every earlier chunk)."""
        if self.finished:
            raise RuntimeError("replay already finished")
        if events.dtype != EVENT_DTYPE:
            raise TypeError(f"events must have EVENT_DTYPE, got {events.dtype}")
        if len(events) == 0:
            return
        last_ts = int(self.iacct[I_LAST_TS]) if self.iacct[I_STARTED] else np.iinfo(np.int64).min
        low, top, bad = scan_events_nb(events, last_ts)
        if bad >= 0:
            raise ValueError(
                f"events out of time order at chunk index {bad} (ts {int(events['ts'][bad])}); "
                "replay needs events sorted by ts, chunk after chunk"
            )
        if top >= len(self.market) or low < 0:
            raise ValueError(
                f"event mint id {top} outside the replay's {len(self.market)} mints "
                "(ReplayContext.n_mints too small)"
            )
        i = 0
        while True:
            i = replay_nb(
                events, i, self.offset, self.cfg, self.venues, self.honeypot,
                self.strategy.on_event, self.params, self.sstate, self.knobs,
                self.market, self.mint_slot, self.slots, self.acct, self.iacct, self.rejects,
                self.orders, self.fills, self.trades, self.equity,
            )  # fmt: skip
            if i >= len(events):
                break
            self._grow()
        self.offset += len(events)

    def finish(self) -> ReplayOutput:
        """Liquidate open positions at the last reserves and return trimmed records."""
        if not self.finished:
            self._grow()
            finalize_nb(
                self.cfg, self.venues, self.market, self.mint_slot, self.slots, self.acct,
                self.iacct, self.fills, self.trades, self.equity,
            )  # fmt: skip
            self.finished = True
        return ReplayOutput(
            orders=self.orders[: self.iacct[I_N_ORDERS]].copy(),
            fills=self.fills[: self.iacct[I_N_FILLS]].copy(),
            trades=self.trades[: self.iacct[I_N_TRADES]].copy(),
            equity=self.equity[: self.iacct[I_N_EQUITY]].copy(),
            rejects=self.rejects.copy(),
            acct=self.acct.copy(),
            iacct=self.iacct.copy(),
            knobs=self.knobs.copy(),
        )


def _context_from_events(events: np.ndarray) -> ReplayContext:
    n_mints = int(events["mint"].max()) + 1 if len(events) else 1
    n_wallets = int(events["trader"].max()) + 1 if len(events) else 1
    t0 = int(events["ts"][0]) if len(events) else 0
    return ReplayContext(n_mints, n_wallets, np.full(n_mints, -1, np.int32), t0, source=events)


def _dictionary_size(lake: Any, kind: str) -> int:
    """Entries in a lake dictionary, from its Parquet footer: reading the addresses (and, in a
    fresh process, importing pyarrow's dataset layer to do so) costs ~0.2 s for a count."""
    import pyarrow.parquet as pq

    path = lake._dict_path(kind)
    return pq.ParquetFile(path).metadata.num_rows if path.exists() else 0


def _context_from_lake(lake: Any, start: int | None) -> ReplayContext:
    import pyarrow.compute as pc

    n_mints = max(_dictionary_size(lake, "mints"), 1)
    n_wallets = max(_dictionary_size(lake, "wallets"), 1)
    creator = np.full(n_mints, -1, np.int32)
    if "launches" in lake.tables():
        launches = lake.read("launches", columns=["mint_id", "creator"])
        if launches.num_rows:
            ids = lake.ids_for("wallets", launches.column("creator"), add=False)
            ids = pc.fill_null(ids, -1).to_numpy()
            creator[launches.column("mint_id").to_numpy()] = ids
    t0 = start if start is not None else int(lake.manifest("swaps")["time_range"][0])
    return ReplayContext(n_mints, n_wallets, creator, t0, source=lake)


def events_before(lake: Any, start: int | None) -> int:
    """How many lake events precede ``start`` in replay order (date partition, then ts).

    Replays of different windows of one lake then give the same event the same global index,
    so a signal keeps its ``signal_id`` across windows (walk-forward folds, paired A/B runs).
    """
    if start is None:
        return 0
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from memelab.datasets.lake import ts_to_date

    first_date = str(ts_to_date(np.array([start]))[0])
    n = 0
    for rel, info in lake.manifest("swaps")["files"].items():
        date = rel.split("date=", 1)[1].split("/", 1)[0]
        if date < first_date:
            n += int(info["rows"])
    for path in lake.files("swaps", first_date):
        ts = pq.read_table(path, columns=["ts"]).column("ts")
        n += int(pc.sum(pc.less(ts, start)).as_py() or 0)
    return n


def lake_honeypots(lake: Any, config: EngineConfig, n_mints: int) -> np.ndarray:
    """Honeypot flags: ground truth when the lake has it, plus ``config.honeypot_mints``."""
    flags = np.zeros(n_mints, dtype=bool)
    if "tokens_truth" in lake.tables():
        truth = lake.read("tokens_truth", columns=["mint_id", "honeypot"])
        ids = truth.column("mint_id").to_numpy()
        flags[ids[truth.column("honeypot").to_numpy(zero_copy_only=False)]] = True
    if config.honeypot_mints:
        import pyarrow as pa

        ids = lake.ids_for("mints", pa.array(list(config.honeypot_mints)), add=False)
        flags[[i for i in ids.to_pylist() if i is not None]] = True
    return flags


def run_replay(
    source: Any,
    strategy: str | ModuleType = "momentum",
    params: Mapping[str, Any] | None = None,
    config: EngineConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    honeypot: np.ndarray | None = None,
    chunks: Iterable[np.ndarray] | None = None,
    progress: Any = None,
    event_cache: bool = False,
) -> tuple[Replay, ReplayOutput]:
    """Replay a lake (streamed by date partition) or an ``EVENT_DTYPE`` array; raw records.

    ``event_cache`` replays a lake through ``datasets.event_cache`` (decoded partitions kept as
    memory-mapped ``.npy`` under ``<lake>/_cache``): much faster from the second run on.
    """
    from memelab.strategies import get_strategy

    module = get_strategy(strategy) if isinstance(strategy, str) else strategy
    config = config or EngineConfig()
    if isinstance(source, np.ndarray):
        events = source
        if start is not None or end is not None:
            lo = np.searchsorted(events["ts"], start) if start is not None else 0
            hi = np.searchsorted(events["ts"], end) if end is not None else len(events)
            events = events[lo:hi]
        ctx = _context_from_events(events)
        if config.honeypot_mints:
            raise ValueError(
                "honeypot_mints are addresses: pass honeypot= mint ids for an event array"
            )
        first = int(np.searchsorted(source["ts"], start)) if start is not None else 0
        replay = Replay(module, params, config, ctx, honeypot=honeypot, first_index=first)
        replay.feed(np.ascontiguousarray(events))
    else:
        from memelab.datasets.lake import Lake

        lake = source if isinstance(source, Lake) else Lake(os.fspath(source))
        lake.require()
        ctx = _context_from_lake(lake, start)
        hp = lake_honeypots(lake, config, ctx.n_mints) if honeypot is None else honeypot
        first = events_before(lake, start)
        replay = Replay(module, params, config, ctx, honeypot=hp, first_index=first)
        if chunks is not None:
            it = chunks
        elif event_cache:
            from memelab.datasets.event_cache import iter_cached_events

            it = iter_cached_events(lake, start, end)
        else:
            from memelab.datasets.stream import stream_events

            it = stream_events(lake, start, end)
        if progress is not None:
            it = progress(it)
        for chunk in it:
            replay.feed(chunk)
    return replay, replay.finish()
