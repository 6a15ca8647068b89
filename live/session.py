"""One live session: settings + wallet -> ledger, RPC, executor, booking, wired once.

Used by ``memelab live order`` and by the runner; tests open it against loopback servers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from memelab.live.booking import book_report
from memelab.live.config import LiveSettings
from memelab.live.executor import LiveConfig, LiveExecutor
from memelab.live.jupiter import JupiterClient
from memelab.live.keys import Wallet
from memelab.live.ledger import Ledger
from memelab.live.orders import ExecutionReport, OrderRequest
from memelab.live.reconcile import Mismatch, reconcile_positions
from memelab.live.rpc import SolanaRpc


@dataclass
class Session:
    ledger: Ledger
    executor: LiveExecutor
    mismatches: list[Mismatch] = field(default_factory=list)

    async def recover(self, resume_unsigned: bool = False) -> list[ExecutionReport]:
        """Finish what a previous process left, and book it (booking is idempotent); then
        compare open positions with the wallet's token accounts (mismatches are logged)."""
        reports = await self.executor.recover(resume_unsigned)
        for r in reports:
            book_report(self.ledger, r)
        self.mismatches = await reconcile_positions(
            self.ledger, self.executor.rpc, self.executor.wallet
        )
        return reports

    async def execute(self, order: OrderRequest) -> ExecutionReport:
        report = await self.executor.submit(order)
        book_report(self.ledger, report)
        return report

    async def execute_existing(self, order_id: str) -> ExecutionReport:
        report = await self.executor.poll(order_id)
        book_report(self.ledger, report)
        return report


@contextlib.asynccontextmanager
async def open_session(settings: LiveSettings, wallet: Wallet) -> AsyncIterator[Session]:
    ledger = Ledger(settings.ledger)
    rpc = SolanaRpc(settings.rpc_url)
    jupiter = None
    if settings.jupiter_url:
        key = os.environ.get(settings.jupiter_api_key_env) if settings.jupiter_api_key_env else None
        jupiter = JupiterClient(settings.jupiter_url, api_key=key)
    config = LiveConfig(
        fees=settings.fees, poll_interval_s=settings.poll_interval_s,
        resend_interval_s=settings.resend_interval_s, max_wait_s=settings.max_wait_s,
        send_urls=settings.send_urls, private_only=settings.private_only,
    )  # fmt: skip
    executor = LiveExecutor(ledger, rpc, wallet, config, jupiter)
    try:
        yield Session(ledger, executor)
    finally:
        await executor.aclose()
        await rpc.aclose()
        if jupiter is not None:
            await jupiter.aclose()
        ledger.close()
