"""Column-mapping presets: how one vendor's trade export maps onto the canonical swaps columns.

A preset names the raw columns it needs (matched case-insensitively) and a function that maps
one raw batch to ``fields.Canonical`` columns, dropping (and counting) rows that are valid but not
swaps we keep, such as failed transactions or token-to-token swaps with no SOL leg. Validation
and quarantine are shared (``fields.build_swaps``), so every preset refuses bad rows the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from memelab.datasets.importers.fields import Canonical, as_array
from memelab.datasets.ingest import READERS, IngestError

TABULAR_FORMATS = frozenset({"csv", "jsonl", "json", "parquet"})


class RawBatch:
    """Raw rows of one batch: columns looked up case-insensitively, 1-based file row numbers."""

    def __init__(self, table: pa.Table, rows: np.ndarray):
        self.table = table
        self.rows = rows
        self._by_lower = {name.lower(): name for name in table.column_names}

    def __len__(self) -> int:
        return self.table.num_rows

    def has(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def col(self, name: str) -> pa.Array | None:
        """The column ``name`` (any case) as one array, or None when the file has no such column."""
        real = self._by_lower.get(name.lower())
        if real is None:
            return None
        return as_array(self.table.column(real), self.table.num_rows)

    def filter(self, keep: np.ndarray) -> RawBatch:
        return RawBatch(self.table.filter(pa.array(keep)), self.rows[keep])


MapFn = Callable[[RawBatch, dict[str, Any]], tuple[Canonical | None, dict[str, int]]]


@dataclass(frozen=True)
class Preset:
    """A named column mapping: required raw columns and the batch mapping function."""

    name: str
    required: tuple[str, ...]
    to_canonical: MapFn
    description: str = ""

    def missing(self, columns: Sequence[str]) -> list[str]:
        have = {c.lower() for c in columns}
        return [c for c in self.required if c.lower() not in have]


PRESETS: dict[str, Preset] = {}
# Detection order when no --map is given: the most specific column sets first.
_DETECTION_ORDER: list[str] = []


def register_preset(preset: Preset, priority: int = 100) -> None:
    """Add a preset; lower ``priority`` is tried first when detecting from column names."""
    PRESETS[preset.name] = preset
    order = [p for p in _DETECTION_ORDER if p != preset.name]
    order.append(preset.name)
    _PRIORITY[preset.name] = priority
    _DETECTION_ORDER[:] = sorted(order, key=lambda n: _PRIORITY[n])


_PRIORITY: dict[str, int] = {}


def resolve_preset(path: Path, columns: Sequence[str], name: str | None) -> Preset:
    """The preset to use for a file with these columns: the named one (checked) or detected."""
    if name is not None:
        if name not in PRESETS:
            raise IngestError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
        preset = PRESETS[name]
        missing = preset.missing(columns)
        if missing:
            raise IngestError(
                f"{path}: preset {name!r} needs column(s) {missing} that the file lacks "
                f"(it has: {', '.join(columns) or 'no columns'})"
            )
        return preset
    for candidate in _DETECTION_ORDER:
        if not PRESETS[candidate].missing(columns):
            return PRESETS[candidate]
    generic = PRESETS["generic"]
    other_formats = sorted(set(READERS) - TABULAR_FORMATS)
    raise IngestError(
        f"{path}: columns match no preset ({', '.join(sorted(PRESETS))}); as generic it lacks "
        f"column(s) {generic.missing(columns)} (it has: {', '.join(columns) or 'no columns'}); "
        "pass --map PRESET"
        + (f", or --format {'|'.join(other_formats)} if it is not a table" if other_formats else "")
    )
