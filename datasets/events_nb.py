"""Compiled copy of decoded Parquet columns into ``EVENT_DTYPE`` records.

Assigning the twelve columns field by field with NumPy walks the whole record buffer twelve
times (one strided 8-byte write per 80-byte record each pass); writing each record once, all its
fields together, touches the buffer once and runs ~4x faster. ``nogil`` lets it run in the
prefetch thread while the replay runs in the main one.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def interleave_events_nb(
    out, ts, slot, mint, trader, side, venue, sol, tokens, price, vsol, vtok, fee
) -> None:
    """Write column ``k[i]`` into ``out[i][field]`` for every row; ``out`` holds >= len(ts) rows."""
    for i in range(ts.shape[0]):
        e = out[i]
        e["ts"] = ts[i]
        e["slot"] = slot[i]
        e["mint"] = mint[i]
        e["trader"] = trader[i]
        e["side"] = side[i]
        e["venue"] = venue[i]
        e["sol"] = sol[i]
        e["tokens"] = tokens[i]
        e["price"] = price[i]
        e["vsol"] = vsol[i]
        e["vtok"] = vtok[i]
        e["fee"] = fee[i]
