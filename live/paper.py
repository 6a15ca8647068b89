"""The paper executor: the live seam's interface, filled by the backtest's fill model.

An order sent at ``ts`` lands at the first market update at or after ``ts + latency_s`` (the
engine's rule), against the reserves as they are then, with the venue fee, the slippage
tolerance (a buy worse than its send-time quote by more than ``slippage_tol`` fails, paying
the priority fee) and the priority fee + tip of ``EngineConfig`` -- the same
``engine.fills`` functions the backtest uses. Only this class differs from live.
"""

from __future__ import annotations

from dataclasses import dataclass

from memelab.engine import EngineConfig
from memelab.engine.fills import quote_buy, quote_sell
from memelab.live.ledger import Ledger
from memelab.live.orders import FAILED, LANDED, NOT_SENT, PENDING, ExecutionReport, OrderRequest


@dataclass
class Pool:
    vsol: float
    vtok: float
    price: float
    venue: str
    ts: int


class MarketView:
    """The latest reserves per mint, as the feed reported them (the runner updates it)."""

    def __init__(self) -> None:
        self.pools: dict[str, Pool] = {}
        self.now = 0

    def advance(self, ts: int) -> None:
        """The clock reached ``ts``: orders due by then land before this event's trade."""
        self.now = max(self.now, int(ts))

    def update(self, row: dict) -> None:
        self.advance(row["ts"])
        self.pools[row["mint"]] = Pool(row["virtual_sol_reserves"], row["virtual_token_reserves"],
                                       row["price"], row["venue"], int(row["ts"]))  # fmt: skip


class PaperExecutor:
    def __init__(self, ledger: Ledger, market: MarketView, config: EngineConfig | None = None):
        self.ledger, self.market = ledger, market
        self.config = config or EngineConfig()
        self._pending: dict[str, tuple[OrderRequest, float, int]] = {}

    def _quote(self, order: OrderRequest):
        pool = self.market.pools.get(order.mint)
        if pool is None:
            return None
        if order.side > 0:
            return quote_buy(pool.vsol, pool.vtok, order.sol, pool.venue, self.config, pool.price)
        return quote_sell(pool.vsol, pool.vtok, order.tokens, pool.venue, self.config, pool.price)

    async def submit(self, order: OrderRequest) -> ExecutionReport:
        if not self.ledger.record_order(order):
            return await self.poll(order.order_id)
        q = self._quote(order)
        if q is None or q.tokens <= 0:
            self.ledger.set_order_state(order.order_id, NOT_SENT)
            return ExecutionReport(order.order_id, NOT_SENT, error="no market for this mint")
        land = order.ts + round(self.config.latency_s * 1e9)
        self._pending[order.order_id] = (order, q.price, land)
        self.ledger.set_order_state(order.order_id, "sent", quote_price=q.price)
        return ExecutionReport(order.order_id, PENDING)

    async def poll(self, order_id: str) -> ExecutionReport:
        if order_id not in self._pending:
            row = self.ledger.order(order_id)
            state = row["state"] if row else NOT_SENT
            return ExecutionReport(order_id, state if state in (LANDED, FAILED) else NOT_SENT)
        order, quoted, land = self._pending[order_id]
        if self.market.now < land:
            return ExecutionReport(order_id, PENDING)
        del self._pending[order_id]
        q = self._quote(order)
        tol = self.config.slippage_tol if order.side > 0 else self.config.exit_slippage_tol
        cfg = self.config
        if (
            q is None
            or q.tokens <= 0
            or (q.price > quoted * (1 + tol) if order.side > 0 else q.price < quoted * (1 - tol))
        ):
            self.ledger.set_order_state(order_id, FAILED)
            return ExecutionReport(order_id, FAILED, network_fee=cfg.priority_fee_sol,
                                   error="slippage beyond tolerance", landed_ts=self.market.now)  # fmt: skip
        self.ledger.set_order_state(order_id, LANDED)
        return ExecutionReport(
            order_id, LANDED, landed_ts=self.market.now, sol=q.sol, tokens=q.tokens,
            venue_fee=q.venue_fee, network_fee=cfg.priority_fee_sol, tip=cfg.tip_sol,
            detail={"quote_price": quoted, "price": q.price},
        )  # fmt: skip

    def pending(self) -> list[str]:
        return list(self._pending)

    async def recover(self) -> list[ExecutionReport]:
        """Paper orders die with the process: anything unfinished is reported not sent."""
        out = []
        for row in self.ledger.orders(("decided", "sent")):
            self.ledger.set_order_state(row["order_id"], NOT_SENT)
            out.append(
                ExecutionReport(row["order_id"], NOT_SENT, error="paper order lost in a restart")
            )
        return out
