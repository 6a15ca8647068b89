"""Recording: every raw feed message to a capture file, every normalised row into the lake.

The capture (JSON lines ``{"received_ts", "feed", "raw"}``) is what ``--replay`` and the parity
tests play back; the lake rows (``swaps``/``launches``, written through ``Lake.write`` with its
dedupe) are what a backtest of the same day reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
from memelab.datasets import schemas
from memelab.datasets.lake import Lake


class Recorder:
    def __init__(self, lake: str | Path | None, capture: str | Path | None, source: str = "live",
                 flush_rows: int = 5_000):  # fmt: skip
        self.lake = Lake(lake) if lake else None
        self.capture = open(capture, "a") if capture else None  # noqa: SIM115 (closed in close())
        self.source = source
        self.flush_rows = flush_rows
        self._swaps: list[dict[str, Any]] = []
        self._launches: list[dict[str, Any]] = []
        self.written = 0

    def raw(self, received_ts: int, feed: str, text: str) -> None:
        if self.capture is not None:
            self.capture.write(
                json.dumps({"received_ts": received_ts, "feed": feed, "raw": text}) + "\n"
            )

    def rows(self, swaps: list[dict[str, Any]], launches: list[dict[str, Any]]) -> None:
        self._swaps.extend(swaps)
        self._launches.extend(launches)
        if len(self._swaps) + len(self._launches) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if self.capture is not None:
            self.capture.flush()
        if self.lake is None:
            self._swaps.clear()
            self._launches.clear()
            return
        for name, rows in (("swaps", self._swaps), ("launches", self._launches)):
            if not rows:
                continue
            schema = schemas.TABLE_SCHEMAS[name]
            cols = [f.name for f in schema if f.name in rows[0] or not f.name.endswith("_id")]
            fields = [schema.field(c) for c in cols]
            table = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows],
                                         schema=pa.schema(fields))  # fmt: skip
            self.written += self.lake.write(name, table, self.source).rows_added
            rows.clear()

    def close(self) -> None:
        self.flush()
        if self.capture is not None:
            self.capture.close()
            self.capture = None
