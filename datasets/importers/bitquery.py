"""The ``bitquery`` preset: Bitquery Solana DEX trades (pump.fun dumps), flattened columns.

Bitquery describes a trade by its two currencies: ``Trade_Buy_*`` is what the trader received,
``Trade_Sell_*`` what they gave (amounts decimal-adjusted). With SOL (native ``111...1`` or
wrapped) on the Buy side the row is a *sell* of the Sell-side token, on the Sell side a *buy*.
The trader is the owner of the token-side account (``..._Account_Token_Owner``), else the
SOL-side account, else ``Transaction_Signer``. ``Transaction_Fee`` is the network fee of the
whole transaction, not the venue's trading fee, so it is not mapped to ``fee``. Nested Parquet
columns (``Trade.Buy.Amount``) are flattened to these names by the Parquet reader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from memelab.datasets.importers.fields import Canonical, null_mask, signature_ordinals
from memelab.datasets.importers.flipside import pick, sol_leg_split
from memelab.datasets.importers.presets import Preset, RawBatch, register_preset

REQUIRED = (
    "Block_Time",
    "Block_Slot",
    "Transaction_Signature",
    "Trade_Buy_Amount",
    "Trade_Buy_Currency_MintAddress",
    "Trade_Sell_Amount",
    "Trade_Sell_Currency_MintAddress",
)


def _first_present(n: int, *cols: pa.Array | None) -> pa.Array:
    """Row-wise first non-empty value among ``cols``."""
    out = pa.nulls(n, pa.string())
    for col in reversed([c for c in cols if c is not None]):
        col = col.cast(pa.string())
        out = pc.if_else(pa.array(~null_mask(col)), col, out)
    return out


def to_canonical(batch: RawBatch, state: dict[str, Any]) -> tuple[Canonical, dict[str, int]]:
    # The trader gave the Sell-side currency and got the Buy side: "from" = Sell, "to" = Buy.
    batch, buy, skipped = sol_leg_split(
        batch,
        batch.col("Trade_Sell_Currency_MintAddress"),
        batch.col("Trade_Buy_Currency_MintAddress"),
        batch.col("Transaction_Result_Success"),
    )
    n = len(batch)
    got_mint, gave_mint = (
        batch.col("Trade_Buy_Currency_MintAddress"),
        batch.col("Trade_Sell_Currency_MintAddress"),
    )
    got_amt, gave_amt = batch.col("Trade_Buy_Amount"), batch.col("Trade_Sell_Amount")
    trader_if_buy = _first_present(
        n,
        batch.col("Trade_Buy_Account_Token_Owner"),
        batch.col("Trade_Sell_Account_Address"),
        batch.col("Transaction_Signer"),
    )
    trader_if_sell = _first_present(
        n,
        batch.col("Trade_Sell_Account_Token_Owner"),
        batch.col("Trade_Buy_Account_Address"),
        batch.col("Transaction_Signer"),
    )
    known = ~null_mask(got_mint) & ~null_mask(gave_mint)
    side = pc.if_else(
        pa.array(known), pa.array(np.where(buy, "buy", "sell")), pa.nulls(n, pa.string())
    )
    columns: dict[str, pa.Array] = {
        "ts": batch.col("Block_Time"),
        "slot": batch.col("Block_Slot"),
        "signature": batch.col("Transaction_Signature"),
        "side": side,
        "trader": pick(buy, trader_if_buy, trader_if_sell),
        "mint": pick(buy, got_mint, gave_mint),
        "sol_amount": pick(buy, gave_amt, got_amt),
        "token_amount": pick(buy, got_amt, gave_amt),
        "venue": _first_present(
            n, batch.col("Trade_Dex_ProtocolName"), batch.col("Trade_Dex_ProtocolFamily")
        ),
    }
    if batch.has("Instruction_Index"):
        columns["ix_index"] = batch.col("Instruction_Index")
    else:
        sigs = columns["signature"]
        columns["ix_index"] = pa.array(signature_ordinals(sigs, state.setdefault("carry", {})))
    return Canonical(columns=columns, rows=batch.rows, raw=batch.table), skipped


register_preset(
    Preset("bitquery", REQUIRED, to_canonical, "Bitquery Solana DEX trades (pump.fun dumps)"),
    priority=30,
)
