"""The ``generic`` preset: a file whose columns already carry the canonical swaps names.

Required: ``ts`` (ISO-8601, or epoch s/ms/us/ns), ``slot``, ``signature``, ``mint``, ``trader``,
``side`` (buy/sell, b/s, +1/-1, any case), ``sol_amount`` (SOL), ``token_amount`` (whole tokens).
Optional: ``venue``, ``price`` (SOL per token; derived as sol/token when absent),
``virtual_sol_reserves``, ``virtual_token_reserves`` (after the trade), ``fee`` (SOL),
``ix_index`` (when absent: the row's position among the rows of its signature).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from memelab.datasets.importers.fields import Canonical, signature_ordinals
from memelab.datasets.importers.presets import Preset, RawBatch, register_preset

REQUIRED = ("ts", "slot", "signature", "mint", "trader", "side", "sol_amount", "token_amount")
OPTIONAL = ("venue", "price", "virtual_sol_reserves", "virtual_token_reserves", "fee", "ix_index")


def to_canonical(batch: RawBatch, state: dict[str, Any]) -> tuple[Canonical, dict[str, int]]:
    columns = {name: batch.col(name) for name in REQUIRED + OPTIONAL if batch.has(name)}
    if "ix_index" not in columns:
        sigs = batch.col("signature")
        columns["ix_index"] = pa.array(signature_ordinals(sigs, state.setdefault("carry", {})))
    return Canonical(columns=columns, rows=batch.rows, raw=batch.table), {}


register_preset(
    Preset("generic", REQUIRED, to_canonical, "canonical memelab column names"), priority=90
)
