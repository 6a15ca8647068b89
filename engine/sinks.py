"""Where a replay's records go once written: memory (the default) or Parquet files.

The compiled loop writes orders, fills, trades and equity samples into small buffers; when one
fills up (and at the end) :class:`memelab.engine.replay.Replay` drains them into its sink and
reuses them, so only open state stays in replay memory. A backtest over a long history can
stream its records to Parquet (:class:`ParquetSink`); the live runner's sink is its ledger.
A sink has ``write(kind, records)`` and ``collect(kind) -> records`` (``kind`` one of
``state.RECORD_BUFFERS``; ``records`` a NumPy record array of the engine's dtype).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from memelab.engine import records

DTYPES = {
    "orders": records.ORDER_DTYPE,
    "fills": records.FILL_DTYPE,
    "trades": records.TRADE_DTYPE,
    "equity": records.EQUITY_DTYPE,
}


class MemorySink:
    """Keeps every drained block in memory (what a backtest's results are built from)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in DTYPES}

    def write(self, kind: str, recs: np.ndarray) -> None:
        self.parts[kind].append(recs.copy())

    def collect(self, kind: str) -> np.ndarray:
        parts = self.parts[kind]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=DTYPES[kind])


class ParquetSink:
    """Writes each drained block as ``<directory>/<kind>/part-NNNNN.parquet`` (one column per
    record field), so memory is bounded by the buffers; ``collect`` reads a kind back."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.counts = {k: len(self._files(k)) for k in DTYPES}  # resumes after a restore

    def _files(self, kind: str) -> list[Path]:
        return sorted((self.directory / kind).glob("part-*.parquet"))

    def write(self, kind: str, recs: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = self.directory / kind
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"part-{self.counts[kind]:05d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.table({f: recs[f] for f in recs.dtype.names}), tmp)
        tmp.replace(path)
        self.counts[kind] += 1

    def collect(self, kind: str) -> np.ndarray:
        import pyarrow.parquet as pq

        tables = [pq.read_table(p) for p in self._files(kind)]
        n = sum(t.num_rows for t in tables)
        out = np.zeros(n, dtype=DTYPES[kind])
        pos = 0
        for t in tables:
            for f in out.dtype.names:
                out[f][pos : pos + t.num_rows] = t.column(f).to_numpy()
            pos += t.num_rows
        return out
