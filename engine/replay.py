"""Replay driver: owns the kernel's state arrays, feeds it chunks, grows its record buffers.

``Replay`` is the resumable object (one ``feed`` per chunk: a lake date partition, or one live
event); ``backtest`` is the one-call API over a lake or an in-memory event array.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
from memelab.datasets.events_nb import mark_creates_nb
from memelab.datasets.schemas import EVENT_DTYPE, KIND_TICK
from memelab.engine.config import EngineConfig
from memelab.engine.replay_nb import (
    HEADROOM,
    M_CREATOR,
    M_MINT,
    bind_pools_nb,
    book_fill_nb,
    finalize_nb,
    next_due_slot_nb,
    refresh_schedules_nb,
    replay_nb,
    scan_events_nb,
    simulate_fill_nb,
)
from memelab.engine.risk import (
    I_EVENTS,
    I_LAST_TS,
    I_N_EQUITY,
    I_N_FILLS,
    I_N_ORDERS,
    I_N_TRADES,
    I_STARTED,
    N_KNOBS,
)
from memelab.engine.sinks import MemorySink, ParquetSink
from memelab.engine.state import RECORD_BUFFERS, ReplayState

_COUNTERS = (I_N_ORDERS, I_N_FILLS, I_N_TRADES, I_N_EQUITY)
_STATE_FIELDS = tuple(ReplayState.__dataclass_fields__)


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
    n_pools: int | None = None  # None: one pool per mint (pool id = mint id)

    @property
    def pools(self) -> int:
        return int(self.n_mints if self.n_pools is None else self.n_pools)


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


class FillReport(NamedTuple):
    """A landed transaction as an executor reports it (the booking code's input).

    ``status``: ``records.FILL_*``; ``sol``: buys, SOL into the swap (gross of the venue fee);
    sells, SOL received net of the venue fee (0 when failed); ``tokens``: bought, or offered for
    sale; ``price``: effective SOL per token; ``venue_fee`` / ``tx_fee``: SOL paid; ``pool_sol``:
    the SOL that entered (buy) or left (sell, gross) the pool.
    """

    status: int
    sol: float
    tokens: float
    price: float
    venue_fee: float
    tx_fee: float
    pool_sol: float


def simulated_executor(replay: Replay, slot: int, ts: int) -> FillReport:
    """Paper execution: the backtest's fill model, as an external executor.

    Booking what it returns through the external-fill path gives the same results as the
    simulated path, bit for bit (tested), so paper trading is the backtest minus nothing.
    """
    st = replay.state
    return FillReport(
        *simulate_fill_nb(st.slots[slot], replay.cfg, replay.venues, st.market, replay.honeypot)
    )


class Replay:
    """A resumable replay of one strategy with one params record.

    Feed chunks of events in time order with :meth:`feed`; call :meth:`finish` once at the end to
    liquidate what is still open and get the records. All state is in arrays held here, so a
    long history streams chunk by chunk in bounded memory.

    ``executor``: ``None`` fills orders with the fill model inside the compiled loop; a callable
    ``executor(replay, slot, ts) -> FillReport`` makes the loop pause whenever an order is due
    and books the reported fill through the same code (the live seam; ``simulated_executor`` is
    paper trading). ``inputs``: an input stage (see :func:`check_inputs`) whose columns the
    strategy reads at ``knobs[KNOB_INPUTS + j]``. ``sink``: where records drain when a buffer
    fills (``sinks.MemorySink`` by default; ``sinks.ParquetSink`` keeps memory bounded).
    :meth:`snapshot` / :meth:`restore` save and resume the whole replay.
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
        inputs: Any = None,
        executor: Callable[..., FillReport] | None = None,
        sink: Any = None,
    ):
        self.strategy = strategy
        self.config = config or EngineConfig()
        self.ctx = ctx
        self.params = make_params(strategy, params)
        self.cfg, self.venues = self.config.pack()
        self.executor = executor
        if executor is not None:
            self.cfg["external_fills"] = 1.0
        self.inputs = inputs
        n_inputs = check_inputs(strategy, inputs)
        n = int(ctx.n_mints)
        self._honeypot_src = honeypot
        self.honeypot = honeypot_flags(honeypot, n)
        self.sstate = tuple(strategy.init_state(ctx, self.params))
        self.state = ReplayState.new(n, capacity, n_inputs=n_inputs, n_pools=ctx.pools)
        self._creator = _creator_ids(ctx)
        self.offset = first_index  # global index of the next event (signal ids are global)
        self.finished = False
        self.sink = MemorySink() if sink is None else sink
        self.drained = dict.fromkeys(RECORD_BUFFERS, 0)

    # Backwards-compatible views of the state arrays.
    def __getattr__(self, name: str) -> Any:
        state = self.__dict__.get("state")
        if state is not None and name in ReplayState.__dataclass_fields__:
            return getattr(state, name)
        raise AttributeError(name)

    def _drain(self, force: bool = False) -> None:
        """Hand buffered records to the sink when a buffer is nearly full (or ``force``)."""
        st = self.state
        for name, counter in zip(RECORD_BUFFERS, _COUNTERS, strict=True):
            n = int(st.iacct[counter])
            if n and (force or n + HEADROOM > len(getattr(st, name))):
                self.sink.write(name, getattr(st, name)[:n])
                self.drained[name] += n
                st.iacct[counter] = 0

    def _input_rows(self, events: np.ndarray) -> np.ndarray:
        if self.inputs is None:
            return np.zeros((len(events), 0))
        rows = np.ascontiguousarray(self.inputs(events, self.offset), dtype=np.float64)
        want = (len(events), len(self.inputs.names))
        if rows.shape != want:
            raise ValueError(f"input stage returned shape {rows.shape}, expected {want}")
        return rows

    def grow(
        self, ctx: ReplayContext | None, n_mints: int = 0, n_pools: int = 0, n_wallets: int = 0
    ) -> None:
        """Extend engine and strategy state to ``ctx`` (dictionaries that grew), and at least to
        the given sizes (ids seen in events beyond it: geometric growth, creator unknown).

        Existing rows keep their values and new rows start as a fresh replay's would, so a
        replay grown chunk by chunk equals one sized for the whole history, bit for bit (tested).
        The strategy's ``grow_state(state, ctx, params)`` extends its state when it has one;
        otherwise :func:`grow_strategy_state` does.
        """
        cur = self.ctx
        base = ctx or cur
        if ctx is not None and (ctx.n_mints < cur.n_mints or ctx.pools < cur.pools):
            raise ValueError("a replay's context can only grow (mints, pools, wallets)")

        def size(have: int, need: int) -> int:
            return have if need <= have else max(need, have + have // 2)

        n_m = size(base.n_mints, max(n_mints, cur.n_mints))
        n_p = size(base.pools, max(n_pools, cur.pools))
        n_w = size(base.n_wallets, max(n_wallets, cur.n_wallets))
        creator = np.full(n_m, -1, np.int32)
        if base.creator is not None and len(base.creator):
            k = min(len(base.creator), n_m)
            creator[:k] = base.creator[:k]
        new = ReplayContext(n_m, n_w, creator, cur.t0, source=base.source, n_pools=n_p)
        self.state.grow(n_m, n_p)
        self._creator = _creator_ids(new)
        bound = self.state.market[:, M_MINT].astype(np.int64)  # creators learnt since binding
        known = (bound >= 0) & (bound < len(self._creator))
        self.state.market[known, M_CREATOR] = self._creator[bound[known]]
        self.honeypot = honeypot_flags(self._honeypot_src, n_m)
        hook = getattr(self.strategy, "grow_state", None)
        if hook is not None:
            self.sstate = tuple(hook(self.sstate, new, self.params))
        else:
            self.sstate = grow_strategy_state(self.strategy, self.sstate, new, self.params)
        self.ctx = new

    def feed(self, events: np.ndarray, ctx: ReplayContext | None = None) -> None:
        """Replay one chunk (``EVENT_DTYPE``, sorted by ts, after every earlier chunk).

        ``ctx``: the dictionaries as they stand now, when they grew (a live feed, a lake being
        appended to); ids beyond the replay's current sizes grow it in any case.
        """
        if self.finished:
            raise RuntimeError("replay already finished")
        if events.dtype != EVENT_DTYPE:
            raise TypeError(f"events must have EVENT_DTYPE, got {events.dtype}")
        if len(events) == 0:
            return
        st = self.state
        last_ts = int(st.iacct[I_LAST_TS]) if st.iacct[I_STARTED] else np.iinfo(np.int64).min
        low, top, low_pool, top_pool, top_wallet, bad = scan_events_nb(events, last_ts)
        if bad >= 0:
            raise ValueError(
                f"events out of time order at chunk index {bad} (ts {int(events['ts'][bad])}); "
                "replay needs events sorted by ts, chunk after chunk"
            )
        if low < 0 or low_pool < 0:
            what = "mint" if low < 0 else "pool"
            raise ValueError(f"event {what} id {min(low, low_pool)} is negative (only ticks)")
        if ctx is not None or top >= len(st.mint_slot) or top_pool >= len(st.market):
            self.grow(ctx, top + 1, top_pool + 1, top_wallet + 1)
        elif top_wallet >= self.ctx.n_wallets:
            self.grow(None, 0, 0, top_wallet + 1)
        st = self.state
        clash = bind_pools_nb(events, st.market, self._creator)
        if clash >= 0:
            e = events[clash]
            raise ValueError(
                f"event {clash} of the chunk: pool id {int(e['pool'])} already trades mint "
                f"{int(st.market[e['pool'], M_MINT])}, not mint {int(e['mint'])} (set each "
                "event's 'pool': one pool id per (mint, venue) when pools are unknown)"
            )
        rows = self._input_rows(events)
        i = 0
        while True:
            i = replay_nb(
                events, i, self.offset, rows, self.cfg, self.venues, self.honeypot,
                self.strategy.on_event, self.params, self.sstate, *st.arrays(),
            )  # fmt: skip
            if i >= len(events):
                break
            # Paused for a landing (phase 1 of event i has run), not for full buffers.
            if self.executor is not None and st.iacct[I_EVENTS] == self.offset + i + 1:
                self._land_external(int(events[i]["ts"]), self.offset + i)
            self._drain()
            st = self.state
        self.offset += len(events)

    def advance(self, ts: int) -> None:
        """Move the clock to ``ts`` with no market event (a live timer, or a backtest asking for
        time to pass): in-flight orders whose landing time has come land, max-hold exits fire,
        the day rolls and the equity curve samples. The strategy is not called; the tick takes
        one global event index, like any event fed.
        """
        tick = np.zeros(1, dtype=EVENT_DTYPE)
        tick["ts"] = ts
        tick["kind"] = KIND_TICK
        tick["mint"] = -1
        tick["pool"] = -1
        self.feed(tick)

    def _land_external(self, ts: int, gidx: int) -> None:
        """Every order due at ``ts``, oldest first: ask the executor, book what it reports."""
        st = self.state
        while True:
            self._drain()
            st = self.state
            j = next_due_slot_nb(st.slots, ts)
            if j < 0:
                break
            report = self.executor(self, j, ts)
            book_fill_nb(
                st.slots, j, ts, gidx, int(report.status), float(report.sol),
                float(report.tokens), float(report.price), float(report.venue_fee),
                float(report.tx_fee), float(report.pool_sol), self.cfg, self.venues, st.market,
                st.mint_slot, st.acct, st.iacct, st.fills, st.trades,
            )  # fmt: skip
        refresh_schedules_nb(st.slots, st.iacct, self.cfg)

    def finish(self) -> ReplayOutput:
        """Liquidate open positions at the last reserves; the records, from the sink."""
        st = self.state
        if not self.finished:
            self._drain(force=True)
            finalize_nb(
                self.cfg, self.venues, st.market, st.mint_slot, st.slots, st.acct,
                st.iacct, st.fills, st.trades, st.equity,
            )  # fmt: skip
            self._drain(force=True)
            for name, counter in zip(RECORD_BUFFERS, _COUNTERS, strict=True):
                st.iacct[counter] = self.drained[name]  # totals, as if nothing was drained
            self.finished = True
        return ReplayOutput(
            orders=self.sink.collect("orders"),
            fills=self.sink.collect("fills"),
            trades=self.sink.collect("trades"),
            equity=self.sink.collect("equity"),
            rejects=st.rejects.copy(),
            acct=st.acct.copy(),
            iacct=st.iacct.copy(),
            knobs=st.knobs.copy(),
        )

    # ------------------------------------------------------------ saved state
    def snapshot(self, path: str | os.PathLike[str]) -> None:
        """Save the whole replay -- engine state, strategy state, params, config, context,
        position in the stream, and (with a memory sink) the records so far -- to one ``.npz``.

        :meth:`restore` in any process continues exactly where this one stands. An input
        stage's own state is not included (it is the caller's object).
        """
        import json

        st = self.state
        arrays = {f"state.{k}": v for k, v in zip(_STATE_FIELDS, st.arrays(), strict=True)}
        arrays.update({f"sstate.{i}": a for i, a in enumerate(self.sstate)})
        arrays["params"] = np.array([self.params])
        arrays["cfg"] = np.array([self.cfg])
        arrays["venues"] = self.venues
        arrays["honeypot"] = self.honeypot
        arrays["creator"] = np.asarray(self.ctx.creator, dtype=np.int32)
        if isinstance(self.sink, MemorySink):
            for kind in RECORD_BUFFERS:
                arrays[f"sink.{kind}"] = self.sink.collect(kind)
        meta = {
            "strategy": self.strategy.NAME,
            "n_sstate": len(self.sstate),
            "config": self.config.to_dict(),
            "offset": int(self.offset),
            "finished": bool(self.finished),
            "drained": self.drained,
            "ctx": [self.ctx.n_mints, self.ctx.n_wallets, self.ctx.t0, self.ctx.pools],
            "sink": str(self.sink.directory) if isinstance(self.sink, ParquetSink) else None,
        }
        arrays["meta"] = np.array(json.dumps(meta))
        tmp = Path(os.fspath(path) + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def restore(
        cls,
        path: str | os.PathLike[str],
        strategy: ModuleType,
        inputs: Any = None,
        executor: Callable[..., FillReport] | None = None,
    ) -> Replay:
        """A replay continuing from :meth:`snapshot` (same strategy module, checked by name)."""
        import json

        with np.load(path, allow_pickle=False) as d:
            meta = json.loads(str(d["meta"]))
            if meta["strategy"] != strategy.NAME:
                raise ValueError(
                    f"snapshot {path} is of strategy {meta['strategy']!r}, not {strategy.NAME!r}"
                )
            n_m, n_w, t0, n_p = meta["ctx"]
            self = cls.__new__(cls)
            self.strategy = strategy
            self.config = EngineConfig.from_dict(meta["config"])
            self.ctx = ReplayContext(n_m, n_w, d["creator"].copy(), t0, n_pools=n_p)
            self.params = d["params"][0].copy()
            self.cfg = d["cfg"][0].copy()
            self.venues = d["venues"].copy()
            self.honeypot = d["honeypot"].copy()
            self._honeypot_src = self.honeypot.astype(bool)
            self.sstate = tuple(d[f"sstate.{i}"].copy() for i in range(meta["n_sstate"]))
            self.state = ReplayState(*(d[f"state.{k}"].copy() for k in _STATE_FIELDS))
            self._creator = _creator_ids(self.ctx)
            if meta["sink"] is not None:
                self.sink = ParquetSink(meta["sink"])
            else:
                self.sink = MemorySink()
                for kind in RECORD_BUFFERS:
                    if len(d[f"sink.{kind}"]):
                        self.sink.write(kind, d[f"sink.{kind}"])
        self.drained = dict(meta["drained"])
        self.offset = meta["offset"]
        self.finished = meta["finished"]
        self.executor = executor
        self.inputs = inputs
        if check_inputs(strategy, inputs) != self.state.knobs.shape[0] - N_KNOBS:
            raise ValueError("the input stage's columns differ from the snapshot's")
        return self


def _creator_ids(ctx: ReplayContext) -> np.ndarray:
    """int64 creator wallet per mint (-1 unknown), sized to the context."""
    out = np.full(max(int(ctx.n_mints), 1), -1, dtype=np.int64)
    if ctx.creator is not None and len(ctx.creator):
        k = min(len(ctx.creator), len(out))
        out[:k] = np.asarray(ctx.creator[:k], dtype=np.int64)
    return out


def grow_strategy_state(
    strategy: ModuleType, state: tuple[np.ndarray, ...], ctx: ReplayContext, params: np.void
) -> tuple[np.ndarray, ...]:
    """The default growth of a strategy's state: ``init_state`` for the larger ``ctx``, with each
    old array copied into the leading corner of its new one. Right for any strategy whose
    per-id arrays have the id as an axis sized from ``ctx`` and whose rows do not depend on the
    sizes (both built-in strategies)."""
    fresh = tuple(strategy.init_state(ctx, params))
    if len(fresh) != len(state):
        raise ValueError(f"strategy {strategy.NAME!r}: init_state changed its number of arrays")
    out = []
    for old, new in zip(state, fresh, strict=True):
        if old.shape == new.shape:
            out.append(old)
            continue
        if old.ndim != new.ndim or any(a > b for a, b in zip(old.shape, new.shape, strict=True)):
            raise ValueError(
                f"strategy {strategy.NAME!r}: a state array went from {old.shape} to "
                f"{new.shape}; give the strategy a grow_state(state, ctx, params)"
            )
        new[tuple(slice(0, k) for k in old.shape)] = old
        out.append(new)
    return tuple(out)


def honeypot_flags(honeypot: np.ndarray | None, n: int) -> np.ndarray:
    """uint8 flag per mint from a bool mask or a list of mint ids (ids beyond ``n`` are moot)."""
    flags = np.zeros(n, dtype=np.uint8)
    if honeypot is not None:
        hp = np.asarray(honeypot)
        ids = np.flatnonzero(hp) if hp.dtype == bool else hp.astype(np.int64)
        flags[ids[(ids >= 0) & (ids < n)]] = 1
    return flags


def check_inputs(strategy: ModuleType, inputs: Any) -> int:
    """Columns of the input stage, checked against the strategy's ``INPUTS`` declaration.

    An input stage has ``names: tuple[str, ...]`` and ``__call__(events, first_index)`` returning
    float64 rows ``(len(events), len(names))``; row i may depend on events up to i only.
    """
    want = tuple(getattr(strategy, "INPUTS", ()))
    have = tuple(inputs.names) if inputs is not None else ()
    if want and have != want:
        raise ValueError(
            f"strategy {strategy.NAME!r} reads inputs {list(want)}; the input stage gives "
            f"{list(have) if inputs is not None else 'none'}"
        )
    return len(have)


def _context_from_events(events: np.ndarray) -> ReplayContext:
    _, top, _, top_pool, top_trader, _ = scan_events_nb(events, np.iinfo(np.int64).min)
    n_mints, n_wallets, n_pools = max(top + 1, 1), max(top_trader + 1, 1), max(top_pool + 1, 1)
    t0 = int(events["ts"][0]) if len(events) else 0
    creator = np.full(n_mints, -1, np.int32)
    return ReplayContext(n_mints, n_wallets, creator, t0, source=events, n_pools=n_pools)


def _dictionary_size(lake: Any, kind: str) -> int:
    """Entries in a lake dictionary, from its Parquet footer: reading the addresses (and, in a
    fresh process, importing pyarrow's dataset layer to do so) costs ~0.2 s for a count."""
    import pyarrow.parquet as pq

    path = lake._dict_path(kind)
    return pq.ParquetFile(path).metadata.num_rows if path.exists() else 0


def _context_from_lake(lake: Any, start: int | None) -> ReplayContext:
    import pyarrow.compute as pc

    lake.require_schema("swaps")
    n_mints = max(_dictionary_size(lake, "mints"), 1)
    n_wallets = max(_dictionary_size(lake, "wallets"), 1)
    n_pools = max(_dictionary_size(lake, "pools"), 1)
    creator = np.full(n_mints, -1, np.int32)
    if "launches" in lake.tables():
        launches = lake.read("launches", columns=["mint_id", "creator"])
        if launches.num_rows:
            ids = lake.ids_for("wallets", launches.column("creator"), add=False)
            ids = pc.fill_null(ids, -1).to_numpy()
            creator[launches.column("mint_id").to_numpy()] = ids
    t0 = start if start is not None else int(lake.manifest("swaps")["time_range"][0])
    return ReplayContext(n_mints, n_wallets, creator, t0, source=lake, n_pools=n_pools)


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


def lake_launch_ts(lake: Any, n_mints: int) -> np.ndarray:
    """Launch time per mint id (-1 unknown), from ``launches``: the liquidity event at that time
    is the mint's create event (``events_nb.mark_creates_nb``)."""
    out = np.full(max(n_mints, 1), -1, dtype=np.int64)
    if "launches" in lake.tables():
        launches = lake.read("launches", columns=["mint_id", "created_ts"])
        ids = launches.column("mint_id").to_numpy()
        keep = ids < len(out)
        out[ids[keep]] = launches.column("created_ts").to_numpy()[keep]
    return out


def with_creates(chunks: Iterable[np.ndarray], launch_ts: np.ndarray) -> Iterator[np.ndarray]:
    """The chunks with each mint's launch row turned into a ``KIND_CREATE`` event (in place)."""
    for chunk in chunks:
        if chunk.flags.writeable:
            mark_creates_nb(chunk, launch_ts)
        yield chunk


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
    strategy: ModuleType,
    params: Mapping[str, Any] | None = None,
    config: EngineConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    honeypot: np.ndarray | None = None,
    chunks: Iterable[np.ndarray] | None = None,
    progress: Any = None,
    event_cache: bool = False,
    inputs: Any = None,
    sink: Any = None,
) -> tuple[Replay, ReplayOutput]:
    """Replay a lake (streamed by date partition), an ``EVENT_DTYPE`` array or a
    :class:`~memelab.engine.source.Source` through ``strategy`` (a strategy module); raw records.

    ``event_cache`` replays a lake through ``datasets.event_cache`` (decoded partitions kept as
    memory-mapped ``.npy`` under ``<lake>/_cache``): much faster from the second run on.
    ``inputs`` is an input stage (see :func:`check_inputs`), called once per chunk; ``sink``
    (``sinks.ParquetSink``) streams the records to disk as they are written.
    """
    from memelab.engine.source import Source, require_strategy

    module = require_strategy(strategy)
    config = config or EngineConfig()
    src = Source.open(source, start, end, config, honeypot)
    replay = Replay(
        module, params, config, src.ctx, honeypot=src.honeypot, first_index=src.first_index,
        inputs=inputs, sink=sink,
    )  # fmt: skip
    it = chunks if chunks is not None else src.chunks(event_cache=event_cache)
    if progress is not None:
        it = progress(it)
    for chunk in it:
        replay.feed(chunk)
    return replay, replay.finish()
