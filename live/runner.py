"""The runner: feed -> normalise/record -> engine step -> risk gates -> executor -> ledger.

It owns the feed, the ledger, the recorder and operations (kill switch, breakers, metrics,
notifications); the decision comes from an :class:`EngineStep` and the execution from an
:class:`~memelab.live.orders.Executor` (paper or live, the only difference between modes).

The production ``EngineStep`` is :class:`memelab.live.engine_step.EngineStep`: the engine's own
``Replay`` fed one event at a time (growing ids as addresses appear), whose orders are filled by the
engine (paper: the backtest's fill model in its compiled loop; live: through the replay's executor
seam) and booked by the engine's booking code; the runner records its decisions (``executes``) and
ticks its clock from the timer (never per message, so a recorded feed replays on event time). Any
other callable with the ``EngineStep`` signature (the tests use a small rule) has its decisions
submitted here to the :class:`~memelab.live.orders.Executor`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from memelab.live.booking import book_report
from memelab.live.breakers import CircuitBreakers
from memelab.live.feed import normalise
from memelab.live.killswitch import KillSwitch
from memelab.live.ledger import Ledger
from memelab.live.logs import log_event
from memelab.live.manifest import check_manifest_for_live, check_manifest_for_paper
from memelab.live.metrics import Metrics
from memelab.live.notify import Notifier
from memelab.live.orders import FAILED, LANDED, PENDING, ExecutionReport, Executor, OrderRequest
from memelab.live.paper import MarketView
from memelab.live.recorder import Recorder


@dataclass(frozen=True)
class Decision:
    """What the engine step decided for one event: ``entry`` / ``exit`` (an order) or
    ``skip`` (a refused entry, with the reason, e.g. a risk rule)."""

    kind: str
    mint: str
    signal: float
    signal_id: int
    sol: float = 0.0
    tokens: float = 0.0
    reason: str = ""
    venue: str = "pumpfun"


class EngineStep(Protocol):
    def __call__(self, row: dict, index: int) -> list[Decision]:
        """Decisions after event ``row`` (global index ``index``); sees nothing later."""


@dataclass
class Ops:
    killswitch: KillSwitch = field(default_factory=KillSwitch)
    breakers: CircuitBreakers = field(default_factory=CircuitBreakers)
    metrics: Metrics = field(default_factory=Metrics)
    notifier: Notifier | None = None


class Runner:
    def __init__(
        self,
        feed_kind: str,
        ledger: Ledger,
        executor: Executor,
        engine_step: EngineStep,
        ops: Ops | None = None,
        recorder: Recorder | None = None,
        market: MarketView | None = None,
        slippage_bps: int = 1500,
        clock: Callable[[], int] = time.time_ns,
        mode: str = "paper",
        manifest: dict | None = None,
        background_orders: bool = False,
    ):
        """``mode`` ``live`` needs a manifest that passes ``check_manifest_for_live`` (promoted,
        not forced, this code); ``paper`` any well-formed one (or none, for tests and tools).
        ``background_orders`` submits each order as a task so the feed keeps flowing while a
        live transaction confirms (paper fills are instantaneous and stay in line)."""
        if mode not in ("paper", "live"):
            raise ValueError(f"mode must be paper or live, got {mode!r}")
        if mode == "live":
            check_manifest_for_live(manifest)
        elif manifest is not None:
            check_manifest_for_paper(manifest)
        self.mode, self.manifest = mode, manifest
        self.background_orders = background_orders
        self.tasks: set[asyncio.Task] = set()
        self.feed_kind, self.ledger, self.executor = feed_kind, ledger, executor
        self.engine_step = engine_step
        self.ops = ops or Ops()
        self.recorder = recorder
        self.market = market or MarketView()
        self.slippage_bps = slippage_bps
        self.clock = clock
        self.events = 0
        if hasattr(executor, "on_rpc_error"):  # RPC failures feed the breaker and the metric
            executor.on_rpc_error = self._rpc_failed
        self.pending: set[str] = set()
        self._flattened = False

    async def start(self) -> None:
        """Recover from the ledger before the first message: finish or close what a previous
        process left, book it."""
        for report in await self.executor.recover():
            self._settle(report)

    async def run(
        self,
        messages: AsyncIterator[tuple[int, str]],
        max_messages: int | None = None,
        tick_s: float | None = None,
    ) -> None:
        """Consume the feed. ``tick_s`` (live) also ticks from a timer between messages, on the
        wall clock, so a silent feed trips its breaker; a replay leaves it None (event time
        only, deterministic)."""
        await self.start()
        ticker = asyncio.ensure_future(self._ticker(tick_s)) if tick_s else None
        n = 0
        try:
            async for received_ts, text in messages:
                await self.handle(received_ts, text)
                n += 1
                if max_messages is not None and n >= max_messages:
                    break
        finally:
            if ticker is not None:
                ticker.cancel()
        await self.drain()
        if self.recorder is not None:
            self.recorder.flush()

    async def handle(self, received_ts: int, text: str) -> None:
        """One message end to end; never raises for a bad message."""
        m = self.ops.metrics
        m.feed_messages.labels(self.feed_kind).inc()
        self.ops.breakers.record_feed(received_ts)
        if self.recorder is not None:
            self.recorder.raw(received_ts, self.feed_kind, text)
        norm = normalise(self.feed_kind, text, received_ts)
        if norm.parsed is None:
            self.ledger.quarantine(received_ts, self.feed_kind, norm.reason or "?", str(text))
            m.quarantined.labels(self.feed_kind).inc()
            log_event("feed.quarantined", feed=self.feed_kind, reason=norm.reason)
            await self.tick(received_ts)
            return
        rows = sorted(norm.parsed.swaps, key=lambda r: (r["ts"], r["ix_index"]))
        if self.recorder is not None:
            self.recorder.rows(norm.parsed.swaps, norm.parsed.launches)
        if hasattr(self.engine_step, "launches"):  # creators and create events for the engine
            self.engine_step.launches(norm.parsed.launches)
        for row in rows:
            self.market.advance(row["ts"])
            await self._poll_pending()  # due orders land before this event's trade (engine rule)
            self.market.update(row)
            t0 = time.perf_counter()
            decisions = self.engine_step(row, self.events)
            self.events += 1
            for d in decisions:
                await self._act(d, row["ts"], t0)
        await self.tick(received_ts)

    async def _act(self, d: Decision, ts: int, t0: float) -> None:
        m = self.ops.metrics
        if getattr(self.engine_step, "executes", False) and d.reason != "kill_switch":
            # the engine sent (or refused) it and books its fills: record, never re-submit
            m.decision_latency.observe(time.perf_counter() - t0)
            self.ledger.record_signal(ts, d.mint, d.signal, d.kind, d.reason, d.signal_id)
            m.signals.labels(d.kind).inc()
            return
        if d.kind == "skip":
            self.ledger.record_signal(ts, d.mint, d.signal, "skip", d.reason, d.signal_id)
            m.signals.labels("skip").inc()
            return
        side = 1 if d.kind == "entry" else -1
        if side > 0:
            block = (
                self.ops.killswitch.entry_block_reason() or self.ops.breakers.entry_block_reason()
            )
            if block is not None:
                self.ledger.record_signal(ts, d.mint, d.signal, "skip", block, d.signal_id)
                m.signals.labels("skip").inc()
                return
        tokens = d.tokens
        if side < 0 and tokens <= 0:  # "close the position": sell what the ledger holds
            pos = self.ledger.position(d.mint)
            if pos is None:
                self.ledger.record_signal(ts, d.mint, d.signal, "skip", "no_position", d.signal_id)
                m.signals.labels("skip").inc()
                return
            tokens = pos["tokens"]
        order_id = f"{d.signal_id}:{d.kind}:{d.mint}"
        order = OrderRequest(order_id, d.mint, side, d.sol, tokens, ts, d.signal_id, d.venue,
                             self.slippage_bps, d.reason or ("entry" if side > 0 else "signal"))  # fmt: skip
        m.decision_latency.observe(time.perf_counter() - t0)
        self.ledger.record_signal(ts, d.mint, d.signal, d.kind, d.reason, d.signal_id, order_id)
        m.signals.labels(d.kind).inc()
        if self.background_orders:
            task = asyncio.ensure_future(self.executor.submit(order))
            self.tasks.add(task)
            task.add_done_callback(self._task_done)
            return
        self._settle(await self.executor.submit(order))

    def _rpc_failed(self, exc: Exception) -> None:
        self.ops.metrics.rpc_errors.inc()
        self.ops.breakers.record_rpc_failure(self.clock())

    def status(self) -> str:
        """One line for ``/status``: mode, events, positions, gates."""
        block = self.ops.killswitch.entry_block_reason() or self.ops.breakers.entry_block_reason()
        return (f"{self.mode}: {self.events} events, {len(self.ledger.positions())} open, "
                f"{len(self.pending) + len(self.tasks)} in flight, entries "
                f"{'blocked: ' + block if block else 'allowed'}")  # fmt: skip

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:  # the order stays in the ledger; recover() finishes it
            log_event("order.task_error", error=f"{type(exc).__name__}: {exc}")
            return
        self._settle(task.result())

    def _settle(self, report: ExecutionReport) -> None:
        if report.status == PENDING:
            self.pending.add(report.order_id)
            return
        self.pending.discard(report.order_id)
        order = self.ledger.order(report.order_id)
        side = "buy" if order is None or order["side"] > 0 else "sell"
        self.ops.metrics.orders.labels(side, report.status).inc()
        if report.status in (LANDED, FAILED):
            self.ops.breakers.record_order(report.status == LANDED)
            before = len(self.ledger.trades())
            book_report(self.ledger, report)
            trades = self.ledger.trades()
            for t in trades[before:]:
                self.ops.breakers.record_pnl(t["exit_ts"], t["exit_sol"] - t["entry_sol"])
                if self.ops.notifier is not None:
                    asyncio.ensure_future(self.ops.notifier.trade_closed(t))

    async def _poll_pending(self) -> None:
        for oid in list(self.pending):
            self._settle(await self.executor.poll(oid))

    async def _ticker(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            now = self.clock()
            if hasattr(self.engine_step, "tick"):  # the engine's clock: landings, max-hold exits
                for d in self.engine_step.tick(now):
                    await self._act(d, now, time.perf_counter())
            await self.tick(now)

    def control_loop(self, channel):
        """``/status`` ``/pause`` ``/resume`` over a Telegram channel, wired to this runner."""
        from memelab.live.notify import ControlLoop

        ks = self.ops.killswitch
        return ControlLoop(channel, self.status, lambda: setattr(ks, "paused", True),
                           lambda: setattr(ks, "paused", False))  # fmt: skip

    async def tick(self, now: int) -> None:
        """Between messages (and on a timer, live): breakers, kill-switch flattening."""
        ops = self.ops
        for name, reason in ops.breakers.check(now).items():
            ops.metrics.breaker.labels(name).set(1)
            log_event("risk.breaker", name=name, reason=reason)
            if ops.notifier is not None:
                await ops.notifier.risk_trigger(name, reason)
        ops.metrics.kill_switch.set(1 if ops.killswitch.killed else 0)
        ops.metrics.open_positions.set(len(self.ledger.positions()))
        ops.metrics.daily_pnl.set(ops.breakers.daily_pnl)
        if ops.killswitch.flatten and not self._flattened:
            self._flattened = True
            for pos in self.ledger.positions():
                d = Decision("exit", pos["mint"], -1.0, -1 - pos["position"], tokens=pos["tokens"],
                             reason="kill_switch")  # fmt: skip
                await self._act(d, now, time.perf_counter())

    async def drain(self) -> None:
        """Wait for orders in flight (live) and land what is due (paper)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        await self._poll_pending()
