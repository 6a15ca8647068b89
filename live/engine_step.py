"""The production engine step: the engine's own :class:`~memelab.engine.Replay`, one event at a
time.

Paper and live run exactly the backtest's compiled code: every event (a lake row on
``--replay``, a normalised feed row otherwise) is fed to one ``Replay`` as a one-event chunk;
the engine's periods, landing, market, exits, strategy, risk and equity phases decide; an order
that comes due is filled and booked by the engine's own code. Paper fills inside the compiled
loop with the backtest's fill model (no executor: exactly what ``backtest`` runs, atomic two-leg
arbitrage orders included, which the engine does not route through an external executor); a
live executor plugs into the replay's executor seam (``executor(replay, slot, ts) ->
FillReport``). Nothing about deciding or risk is written here. Between messages a live runner
moves the engine's clock with :meth:`EngineDriver.tick` (``Replay.advance``); a replay never
does (event time only).

Feed rows carry addresses; the engine wants dense ids. :class:`AddressBook` assigns them as the
lake's dictionaries do (append-only, in order of first appearance; a pool is the row's pool
address or the derived ``"<mint>:<venue>"`` key), and the replay grows its state as ids appear
(``Replay.feed(ctx=)``). Trades are compared across paths by address, never by id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from memelab.datasets.schemas import (
    EVENT_DTYPE,
    KIND_CREATE,
    KIND_LIQUIDITY,
    KIND_TRADE,
    VENUE_ID,
    pool_key,
)
from memelab.engine import EngineConfig, Replay, ReplayContext
from memelab.engine.records import EXIT_REASONS
from memelab.engine.replay import simulated_executor
from memelab.engine.risk import I_LAST_TS, I_N_ORDERS, I_STARTED, REJECT_REASONS

_KINDS = ("mints", "wallets", "pools")


class AddressBook:
    """Dense int32 ids for addresses, per kind, append-only in order of first appearance (the
    lake's dictionary rule); saved next to the engine snapshot so a restart keeps every id."""

    def __init__(self, names: Mapping[str, list[str]] | None = None):
        self.names: dict[str, list[str]] = {k: list((names or {}).get(k, ())) for k in _KINDS}
        self.ids: dict[str, dict[str, int]] = {
            k: {a: i for i, a in enumerate(v)} for k, v in self.names.items()
        }
        self.creator: dict[int, int] = {}  # mint id -> creator wallet id (from launches)

    def id(self, kind: str, address: str) -> int:
        table = self.ids[kind]
        got = table.get(address)
        if got is None:
            got = table[address] = len(self.names[kind])
            self.names[kind].append(address)
        return got

    def size(self, kind: str) -> int:
        return len(self.names[kind])

    def mint_names(self) -> np.ndarray:
        return np.asarray(self.names["mints"], dtype=object)

    def context(self, t0: int) -> ReplayContext:
        n_m = max(self.size("mints"), 1)
        creator = np.full(n_m, -1, np.int32)
        for m, w in self.creator.items():
            creator[m] = w
        return ReplayContext(n_m, max(self.size("wallets"), 1), creator, t0,
                             n_pools=max(self.size("pools"), 1))  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> None:
        doc = {"names": self.names, "creator": {str(k): v for k, v in self.creator.items()}}
        tmp = Path(os.fspath(path) + ".tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AddressBook:
        doc = json.loads(Path(path).read_text())
        book = cls(doc["names"])
        book.creator = {int(k): int(v) for k, v in doc["creator"].items()}
        return book


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class EngineOrder:
    """An order the engine decided at one event (accepted or refused by its risk manager)."""

    signal_id: int
    ts: int
    mint: str
    side: int
    verdict: str  # "accepted" or the risk rule that refused it
    reason: str  # buys: "entry"; sells: the exit reason
    signal: float
    sol: float
    tokens: float


class EngineDriver:
    """One :class:`Replay` stepped event by event, with its executor and saved state.

    ``ctx`` sizes the replay up front (a lake's dictionaries); without it the replay starts
    empty and grows as the :class:`AddressBook` meets new addresses. ``executor`` is the
    engine's ``executor(replay, slot, ts) -> FillReport`` seam; None (paper) fills in the
    compiled loop with the backtest's fill model, as ``backtest`` does. (``simulated_executor``
    through the seam books the same fills for ordinary orders, but the engine ignores atomic
    arbitrage requests under an external executor, so paper must not use it.)
    """

    def __init__(
        self,
        strategy: ModuleType,
        params: Mapping[str, Any] | None = None,
        config: EngineConfig | None = None,
        ctx: ReplayContext | None = None,
        honeypot: np.ndarray | None = None,
        first_index: int = 0,
        inputs: Any = None,
        executor: Any = None,
        book: AddressBook | None = None,
        replay: Replay | None = None,
    ):
        self.book = book or AddressBook()
        self.inputs = inputs
        if replay is None:
            ctx = ctx or self.book.context(0)
            replay = Replay(strategy, params, config, ctx, honeypot=honeypot,
                            first_index=first_index, inputs=inputs, executor=executor)  # fmt: skip
        self.replay = replay
        self._seen_orders = self._order_total()

    # ------------------------------------------------------------------ stepping
    def feed(self, event: np.ndarray, ctx: ReplayContext | None = None) -> list[EngineOrder]:
        """Feed one event (a one-record ``EVENT_DTYPE`` array); the orders it caused."""
        self.replay.feed(event, ctx=ctx)
        return self._new_orders()

    def clock(self) -> int | None:
        st = self.replay.state
        return int(st.iacct[I_LAST_TS]) if st.iacct[I_STARTED] else None

    def tick(self, ts: int) -> list[EngineOrder]:
        """The clock moves to ``ts`` without an event (a live timer): due orders land, max-hold
        exits fire. Ignored when ``ts`` is not after the engine's clock."""
        now = self.clock()
        if now is None or ts <= now:
            return []
        self.replay.advance(int(ts))
        return self._new_orders()

    def row_event(
        self, row: Mapping[str, Any], launches: list[Mapping[str, Any]] = ()
    ) -> tuple[np.ndarray, ReplayContext | None]:
        """A normalised swaps row (addresses) -> a one-event array with dense ids, and the grown
        context when the row (or a launch) brought new addresses or creators."""
        book = self.book
        before = (book.size("mints"), book.size("wallets"), book.size("pools"), len(book.creator))
        launch_ts = {}
        for la in launches:
            m = book.id("mints", str(la["mint"]))
            if la.get("creator"):
                book.creator[m] = book.id("wallets", str(la["creator"]))
            if la.get("created_ts") is not None:
                launch_ts[m] = int(la["created_ts"])
        mint, venue = str(row["mint"]), str(row.get("venue") or "other")
        ev = np.zeros(1, dtype=EVENT_DTYPE)
        e = ev[0]
        e["ts"] = int(row["ts"])
        e["slot"] = int(row.get("slot") or 0)
        e["mint"] = book.id("mints", mint)
        e["trader"] = book.id("wallets", str(row.get("trader") or ""))
        side = int(row.get("side") or 0)
        e["side"] = side
        e["venue"] = VENUE_ID.get(venue, VENUE_ID["other"])
        e["pool"] = book.id("pools", str(row.get("pool") or pool_key(mint, venue)))
        e["sol"] = _num(row.get("sol_amount"))
        e["tokens"] = _num(row.get("token_amount"))
        e["price"] = _num(row.get("price"))
        e["vsol"] = _num(row.get("virtual_sol_reserves"))
        e["vtok"] = _num(row.get("virtual_token_reserves"))
        e["fee"] = _num(row.get("fee"))
        e["kind"] = KIND_TRADE if side != 0 else KIND_LIQUIDITY
        if side == 0 and launch_ts.get(int(e["mint"])) == int(e["ts"]):
            e["kind"] = KIND_CREATE
        after = (book.size("mints"), book.size("wallets"), book.size("pools"), len(book.creator))
        grown = after != before
        return ev, (book.context(self.replay.ctx.t0) if grown else None)

    def step_row(
        self, row: Mapping[str, Any], launches: list[Mapping[str, Any]] = ()
    ) -> list[EngineOrder]:
        """Feed one normalised row. A row older than the engine's clock (a live timer ticked
        past it) is fed at the clock: the engine's time never goes back."""
        ev, ctx = self.row_event(row, launches)
        now = self.clock()
        if now is not None and int(ev["ts"][0]) < now:
            ev["ts"] = now
        return self.feed(ev, ctx)

    # ------------------------------------------------------------------ records
    def _order_total(self) -> int:
        r = self.replay
        return int(r.drained["orders"] + r.state.iacct[I_N_ORDERS])

    def _new_orders(self) -> list[EngineOrder]:
        total = self._order_total()
        if total == self._seen_orders:
            return []
        r = self.replay
        buffered = int(r.state.iacct[I_N_ORDERS])
        first_buffered = int(r.drained["orders"])
        if self._seen_orders >= first_buffered:
            recs = r.state.orders[self._seen_orders - first_buffered : buffered]
        else:  # some went to the sink since the last step (rare: a buffer filled)
            recs = np.concatenate(
                [r.sink.collect("orders")[self._seen_orders :], r.state.orders[:buffered]]
            )
        self._seen_orders = total
        names = self.mint_names()
        out = []
        for o in recs:
            m = int(o["mint"])
            out.append(EngineOrder(
                int(o["signal_id"]), int(o["ts"]),
                str(names[m]) if names is not None and m < len(names) else str(m),
                int(o["side"]), REJECT_REASONS[int(o["verdict"])],
                "entry" if o["side"] > 0 else EXIT_REASONS[int(o["reason"])],
                float(o["signal"]), float(o["sol"]), float(o["tokens"]),
            ))  # fmt: skip
        return out

    def mint_names(self) -> np.ndarray | None:
        names = getattr(self, "_mint_names", None)
        return names if names is not None else self.book.mint_names()

    def result(self, source: str = "live", mint_names: np.ndarray | None = None):
        """Liquidate what is open and return the run as a ``BacktestResult`` (same frames and
        Parquet schemas as ``memelab backtest``)."""
        from memelab.engine.results import BacktestResult

        r = self.replay
        raw = r.finish()
        used = {k: r.params[k].item() for k in r.params.dtype.names}
        names = mint_names if mint_names is not None else self.mint_names()
        return BacktestResult(raw=raw, config=r.config, strategy=r.strategy.NAME, params=used,
                              source=source, seed=r.config.seed, mint_names=names)  # fmt: skip

    # ------------------------------------------------------------------ saved state
    def snapshot(self, directory: str | os.PathLike[str], stem: str = "engine") -> Path:
        """Engine state (``Replay.snapshot``) and the address book into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.book.save(d / f"{stem}.addresses.json")
        path = d / f"{stem}.npz"
        self.replay.snapshot(path)
        return path

    @classmethod
    def restore(cls, directory: str | os.PathLike[str], strategy: ModuleType, stem: str = "engine",
                inputs: Any = None, executor: Any = None) -> EngineDriver | None:  # fmt: skip
        """The driver saved by :meth:`snapshot`, or None when there is none."""
        d = Path(directory)
        path = d / f"{stem}.npz"
        if not path.is_file():
            return None
        book_path = d / f"{stem}.addresses.json"
        book = AddressBook.load(book_path) if book_path.is_file() else AddressBook()
        replay = Replay.restore(path, strategy, inputs=inputs, executor=executor)
        if replay.executor is None and replay.cfg["external_fills"] != 0.0:
            # saved by a run that filled through the seam: keep filling through it (without an
            # executor the loop would pause at every landing with nobody to land the order)
            replay.executor = simulated_executor
        return cls(strategy, book=book, inputs=inputs, replay=replay)


def lake_driver(
    lake: Any,
    strategy: ModuleType,
    params: Mapping[str, Any] | None = None,
    config: EngineConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    inputs: Any = None,
    executor: Any = None,
) -> tuple[EngineDriver, Iterator[np.ndarray]]:
    """A driver for a recorded lake (``--replay``): ids, context, honeypot truth, first index and
    create events exactly as the backtest's :class:`~memelab.engine.Source` resolves them, and
    the lake's events one at a time (event time only: no ticks)."""
    from memelab.engine import Source

    config = config or EngineConfig()
    src = Source.open(lake, start, end, config)
    driver = EngineDriver(strategy, params, config, ctx=src.ctx, honeypot=src.honeypot,
                          first_index=src.first_index, inputs=inputs, executor=executor)  # fmt: skip
    driver._mint_names = src.mint_names()
    driver.source_label = src.label

    def events() -> Iterator[np.ndarray]:
        for chunk in src.chunks():
            for i in range(len(chunk)):
                yield chunk[i : i + 1].copy()

    return driver, events()


class EngineStep:
    """The runner's production :class:`~memelab.live.runner.EngineStep`: feed rows go into an
    :class:`EngineDriver`; the engine decides, executes (through its executor seam) and books.
    The runner only records what it did: ``executes`` tells it not to submit the decisions a
    second time."""

    executes = True

    def __init__(self, driver: EngineDriver):
        self.driver = driver
        self._launches: list[Mapping[str, Any]] = []

    def launches(self, launches: list[Mapping[str, Any]]) -> None:
        """Launches of the message being handled: creators and create events for its rows."""
        self._launches = list(launches)

    def __call__(self, row: Mapping[str, Any], index: int) -> list:
        launches, self._launches = self._launches, []
        return [as_decision(o) for o in self.driver.step_row(row, launches)]

    def tick(self, ts: int) -> list:
        return [as_decision(o) for o in self.driver.tick(ts)]


def as_decision(order: EngineOrder):
    """An engine order as the runner's ledger records it: ``entry``/``exit``, or ``skip`` with
    the risk rule that refused it."""
    from memelab.live.runner import Decision

    if order.verdict != "accepted":
        kind = "skip"
    else:
        kind = "entry" if order.side > 0 else "exit"
    reason = order.verdict if kind == "skip" else order.reason
    return Decision(kind, order.mint, order.signal, order.signal_id, sol=order.sol,
                    tokens=order.tokens, reason=reason)  # fmt: skip
