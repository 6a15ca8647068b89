"""The live executor: build, sign, send and confirm one order without ever spending twice.

The no-double-spend protocol (see ``docs/live.md``):

1. The order is written to the ledger (``decided``) before anything else.
2. The transaction is built from a fresh curve read (pump.fun) or a fresh quote (Jupiter),
   simulated for its compute units, signed, and its bytes, blockhash and
   ``lastValidBlockHeight`` are written to the ledger (``signed``) *before the first send*.
3. While the blockhash is valid, only those same bytes are re-sent: the same signature can
   land at most once, so re-sending cannot double-spend.
4. It is *expired* only when the confirmed block height is past ``lastValidBlockHeight`` and
   ``getSignatureStatuses(searchTransactionHistory=True)`` does not know the signature. Only
   then may a new transaction for the same intent exist -- and deciding that belongs to the
   engine and risk layer (a new order at a new price), not here.
5. A transaction that landed with an error is final (``failed``): never re-sent.
6. The landed transaction is parsed with our own parser (``datasets.solana``): the amounts are
   what the chain says, not what we asked for.

A restarted process calls :meth:`LiveExecutor.recover`: every order the ledger holds unfinished
resumes at its step (re-sending only recorded bytes), so ``kill -9`` anywhere loses nothing and
sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from memelab.datasets.solana.parse import parse_transaction
from memelab.datasets.solana.programs import LAMPORTS_PER_SOL, WSOL
from memelab.datasets.solana.tx import MalformedTransaction, tx_view
from memelab.live import pumpfun
from memelab.live.compute_budget import (
    MAX_CU_LIMIT,
    FeePolicy,
    cu_limit_from_simulation,
    cu_price_micro_lamports,
)
from memelab.live.jupiter import JupiterClient, JupiterError
from memelab.live.keys import Wallet
from memelab.live.ledger import Ledger
from memelab.live.logs import log_event
from memelab.live.orders import (
    EXPIRED,
    FAILED,
    LANDED,
    NOT_SENT,
    PENDING,
    ExecutionReport,
    OrderRequest,
    crash_point,
)
from memelab.live.rpc import RpcError, SolanaRpc
from memelab.live.txbuild import compile_message, sign
from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction


class ExecutionError(RuntimeError):
    """The order cannot be built (bad mint, no curve...); nothing was signed."""


@dataclass
class LiveConfig:
    fees: FeePolicy = field(default_factory=FeePolicy)
    poll_interval_s: float = 0.4  # ~ one slot
    resend_interval_s: float = 2.0  # re-broadcast the same bytes this often while valid
    max_wait_s: float = 120.0  # a safety net: the blockhash window is ~60-90 s
    send_urls: tuple[str, ...] = ()  # extra endpoints (a block engine / private relay) to send to
    private_only: bool = False  # send only to send_urls: our order is never in a public mempool


def _order_from_row(row: dict[str, Any]) -> OrderRequest:
    return OrderRequest(
        order_id=row["order_id"], mint=row["mint"], side=int(row["side"]), sol=row["sol"],
        tokens=row["tokens"], ts=row["ts"], signal_id=row["signal_id"], venue=row["venue"],
        slippage_bps=int(row["slippage_bps"]), reason=row["reason"],
        quote_price=row["quote_price"] if row["quote_price"] is not None else float("nan"),
    )  # fmt: skip


class LiveExecutor:
    def __init__(
        self,
        ledger: Ledger,
        rpc: SolanaRpc,
        wallet: Wallet,
        config: LiveConfig | None = None,
        jupiter: JupiterClient | None = None,
        on_rpc_error=None,
    ):
        self.ledger, self.rpc, self.wallet = ledger, rpc, wallet
        self.config = config or LiveConfig()
        self.jupiter = jupiter
        self.senders = [SolanaRpc(u) for u in self.config.send_urls]
        if self.config.private_only and not self.senders:
            raise ValueError("private_only needs send_urls (a block engine or private relay)")
        self.on_rpc_error = on_rpc_error or (lambda exc: None)

    # ------------------------------------------------------------ the seam
    async def submit(self, order: OrderRequest) -> ExecutionReport:
        if not self.ledger.record_order(order):
            return await self.poll(order.order_id)  # a restart re-deciding the same order
        log_event("order.decided", order_id=order.order_id, mint=order.mint, side=order.side,
                  sol=order.sol, tokens=order.tokens, venue=order.venue)  # fmt: skip
        crash_point("after_decision")
        return await self._sign_and_drive(order)

    async def poll(self, order_id: str) -> ExecutionReport:
        row = self.ledger.order(order_id)
        if row is None:
            raise KeyError(f"order {order_id} not in the ledger")
        return await self._resume(row, resume_unsigned=True)

    async def recover(self, resume_unsigned: bool = False) -> list[ExecutionReport]:
        """Finish every unfinished order. An order decided but never signed is reported
        ``not_sent`` (its decision is stale; the engine decides again) unless asked to resume."""
        rows = self.ledger.orders(("decided", "signed", "sent", "landed", "failed"))
        return [await self._resume(r, resume_unsigned) for r in rows]

    async def _resume(self, row: dict[str, Any], resume_unsigned: bool) -> ExecutionReport:
        state = row["state"]
        txs = self.ledger.transactions(row["order_id"])
        live = [t for t in txs if t["state"] not in (EXPIRED,)]
        if state == "decided" and not txs:
            if resume_unsigned:
                return await self._sign_and_drive(_order_from_row(row))
            self.ledger.set_order_state(row["order_id"], NOT_SENT)
            return ExecutionReport(row["order_id"], NOT_SENT, error="decided before a crash")
        if not live:
            sig = txs[-1]["signature"] if txs else None
            return ExecutionReport(row["order_id"], EXPIRED if txs else NOT_SENT, signature=sig)
        tx = live[-1]
        if tx["state"] in ("signed", "sent"):
            return await self._drive(row["order_id"], tx)
        return await self._landed_report(row["order_id"], tx["signature"], tx["sends"])

    # -------------------------------------------------------------- build
    async def _sign_and_drive(self, order: OrderRequest) -> ExecutionReport:
        try:
            body, tables = await self._build(order)
            blockhash, last_valid = await self.rpc.latest_blockhash()
            probe = sign(self.wallet, compile_message(
                self.wallet, body, blockhash, MAX_CU_LIMIT, self.config.fees, tables))  # fmt: skip
            err, units = await self.rpc.simulate(probe)
        except (ExecutionError, pumpfun.PumpError, JupiterError) as exc:
            self.ledger.set_order_state(order.order_id, NOT_SENT)
            return ExecutionReport(order.order_id, NOT_SENT, error=str(exc))
        except RpcError as exc:
            self.on_rpc_error(exc)
            self.ledger.set_order_state(order.order_id, NOT_SENT)
            return ExecutionReport(order.order_id, NOT_SENT, error=str(exc))
        if err is not None:  # it would fail on chain: do not pay for it
            log_event("order.not_sent", order_id=order.order_id, error=str(err))
            self.ledger.set_order_state(order.order_id, NOT_SENT)
            return ExecutionReport(order.order_id, NOT_SENT, error=f"simulation: {err}")
        fees = self.config.fees
        cu_limit = cu_limit_from_simulation(units, fees.cu_margin, fees.min_cu_limit)
        tx = sign(
            self.wallet, compile_message(self.wallet, body, blockhash, cu_limit, fees, tables)
        )
        signature = str(tx.signatures[0])
        self.ledger.record_signed(
            order.order_id, signature, bytes(tx), str(blockhash), last_valid, cu_limit,
            cu_price_micro_lamports(fees.priority_fee_lamports, cu_limit),
        )  # fmt: skip
        log_event("tx.signed", order_id=order.order_id, signature=signature,
                  last_valid_block_height=last_valid, cu_limit=cu_limit)  # fmt: skip
        crash_point("after_signing")
        return await self._drive(order.order_id, self.ledger.transactions(order.order_id)[-1])

    async def _build(self, order: OrderRequest):
        mint = Pubkey.from_string(order.mint)
        mint_acc = await self.rpc.account(mint)
        if mint_acc is None:
            raise ExecutionError(f"mint {order.mint} does not exist")
        token_program, mint_data = mint_acc
        decimals = mint_data[44] if len(mint_data) > 44 else 6
        if order.venue == "pumpfun":
            curve_acc = await self.rpc.account(pumpfun.bonding_curve_address(mint))
            if curve_acc is not None:
                curve = pumpfun.Curve.from_account(curve_acc[1])
                if not curve.complete:
                    glob = await self.rpc.account(pumpfun.global_address())
                    if glob is None:
                        raise ExecutionError("pump.fun global account not found")
                    config = pumpfun.GlobalConfig.from_account(glob[1])
                    user = self.wallet.pubkey
                    if order.side > 0:
                        built = pumpfun.build_buy(
                            user, mint, token_program, curve, config,
                            round(order.sol * LAMPORTS_PER_SOL), order.slippage_bps,
                        )  # fmt: skip
                    else:
                        built = pumpfun.build_sell(
                            user, mint, token_program, curve, config,
                            round(order.tokens * 10**decimals), order.slippage_bps,
                        )  # fmt: skip
                    return built.instructions, []
        # graduated or an AMM venue: Jupiter's route, our own compute budget
        if self.jupiter is None:
            raise ExecutionError(f"{order.mint} is not on a live bonding curve and no Jupiter")
        if order.side > 0:
            q = await self.jupiter.quote(WSOL, order.mint, round(order.sol * LAMPORTS_PER_SOL),
                                         order.slippage_bps)  # fmt: skip
        else:
            q = await self.jupiter.quote(order.mint, WSOL, round(order.tokens * 10**decimals),
                                         order.slippage_bps)  # fmt: skip
        swap = await self.jupiter.swap_instructions(q, self.wallet.pubkey)
        tables = []
        for addr in swap.lookup_tables:
            acc = await self.rpc.account(addr)
            if acc is None:
                raise ExecutionError(f"address lookup table {addr} not found")
            table = AddressLookupTable.deserialize(acc[1])
            tables.append(AddressLookupTableAccount(addr, list(table.addresses)))
        return swap.body(), tables

    # ------------------------------------------------------------- drive
    async def _send(self, raw: bytes) -> None:
        targets = self.senders if self.config.private_only else [self.rpc, *self.senders]
        errors = []
        for rpc in targets:
            try:
                await rpc.send_raw(raw)
            except RpcError as exc:
                errors.append(exc)
                self.on_rpc_error(exc)
        if len(errors) == len(targets):
            raise errors[0]

    async def _drive(self, order_id: str, tx: dict[str, Any]) -> ExecutionReport:
        signature, raw = tx["signature"], bytes(tx["raw"])
        last_valid = int(tx["last_valid_block_height"])
        sends = int(tx["sends"])
        last_send = -1e18
        deadline = time.monotonic() + self.config.max_wait_s
        while time.monotonic() < deadline:
            try:
                status = await self.rpc.signature_status(signature)
                if status is not None and status.confirmed:
                    return await self._landed_report(order_id, signature, sends)
                height = await self.rpc.block_height()
                if height > last_valid:
                    # past the window: only now does "unknown" mean "never landed"
                    status = await self.rpc.signature_status(signature)
                    if status is None:
                        log_event("tx.expired", order_id=order_id, signature=signature,
                                  height=height, last_valid_block_height=last_valid)  # fmt: skip
                        self.ledger.record_outcome(signature, EXPIRED)
                        return ExecutionReport(order_id, EXPIRED, signature=signature, sends=sends)
                    if status.confirmed:
                        return await self._landed_report(order_id, signature, sends)
                elif time.monotonic() - last_send >= self.config.resend_interval_s:
                    # the very bytes in the ledger: the same signature, never a new spend
                    await self._send(raw)
                    last_send = time.monotonic()
                    sends += 1
                    self.ledger.record_send(signature)
                    log_event("tx.sent", order_id=order_id, signature=signature, sends=sends)
                    if sends == 1:
                        crash_point("after_sending")
            except RpcError as exc:
                log_event("rpc.error", logging.WARNING, order_id=order_id, error=str(exc))
                self.on_rpc_error(exc)
            await asyncio.sleep(self.config.poll_interval_s)
        return ExecutionReport(order_id, PENDING, signature=signature, sends=sends,
                               error="still unconfirmed; poll again")  # fmt: skip

    async def _landed_report(self, order_id: str, signature: str, sends: int) -> ExecutionReport:
        doc = await self.rpc.transaction_json(signature)
        if doc is None:
            return ExecutionReport(order_id, PENDING, signature=signature, sends=sends,
                                   error="confirmed but getTransaction has no result yet")  # fmt: skip
        order = self.ledger.order(order_id)
        report = report_from_transaction(doc, order_id, order["mint"], int(order["side"]),
                                         str(self.wallet.pubkey), sends)  # fmt: skip
        if self.ledger.order(order_id)["state"] not in (LANDED, FAILED, "booked"):
            self.ledger.record_outcome(signature, report.status, report.slot, report.block_time,
                                       report.error)  # fmt: skip
            log_event(f"tx.{report.status}", order_id=order_id, signature=signature,
                      slot=report.slot, sol=report.sol, tokens=report.tokens, error=report.error)  # fmt: skip
            crash_point("after_confirmation")
        return report

    async def aclose(self) -> None:
        for s in self.senders:
            await s.aclose()


def report_from_transaction(
    doc: dict[str, Any], order_id: str, mint: str, side: int, owner: str, sends: int = 0
) -> ExecutionReport:
    """Amounts of our swap in a confirmed transaction, read by our own parser.

    The pump.fun/PumpSwap event row of our wallet when there is one; otherwise (a routed Jupiter
    swap) our token account's balance change and the fee payer's SOL change net of fees."""
    try:
        tv = tx_view(doc)
    except MalformedTransaction as exc:
        return ExecutionReport(order_id, PENDING, error=f"unreadable transaction: {exc}")
    fee = tv.fee / LAMPORTS_PER_SOL
    if tv.failed:
        return ExecutionReport(order_id, FAILED, tv.signature, tv.slot, tv.block_time,
                               network_fee=fee, sends=sends, error=tv.err)  # fmt: skip
    rows = [r for r in parse_transaction(doc).swaps if r["trader"] == owner and r["mint"] == mint]
    if rows:
        sol = sum(r["sol_amount"] for r in rows)
        venue_fee = sum(r["fee"] for r in rows if r["fee"] == r["fee"])
        tokens = sum(r["token_amount"] for r in rows)
        gross = sol + venue_fee if side > 0 else sol - venue_fee
    else:
        pre = sum(b.amount for b in tv.pre_tokens.values() if b.mint == mint and b.owner == owner)
        post = sum(b.amount for b in tv.post_tokens.values() if b.mint == mint and b.owner == owner)
        dec = next((b.decimals for b in (*tv.post_tokens.values(), *tv.pre_tokens.values())
                    if b.mint == mint), 6)  # fmt: skip
        tokens = abs(post - pre) / 10**dec
        payer = tv.post_lamports[0] - tv.pre_lamports[0] + tv.fee if tv.pre_lamports else 0
        gross, venue_fee = abs(payer) / LAMPORTS_PER_SOL, float("nan")
    return ExecutionReport(
        order_id, LANDED, tv.signature, tv.slot, tv.block_time, sol=gross, tokens=tokens,
        venue_fee=venue_fee, network_fee=fee, sends=sends,
    )  # fmt: skip


def signed_transaction(raw: bytes) -> VersionedTransaction:
    return VersionedTransaction.from_bytes(raw)
