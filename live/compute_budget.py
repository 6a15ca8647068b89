"""Priority fee and compute limit as compute-budget instructions, and the optional tip.

The priority fee is charged on the compute-unit *limit*, not on what runs: fee (lamports) =
price (micro-lamports per CU) x limit / 1e6. So a target fee gives price = fee x 1e6 / limit,
and the limit comes from a simulation plus a margin (too tight and the transaction fails; too
loose and the same price costs more). A tip is a plain SOL transfer to a block engine's tip
account: it only helps when the transaction goes to that block engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

MAX_CU_LIMIT = 1_400_000  # the runtime's per-transaction maximum
DEFAULT_CU_LIMIT = 200_000  # what a transaction gets per instruction without a limit


@dataclass(frozen=True)
class FeePolicy:
    """How much to pay to land: total priority fee, limit margin over simulation, tip."""

    priority_fee_lamports: int = 100_000  # 0.0001 SOL, the engine's default priority_fee_sol
    cu_margin: float = 0.2  # limit = simulated units x (1 + margin)
    min_cu_limit: int = 20_000
    tip_lamports: int = 0
    tip_account: str | None = None  # a block engine's tip account (with its endpoint)


def cu_limit_from_simulation(units_consumed: int, margin: float, floor: int = 20_000) -> int:
    """Simulated units plus the margin, clamped to [floor, 1.4M]."""
    if units_consumed < 0 or not math.isfinite(margin) or margin < 0:
        raise ValueError(f"units {units_consumed} and margin {margin} must be >= 0")
    return max(floor, min(MAX_CU_LIMIT, math.ceil(units_consumed * (1.0 + margin))))


def cu_price_micro_lamports(fee_lamports: int, cu_limit: int) -> int:
    """Micro-lamports per CU so that price x limit / 1e6 = ``fee_lamports`` (rounded down)."""
    if cu_limit <= 0:
        raise ValueError(f"compute-unit limit {cu_limit} must be > 0")
    return fee_lamports * 1_000_000 // cu_limit


def priority_fee_lamports(cu_price: int, cu_limit: int) -> int:
    """What the runtime charges: ceil(price x limit / 1e6)."""
    return -(-cu_price * cu_limit // 1_000_000)


def budget_instructions(cu_limit: int, fee_lamports: int) -> list[Instruction]:
    """[SetComputeUnitLimit, SetComputeUnitPrice] for this limit and total priority fee."""
    return [
        set_compute_unit_limit(cu_limit),
        set_compute_unit_price(cu_price_micro_lamports(fee_lamports, cu_limit)),
    ]


def tip_instruction(payer: Pubkey, policy: FeePolicy) -> Instruction | None:
    if policy.tip_lamports <= 0:
        return None
    if not policy.tip_account:
        raise ValueError("tip_lamports > 0 needs tip_account (the block engine's tip account)")
    return transfer(
        TransferParams(
            from_pubkey=payer,
            to_pubkey=Pubkey.from_string(policy.tip_account),
            lamports=policy.tip_lamports,
        )
    )
