"""Streaming replay events from a lake, row group by row group, into two alternating buffers.

``Lake.iter_events`` materialises a whole date partition (Arrow table, then a fresh event array)
before the first event replays; on a virtual machine most of that time is the kernel faulting in
fresh memory. Here each Parquet row group (``lake.ROW_GROUP_ROWS`` rows) is decoded into one of
two reused event buffers: a worker thread reads and decodes group k+1 into one (pyarrow and the
compiled copy ``datasets.events_nb.interleave_events_nb`` release the GIL) while the replay consumes group
k from the other. Memory is bounded by two row groups; on two cores decoding and replay overlap.

Streaming is only valid when a partition's row groups, taken in file order, are already in time
order (each starts at or after the previous one ends: the usual case, since every write is
sorted). That is checked from the Parquet statistics; a partition that fails it (overlapping
appends) is read through ``Lake.iter_events``, which sorts. The events are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from memelab.datasets.events import decode_events_into
from memelab.datasets.lake import NS_PER_DAY, parse_time
from memelab.datasets.schemas import EVENT_DTYPE, EVENT_SOURCE_COLUMNS

_SRC = [src for _, src in EVENT_SOURCE_COLUMNS]


def _ordered_row_groups(files: list[Path]) -> list[tuple[pq.ParquetFile, int]] | None:
    """(file, row group) in replay order, or None when they are not in time order."""
    out = []
    prev_max = None
    for path in files:
        pf = pq.ParquetFile(path, read_dictionary=["venue"])
        ts_col = pf.schema_arrow.get_field_index("ts")
        for rg in range(pf.num_row_groups):
            stats = pf.metadata.row_group(rg).column(ts_col).statistics
            if stats is None or not stats.has_min_max:
                return None
            if prev_max is not None and stats.min < prev_max:
                return None
            prev_max = stats.max
            out.append((pf, rg))
    return out


# The replay streamer decodes through the same conversion as ``Lake.iter_events``.
_decode_into = decode_events_into


def _stream_items(
    lake: Any, start: int | None, end: int | None
) -> Iterator[tuple[pq.ParquetFile, int] | str]:
    """Row groups to stream, in replay order, or the date of a partition that needs sorting.

    Lazy (one partition's metadata at a time). Row groups wholly outside the window are skipped
    by their ``ts`` statistics.
    """
    for date in lake._dates_in_window("swaps", start, end):
        groups = _ordered_row_groups(lake.files("swaps", date))
        if groups is None:
            yield date
            continue
        for pf, rg in groups:
            stats = pf.metadata.row_group(rg).column(pf.schema_arrow.get_field_index("ts"))
            lo, hi = stats.statistics.min, stats.statistics.max
            if (start is None or hi >= start) and (end is None or lo < end):
                yield pf, rg


def _load(item: tuple[pq.ParquetFile, int], buffers: list[np.ndarray], b: int) -> np.ndarray:
    """Read and decode one row group into ``buffers[b]`` (grown when too small)."""
    pf, rg = item
    n = pf.metadata.row_group(rg).num_rows
    if len(buffers[b]) < n:
        buffers[b] = np.zeros(n, dtype=EVENT_DTYPE)  # padding bytes zeroed
    return _decode_into(pf.read_row_group(rg, columns=_SRC), buffers[b])


def stream_events(
    lake: Any, start: int | None = None, end: int | None = None
) -> Iterator[np.ndarray]:
    """Replay events in ``[start, end)``, in the exact order of ``Lake.iter_events``.

    Each yielded array is a view of one of two reused buffers: valid until the next one is
    requested (``Replay.feed`` consumes it at once; copy it to keep it). While it is consumed,
    a worker thread decodes the next row group (also across partitions) into the other buffer.
    """
    from concurrent.futures import ThreadPoolExecutor

    lake.require().require_schema("swaps")
    buffers = [np.zeros(0, dtype=EVENT_DTYPE), np.zeros(0, dtype=EVENT_DTYPE)]
    items = _stream_items(lake, start, end)
    with ThreadPoolExecutor(max_workers=1) as pool:
        b = 0
        item = next(items, None)
        pending = pool.submit(_load, item, buffers, b) if isinstance(item, tuple) else None
        while item is not None:
            if isinstance(item, str):  # overlapping appends: let the lake sort the partition
                lo = parse_time(item)
                lo_w = lo if start is None else max(lo, start)
                hi_w = lo + NS_PER_DAY if end is None else min(lo + NS_PER_DAY, end)
                yield from lake.iter_events(lo_w, hi_w)
                item = next(items, None)
                pending = pool.submit(_load, item, buffers, b) if isinstance(item, tuple) else None
                continue
            events = pending.result()
            b ^= 1  # the other buffer: its events were consumed already
            item = next(items, None)
            pending = pool.submit(_load, item, buffers, b) if isinstance(item, tuple) else None
            if start is not None or end is not None:
                ts = events["ts"]
                lo_i = int(np.searchsorted(ts, start)) if start is not None else 0
                hi_i = int(np.searchsorted(ts, end)) if end is not None else len(events)
                events = events[lo_i:hi_i]
            if len(events):
                yield events
