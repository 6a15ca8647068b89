"""The ``kaggle`` preset: the per-trade chunks of the Kaggle pump.fun graduation data set.

Columns: ``block_time, slot, tx_idx, signing_wallet, direction, base_coin, base_coin_amount,
quote_coin_amount, virtual_token_balance_after, virtual_sol_balance_after, signature, fees``.
``base_coin`` is the token (mint), ``quote_coin`` SOL; ``direction`` buy/sell.

Units. The export may carry raw on-chain integers (lamports, token base units with pump.fun's 6
decimals) or decimal-adjusted values; the file does not say. The preset decides once per file, on
its first batch: when the median ``virtual_sol_balance_after`` exceeds 1e5 it is lamports (a
pump.fun curve holds 30-115 SOL virtual, i.e. 3e10-1.15e11 lamports, never 1e5 SOL); without
reserves, a median ``quote_coin_amount`` above 1e4 means lamports (trades of 10,000 SOL do not
happen on a bonding curve; trades of 1e-5 SOL are dust). Raw values are divided by 1e9 (SOL
fields: amounts, reserves, ``fees``) and 1e6 (token fields). The decision is in the report's
``info.units``. ``fees`` is taken as the trade's fee in the quote currency.

``tx_idx`` is not used as ``ix_index``: it places the transaction in its block and so does not
tell apart two trades of one transaction; the row's position among its signature's rows does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from memelab.datasets.importers.fields import Canonical, parse_float, signature_ordinals
from memelab.datasets.importers.presets import Preset, RawBatch, register_preset

REQUIRED = (
    "block_time",
    "slot",
    "signing_wallet",
    "direction",
    "base_coin",
    "base_coin_amount",
    "quote_coin_amount",
    "signature",
)
LAMPORTS_PER_SOL = 1e9
TOKEN_BASE_UNITS = 1e6  # pump.fun tokens have 6 decimals
RAW_UNITS = "raw: lamports and 6-decimal token base units (divided by 1e9 / 1e6)"
DECIMAL_UNITS = "decimal: SOL and whole tokens (as given)"


def detect_raw_units(batch: RawBatch) -> bool:
    """True when the batch's magnitudes are lamports / base units (see the module docstring)."""
    reserves = batch.col("virtual_sol_balance_after")
    if reserves is not None:
        values, _, _ = parse_float(reserves)
        values = values[np.isfinite(values)]
        if len(values):
            return bool(np.median(values) > 1e5)
    values, _, _ = parse_float(batch.col("quote_coin_amount"))
    values = values[np.isfinite(values)]
    return bool(len(values) and np.median(values) > 1e4)


def to_canonical(batch: RawBatch, state: dict[str, Any]) -> tuple[Canonical, dict[str, int]]:
    if "units" not in state:
        state["units"] = RAW_UNITS if detect_raw_units(batch) else DECIMAL_UNITS
    raw = state["units"] == RAW_UNITS
    sol, tok = (1 / LAMPORTS_PER_SOL, 1 / TOKEN_BASE_UNITS) if raw else (1.0, 1.0)
    columns: dict[str, pa.Array] = {
        "ts": batch.col("block_time"),
        "slot": batch.col("slot"),
        "signature": batch.col("signature"),
        "trader": batch.col("signing_wallet"),
        "side": batch.col("direction"),
        "mint": batch.col("base_coin"),
        "token_amount": batch.col("base_coin_amount"),
        "sol_amount": batch.col("quote_coin_amount"),
        "ix_index": pa.array(
            signature_ordinals(batch.col("signature"), state.setdefault("carry", {}))
        ),
    }
    optional = {
        "virtual_token_reserves": "virtual_token_balance_after",
        "virtual_sol_reserves": "virtual_sol_balance_after",
        "fee": "fees",
    }
    for canon_name, raw_name in optional.items():
        if batch.has(raw_name):
            columns[canon_name] = batch.col(raw_name)
    scale = {
        "sol_amount": sol,
        "virtual_sol_reserves": sol,
        "fee": sol,
        "token_amount": tok,
        "virtual_token_reserves": tok,
    }
    canon = Canonical(
        columns=columns, rows=batch.rows, raw=batch.table, default_venue="pumpfun", scale=scale
    )
    return canon, {}


register_preset(
    Preset("kaggle", REQUIRED, to_canonical, "Kaggle pump.fun graduation trade chunks"),
    priority=10,
)
