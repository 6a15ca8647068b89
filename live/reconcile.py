"""Start-up reconciliation of the ledger with the chain.

Pending transactions are settled by :meth:`LiveExecutor.recover` (signature statuses, with
history). Then every open position's token amount is compared with the wallet's token account
on chain: a difference (a transfer we did not make, a fill booked wrong, a crash we did not
see) is reported and logged, never silently "fixed" -- the operator decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from memelab.live import pumpfun
from memelab.live.keys import Wallet
from memelab.live.ledger import Ledger
from memelab.live.logs import log_event
from memelab.live.rpc import SolanaRpc
from solders.pubkey import Pubkey


@dataclass(frozen=True)
class Mismatch:
    mint: str
    ledger_tokens: float
    chain_tokens: float | None  # None: no token account on chain


async def reconcile_positions(ledger: Ledger, rpc: SolanaRpc, wallet: Wallet) -> list[Mismatch]:
    """Open positions whose token amount differs from the chain by a base unit or more."""
    out = []
    for pos in ledger.positions():
        mint = Pubkey.from_string(pos["mint"])
        acc = await rpc.account(mint)
        if acc is None:
            out.append(Mismatch(pos["mint"], pos["tokens"], None))
            continue
        owner, data = acc
        decimals = data[44] if len(data) > 44 else 6
        ata = pumpfun.associated_token_address(wallet.pubkey, mint, owner)
        raw = await rpc.token_balance(ata)
        chain = None if raw is None else raw / 10**decimals
        if chain is None or abs(chain - pos["tokens"]) * 10**decimals >= 0.5:
            out.append(Mismatch(pos["mint"], pos["tokens"], chain))
    for m in out:
        log_event("reconcile.mismatch", mint=m.mint, ledger_tokens=m.ledger_tokens,
                  chain_tokens=m.chain_tokens)  # fmt: skip
    return out
