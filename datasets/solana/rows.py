"""Row building shared by every Solana source: the batch container, time, instruction index."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from memelab.datasets.solana.tx import MalformedTransaction, TxView

IX_STRIDE = 1000  # ix_index = IX_STRIDE * top-level instruction + k-th swap inside it
NS = 1_000_000_000


@dataclass
class TxParse:
    """What one transaction (or a batch) yields: rows plus counts of what was passed over."""

    swaps: list[dict[str, Any]] = field(default_factory=list)
    launches: list[dict[str, Any]] = field(default_factory=list)
    graduations: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def extend(self, other: TxParse) -> None:
        self.swaps.extend(other.swaps)
        self.launches.extend(other.launches)
        self.graduations.extend(other.graduations)
        self.skipped.update(other.skipped)


def ts_ns(tv: TxView, event_ts: Any = None) -> int:
    """Block time (s) in ns; the event's own clock when the form carries no block time."""
    seconds = tv.block_time if tv.block_time is not None else event_ts
    if seconds is None:
        raise MalformedTransaction(
            "no blockTime and no event timestamp: pass the block's time (getBlock blockTime)"
        )
    return int(seconds) * NS


def swap_row(tv: TxView, ts: int, outer: int, per_outer: Counter, **cols: Any) -> dict[str, Any]:
    """One swaps row; numbers it within its top-level instruction (``per_outer``) and fills the
    execution price and NaN (unknown) for the optional columns ``cols`` does not give."""
    k = per_outer[outer]
    per_outer[outer] += 1
    sol, tokens = cols["sol_amount"], cols["token_amount"]
    price = sol / tokens if tokens > 0 else math.nan
    return {
        "ts": ts,
        "slot": tv.slot if tv.slot is not None else -1,
        "signature": tv.signature,
        "ix_index": outer * IX_STRIDE + k,
        "price": price,
        "virtual_sol_reserves": math.nan,
        "virtual_token_reserves": math.nan,
        "fee": math.nan,
        **cols,
    }
