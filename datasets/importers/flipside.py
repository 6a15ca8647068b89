"""The ``flipside`` preset: Flipside ``solana.defi.fact_swaps`` exports.

A fact_swaps row is "SWAPPER gave SWAP_FROM_AMOUNT of SWAP_FROM_MINT for SWAP_TO_AMOUNT of
SWAP_TO_MINT" (amounts already decimal-adjusted). With SOL (wrapped or native) on the from side
the row is a buy of the to-mint, on the to side a sell of the from-mint. Rows with no SOL leg
(token-to-token, e.g. JUP -> USDC) and failed transactions (``SUCCEEDED`` false) are counted as
skipped, not quarantined: they are valid, just not SOL-quoted trades. ``_LOG_ID``
(``<tx>-<n>-<program>``) gives the instruction index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from memelab.datasets.importers.fields import (
    SOL_MINTS,
    Canonical,
    null_mask,
    parse_int,
    signature_ordinals,
)
from memelab.datasets.importers.presets import Preset, RawBatch, register_preset

REQUIRED = (
    "BLOCK_TIMESTAMP",
    "BLOCK_ID",
    "TX_ID",
    "SWAPPER",
    "SWAP_FROM_AMOUNT",
    "SWAP_FROM_MINT",
    "SWAP_TO_AMOUNT",
    "SWAP_TO_MINT",
)


def is_sol(col: pa.Array) -> np.ndarray:
    text = pc.utf8_trim_whitespace(col.cast(pa.string()))
    return pc.is_in(text, value_set=pa.array(sorted(SOL_MINTS))).to_numpy(zero_copy_only=False)


def failed(col: pa.Array | None, n: int) -> np.ndarray:
    """Rows whose success flag says the transaction failed (absent flag: succeeded)."""
    if col is None:
        return np.zeros(n, dtype=bool)
    text = pc.utf8_lower(pc.utf8_trim_whitespace(col.cast(pa.string())))
    return pc.is_in(text, value_set=pa.array(["false", "0", "f"])).to_numpy(zero_copy_only=False)


def sol_leg_split(
    batch: RawBatch, from_mint: pa.Array, to_mint: pa.Array, success: pa.Array | None
) -> tuple[RawBatch, np.ndarray, dict[str, int]]:
    """Drop failed and no-SOL-leg rows; return the rest, their ``buy`` flag and skip counts."""
    n = len(batch)
    from_sol, to_sol = is_sol(from_mint), is_sol(to_mint)
    both_present = ~null_mask(from_mint) & ~null_mask(to_mint)
    no_sol = both_present & (from_sol == to_sol)
    fail = failed(success, n)
    keep = ~fail & ~no_sol
    skipped = {}
    if fail.any():
        skipped["failed_tx"] = int(fail.sum())
    if (no_sol & ~fail).any():
        skipped["no_sol_leg"] = int((no_sol & ~fail).sum())
    return batch.filter(keep), from_sol[keep], skipped


def pick(buy: np.ndarray, if_buy: pa.Array, if_sell: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(buy), if_buy.cast(pa.string()), if_sell.cast(pa.string()))


def to_canonical(batch: RawBatch, state: dict[str, Any]) -> tuple[Canonical, dict[str, int]]:
    batch, buy, skipped = sol_leg_split(
        batch, batch.col("SWAP_FROM_MINT"), batch.col("SWAP_TO_MINT"), batch.col("SUCCEEDED")
    )
    from_mint, to_mint = batch.col("SWAP_FROM_MINT"), batch.col("SWAP_TO_MINT")
    from_amt, to_amt = batch.col("SWAP_FROM_AMOUNT"), batch.col("SWAP_TO_AMOUNT")
    # A row with a missing mint has no known side: leave side empty so it is quarantined.
    known = ~null_mask(from_mint) & ~null_mask(to_mint)
    side = pa.array(np.where(buy, "buy", "sell"), pa.string())
    side = pc.if_else(pa.array(known), side, pa.nulls(len(batch), pa.string()))
    columns: dict[str, pa.Array] = {
        "ts": batch.col("BLOCK_TIMESTAMP"),
        "slot": batch.col("BLOCK_ID"),
        "signature": batch.col("TX_ID"),
        "trader": batch.col("SWAPPER"),
        "side": side,
        "mint": pick(buy, to_mint, from_mint),
        "sol_amount": pick(buy, from_amt, to_amt),
        "token_amount": pick(buy, to_amt, from_amt),
    }
    if batch.has("SWAP_PROGRAM"):
        columns["venue"] = batch.col("SWAP_PROGRAM")
    log_id = batch.col("_LOG_ID")
    ix = None
    if log_id is not None:
        # "<signature>-<n>-<program>": the middle number is the swap's instruction index.
        n_str = pc.extract_regex(log_id.cast(pa.string()), r"^[^-]+-(?P<ix>\d+)(?:-|$)")
        ix_arr = pc.struct_field(n_str, "ix")
        values, missing, bad = parse_int(ix_arr)
        if not (missing | bad).any():
            ix = pa.array(values)
    if ix is None:
        ix = pa.array(signature_ordinals(columns["signature"], state.setdefault("carry", {})))
    columns["ix_index"] = ix
    return Canonical(columns=columns, rows=batch.rows, raw=batch.table), skipped


register_preset(
    Preset("flipside", REQUIRED, to_canonical, "Flipside solana.defi.fact_swaps"), priority=20
)
