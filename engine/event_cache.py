"""Replay event cache: each date partition's replay events as one ``.npy``, memory-mapped on reuse.

Decoding Parquet costs far more than replaying it (on a 2-core machine ~3 M rows/s against
~10-20 M events/s for the replay), and sweeps replay the same lake many times. The cache keeps
each partition as the exact ``EVENT_DTYPE`` array ``Lake.iter_events`` yields, under
``<lake>/_cache/events/date=YYYY-MM-DD.npy``, keyed by the partition's file hashes in the lake
manifest: any write to a partition invalidates its entry. It is derived data: delete it freely.
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


def load_partition(lake: Any, date: str) -> np.ndarray:
    """The partition's events: from the cache when valid, else decoded and cached (best effort)."""
    npy, meta = _paths(lake, date)
    key = partition_key(lake, date)
    if npy.exists() and meta.exists():
        try:
            if json.loads(meta.read_text()).get("key") == key:
                events = np.load(npy, mmap_mode="c")  # copy-on-write: writable type, no copy
                if events.dtype == EVENT_DTYPE:
                    return np.asarray(events)  # a plain ndarray view of the map
        except (OSError, ValueError):
            pass  # unreadable entry: rebuild it
    lo = parse_time(date)
    chunks = list(lake.iter_events(lo, lo + NS_PER_DAY))
    events = np.concatenate(chunks) if chunks else np.empty(0, EVENT_DTYPE)
    try:
        npy.parent.mkdir(parents=True, exist_ok=True)
        tmp = npy.with_suffix(".tmp.npy")
        np.save(tmp, events)
        tmp.replace(npy)
        meta.write_text(json.dumps({"key": key, "rows": len(events)}))
    except OSError:
        pass  # read-only lake: replay without caching
    return events


def iter_cached_events(
    lake: Any, start: int | None = None, end: int | None = None
) -> Iterator[np.ndarray]:
    """Like ``Lake.iter_events`` (one sorted array per date partition), through the cache."""
    lake.require()
    for date in lake._dates_in_window("swaps", start, end):
        events = load_partition(lake, date)
        if start is not None or end is not None:
            ts = events["ts"]
            lo = int(np.searchsorted(ts, start)) if start is not None else 0
            hi = int(np.searchsorted(ts, end)) if end is not None else len(events)
            events = events[lo:hi]
        if len(events):
            yield events
