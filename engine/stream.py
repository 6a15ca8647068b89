"""Streaming replay events from a lake, row group by row group, into two alternating buffers.

``Lake.iter_events`` materialises a whole date partition (Arrow table, then a fresh event array)
before the first event replays; on a virtual machine most of that time is the kernel faulting in
fresh memory. Here each Parquet row group (``lake.ROW_GROUP_ROWS`` rows) is decoded into one of
two reused event buffers: a worker thread reads and decodes group k+1 into one (pyarrow and the
compiled copy ``decode_nb.interleave_events_nb`` release the GIL) while the replay consumes group
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
import pyarrow as pa
import pyarrow.parquet as pq
from memelab.datasets.lake import NS_PER_DAY, parse_time, venue_ids
from memelab.datasets.schemas import EVENT_DTYPE, EVENT_SOURCE_COLUMNS, VENUE_ID
from memelab.engine.decode_nb import interleave_events_nb

_SRC = [src for _, src in EVENT_SOURCE_COLUMNS]
_DTYPES = [EVENT_DTYPE[field] for field, _ in EVENT_SOURCE_COLUMNS]


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


def _array(table: Any, src: str) -> pa.Array:
    col = table.column(src)
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


_NUMPY = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}  # fmt: skip


def _values(arr: pa.Array) -> np.ndarray:
    """The value buffer of a primitive array as NumPy, without a copy (nulls hold junk).

    Read from the Arrow buffers rather than with ``to_numpy``, whose first call imports pandas
    (~0.2 s of a fresh process spent on the replay path).
    """
    np_type = _NUMPY.get(arr.type)
    data = arr.buffers()[1]
    if np_type is None or data is None:  # unusual type or all-null: let pyarrow convert
        return arr.to_numpy(zero_copy_only=False)
    return np.frombuffer(data, dtype=np_type, count=arr.offset + len(arr))[arr.offset :]


def _column(table: Any, src: str, dtype: np.dtype) -> np.ndarray:
    """One column as a NumPy array: a view when it has no nulls, else a copy with NaN for null."""
    arr = _array(table, src)
    if arr.null_count == 0:
        return np.asarray(_values(arr), dtype=dtype)
    if dtype.kind != "f":
        raise ValueError(f"swaps column {src!r} has {arr.null_count} nulls; it may have none")
    out = np.array(_values(arr), dtype=dtype)  # a copy: nulls are set to NaN below
    bits = np.frombuffer(arr.buffers()[0], np.uint8)
    valid = np.unpackbits(bits, bitorder="little")[arr.offset : arr.offset + len(arr)]
    out[valid == 0] = np.nan
    return out


def _venue_ids(table: Any) -> np.ndarray:
    """Venue names -> int8 ids, straight from the dictionary indices when the column has them."""
    arr = _array(table, "venue")
    if not pa.types.is_dictionary(arr.type) or arr.null_count:
        return venue_ids(arr)
    other = VENUE_ID["other"]
    lut = np.array([VENUE_ID.get(v, other) for v in arr.dictionary.to_pylist()], dtype=np.int8)
    return lut[_values(arr.indices)] if len(lut) else np.zeros(len(arr), dtype=np.int8)


def _decode_into(table: Any, buffer: np.ndarray) -> np.ndarray:
    """The table's rows as events in ``buffer[: table.num_rows]`` (returned)."""
    events = buffer[: table.num_rows]
    if table.num_rows:
        cols = [
            _venue_ids(table) if field == "venue" else _column(table, src, dt)
            for (field, src), dt in zip(EVENT_SOURCE_COLUMNS, _DTYPES, strict=True)
        ]
        for col in cols:  # one compiled signature, whether pyarrow handed out views or copies
            col.flags.writeable = False
        interleave_events_nb(np.asarray(events), *cols)
    return events


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

    lake.require()
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
