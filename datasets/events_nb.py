"""Compiled copy of decoded Parquet columns into ``EVENT_DTYPE`` records.

Assigning the columns field by field with NumPy walks the whole record buffer twelve
times (one strided 8-byte write per 80-byte record each pass); writing each record once, all its
fields together, touches the buffer once and runs ~4x faster. ``nogil`` lets it run in the
prefetch thread while the replay runs in the main one.
"""

from __future__ import annotations

from memelab.datasets.schemas import KIND_CREATE, KIND_LIQUIDITY, KIND_TRADE
from numba import njit


@njit(cache=True, nogil=True)
def interleave_events_nb(
    out, ts, slot, mint, trader, side, venue, pool, sol, tokens, price, vsol, vtok, fee
) -> None:
    """Write column ``k[i]`` into ``out[i][field]`` for every row; ``out`` holds >= len(ts) rows.

    The kind is derived from the side: a swap is a trade, a side-0 row a liquidity event
    (``mark_creates_nb`` turns a mint's launch row into a create)."""
    for i in range(ts.shape[0]):
        e = out[i]
        e["ts"] = ts[i]
        e["slot"] = slot[i]
        e["mint"] = mint[i]
        e["trader"] = trader[i]
        e["side"] = side[i]
        e["venue"] = venue[i]
        e["kind"] = KIND_TRADE if side[i] != 0 else KIND_LIQUIDITY
        e["pool"] = pool[i]
        e["sol"] = sol[i]
        e["tokens"] = tokens[i]
        e["price"] = price[i]
        e["vsol"] = vsol[i]
        e["vtok"] = vtok[i]
        e["fee"] = fee[i]


@njit(cache=True)
def mark_creates_nb(events, created_ts) -> None:
    """A liquidity event at its mint's launch time (``created_ts[mint]``) is the mint's create."""
    n = created_ts.shape[0]
    for i in range(events.shape[0]):
        e = events[i]
        m = e["mint"]
        if e["kind"] == KIND_LIQUIDITY and 0 <= m < n and e["ts"] == created_ts[m]:
            e["kind"] = KIND_CREATE
