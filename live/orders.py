"""What crosses the execution seam: an order in, an execution report out.

Paper and live executors take the same :class:`OrderRequest` and answer with the same
:class:`ExecutionReport`; everything above the seam (decision, risk, booking) is shared.
Amounts are in SOL and whole tokens, like the backtest's fills.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from typing import Any, Protocol

# Order life, as the executor reports it.
PENDING = "pending"  # sent (or waiting to land, in paper); poll again
LANDED = "landed"  # confirmed without error: amounts are real
FAILED = "failed"  # confirmed with an error: fees paid, never re-sent
EXPIRED = "expired"  # blockhash passed and the cluster never saw it: nothing happened
NOT_SENT = "not_sent"  # refused before sending (simulation error, no liquidity, stale order)
FINAL = (LANDED, FAILED, EXPIRED, NOT_SENT)

CRASH_ENV = "MEMELAB_CRASH_AT"
CRASH_POINTS = ("after_decision", "after_signing", "after_sending", "after_confirmation",
                "after_booking")  # fmt: skip


@dataclass(frozen=True)
class OrderRequest:
    order_id: str  # client id, unique per decision: a restart re-deciding it finds the same row
    mint: str
    side: int  # +1 buy, -1 sell
    sol: float  # buys: SOL to spend (gross of the venue fee); sells: 0
    tokens: float  # sells: tokens to sell; buys: 0
    ts: int  # decision time (ns)
    signal_id: int = -1
    venue: str = "pumpfun"
    slippage_bps: int = 1500
    reason: str = "signal"
    quote_price: float = float("nan")  # the price the decision saw (for slippage residuals)


@dataclass(frozen=True)
class ExecutionReport:
    order_id: str
    status: str
    signature: str | None = None
    slot: int | None = None
    block_time: int | None = None  # unix seconds
    landed_ts: int | None = None  # ns, when known more precisely than block_time (paper)
    sol: float = 0.0  # buy: SOL in incl. venue fee; sell: SOL out net of venue fee
    tokens: float = 0.0
    venue_fee: float = 0.0
    network_fee: float = 0.0  # base + priority fee, in SOL (paid by failed transactions too)
    tip: float = 0.0
    sends: int = 0
    error: Any = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL


class Executor(Protocol):
    """The execution seam. ``submit`` records and starts an order and returns its first report
    (often final for live, pending for paper until its latency passes); ``poll`` advances it;
    ``recover`` resumes every order a previous process left unfinished, from the ledger."""

    async def submit(self, order: OrderRequest) -> ExecutionReport: ...

    async def poll(self, order_id: str) -> ExecutionReport: ...

    async def recover(self) -> list[ExecutionReport]: ...


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here when ``$MEMELAB_CRASH_AT`` names this point (crash tests)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
