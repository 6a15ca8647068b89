"""Row dicts -> Arrow tables with the canonical columns (``schemas`` minus the id columns)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
from memelab.datasets import schemas

SWAP_FIELDS = [f for f in schemas.SWAPS_SCHEMA if f.name not in ("mint_id", "trader_id")]
LAUNCH_FIELDS = [f for f in schemas.LAUNCHES_SCHEMA if f.name != "mint_id"]
SWAP_ROW_SCHEMA = pa.schema(SWAP_FIELDS)
LAUNCH_ROW_SCHEMA = pa.schema(LAUNCH_FIELDS)


def swaps_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Swaps rows as a table; NaN stays NaN (unknown), never null, in the float columns."""
    return pa.Table.from_pydict(
        {f.name: [r[f.name] for r in rows] for f in SWAP_FIELDS}, schema=SWAP_ROW_SCHEMA
    )


def launches_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pydict(
        {f.name: [r.get(f.name) for r in rows] for f in LAUNCH_FIELDS}, schema=LAUNCH_ROW_SCHEMA
    )


def merge_graduations(
    launches: list[dict[str, Any]], graduations: list[dict[str, Any]], skipped: Counter
) -> list[dict[str, Any]]:
    """Set ``graduated_ts`` on launches created in the same batch; count the others.

    A launch row needs its creation time, which a migration alone does not tell, so a graduation
    whose create is not in the batch is counted (``graduation_without_create``); the migration
    itself is still in ``swaps`` as a side-0 row.
    """
    by_mint = {row["mint"]: row for row in launches}
    for grad in graduations:
        row = by_mint.get(grad["mint"])
        if row is None:
            skipped["graduation_without_create"] += 1
        elif row.get("graduated_ts") is None or grad["graduated_ts"] < row["graduated_ts"]:
            row["graduated_ts"] = grad["graduated_ts"]
    return launches
