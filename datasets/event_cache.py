"""Replay event cache: each date partition's replay events as one ``.npy``, memory-mapped on reuse.

Decoding Parquet costs far more than replaying it (on a 2-core machine ~3 M rows/s against
~10-20 M events/s for the replay), and sweeps replay the same lake many times. The cache keeps
each partition as the exact ``EVENT_DTYPE`` array ``Lake.iter_events`` yields, under
``<lake>/_cache/events/date=YYYY-MM-DD.npy``, keyed by the partition's file hashes in the lake
manifest: any write to a partition invalidates its entry. It is derived data: delete it freely.
Reads go into one reused buffer (no per-partition allocation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from memelab.datasets.lake import NS_PER_DAY, parse_time
from memelab.datasets.schemas import EVENT_DTYPE, SCHEMA_VERSION

CACHE_DIR = Path("_cache") / "events"


def partition_key(lake: Any, date: str) -> str:
    """Hash of the partition's files (from the manifest), the event dtype and schema version."""
    files = lake.manifest("swaps")["files"]
    prefix = f"swaps/date={date}/"
    h = hashlib.sha256(f"v{SCHEMA_VERSION}:{EVENT_DTYPE.descr}".encode())
    for rel in sorted(r for r in files if r.startswith(prefix)):
        h.update(f"{rel}:{files[rel]['sha256']}\n".encode())
    return h.hexdigest()


def _paths(lake: Any, date: str) -> tuple[Path, Path]:
    base = lake.root / CACHE_DIR
    return base / f"date={date}.npy", base / f"date={date}.json"


def _read_npy_into(path: Path, buffer: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``EVENT_DTYPE`` .npy into ``buffer`` (grown when too small); (events, buffer).

    Reusing one buffer across partitions avoids faulting in fresh memory for every partition,
    which on a virtual machine costs more than the read itself.
    """
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(fh)
        if dtype != EVENT_DTYPE or fortran or len(shape) != 1:
            raise ValueError(f"{path}: not a 1-d EVENT_DTYPE array")
        n = shape[0]
        if buffer is None or len(buffer) < n:
            buffer = np.empty(max(n, 1), dtype=EVENT_DTYPE)
        events = buffer[:n]
        if fh.readinto(memoryview(events.view(np.uint8))) != events.nbytes:
            raise ValueError(f"{path}: truncated")
    return events, buffer


def load_partition(
    lake: Any, date: str, buffer: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(events, buffer): from the cache when valid (read into ``buffer``), else decoded and cached.

    The events may be a view of ``buffer``: valid until the buffer is reused.
    """
    npy, meta = _paths(lake, date)
    key = partition_key(lake, date)
    if npy.exists() and meta.exists():
        try:
            if json.loads(meta.read_text()).get("key") == key:
                return _read_npy_into(npy, buffer)
        except (OSError, ValueError):
            pass  # unreadable entry: rebuild it
    try:
        npy.parent.mkdir(parents=True, exist_ok=True)
        tmp = npy.with_suffix(".tmp.npy")
        rows = _write_partition(lake, date, tmp)
        tmp.replace(npy)
        meta.write_text(json.dumps({"key": key, "rows": rows}))
        return _read_npy_into(npy, buffer)
    except OSError:
        pass  # read-only lake: replay without caching
    lo = parse_time(date)
    chunks = list(lake.iter_events(lo, lo + NS_PER_DAY))
    return (np.concatenate(chunks) if chunks else np.empty(0, EVENT_DTYPE)), buffer


def _write_partition(lake: Any, date: str, path: Path) -> int:
    """Decode a partition into ``path`` row group by row group (bounded memory); rows written."""
    from memelab.datasets.events import decode_events_into as _decode_into
    from memelab.datasets.stream import _SRC, _ordered_row_groups

    groups = _ordered_row_groups(lake.files("swaps", date))
    if groups is None:  # overlapping appends: let the lake sort the whole partition
        lo = parse_time(date)
        chunks = list(lake.iter_events(lo, lo + NS_PER_DAY))
        events = np.concatenate(chunks) if chunks else np.empty(0, EVENT_DTYPE)
        np.save(path, events)
        return len(events)
    total = sum(pf.metadata.row_group(rg).num_rows for pf, rg in groups)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=EVENT_DTYPE, shape=(total,))
    pos = 0
    for pf, rg in groups:
        table = pf.read_row_group(rg, columns=_SRC)
        pos += len(_decode_into(table, out[pos:]))
    out.flush()
    del out
    return total


def iter_cached_events(
    lake: Any, start: int | None = None, end: int | None = None
) -> Iterator[np.ndarray]:
    """Like ``Lake.iter_events`` (one sorted array per date partition), through the cache.

    Each array is valid only until the next one is requested (one buffer is reused): consume it
    (``Replay.feed``) or copy it.
    """
    lake.require().require_schema("swaps")
    buffer = None
    for date in lake._dates_in_window("swaps", start, end):
        events, buffer = load_partition(lake, date, buffer)
        if start is not None or end is not None:
            ts = events["ts"]
            lo = int(np.searchsorted(ts, start)) if start is not None else 0
            hi = int(np.searchsorted(ts, end)) if end is not None else len(events)
            events = events[lo:hi]
        if len(events):
            yield events
