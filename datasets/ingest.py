"""Ingest machinery: file readers by format, one report per file, writes through the lake.

A *reader* turns one input file into canonical rows. Its contract::

    Reader = Callable[[Path, str | None], ParseResult | Iterable[ParseResult]]

called with the file and the column-mapping preset the user asked for (``None``: the reader
chooses, e.g. by column names). A reader of small documents returns one ``ParseResult``; a
reader of big dumps *yields* one per batch so that a 100-million-row file is never in memory at
once. Row numbers in ``quarantined`` are 1-based data rows of the file (header excluded), counted
across batches.

Readers register themselves by format name (``register_reader``). The tabular readers (csv,
jsonl, json, parquet) live in ``memelab.datasets.importers``; any module dropped into that package
that calls ``register_reader`` at import time is picked up (RPC, geyser, PumpPortal, Substreams).

``ingest`` writes every batch through ``Lake.write`` (idempotent: the lake drops rows whose
``signature`` + ``ix_index`` it already holds) and streams refused rows to the lake's quarantine
folder in ``Lake.quarantine``'s format.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pkgutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from memelab.datasets import schemas
from memelab.datasets.lake import Lake, LakeError

# Canonical swaps columns a reader emits: the schema minus the dense id columns.
SWAP_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in schemas.SWAPS_SCHEMA if f.name not in ("mint_id", "trader_id")
)
LAUNCH_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in schemas.LAUNCHES_SCHEMA if f.name != "mint_id"
)
# Parsed rows are buffered up to this many before one lake write (fewer, larger Parquet files).
FLUSH_ROWS = 250_000


class IngestError(LakeError):
    """An input problem a user can act on; the message names the file (and column or row)."""


@dataclass
class ParseResult:
    """What a reader got out of a file (or out of one batch of it)."""

    swaps: pa.Table
    launches: pa.Table | None = None
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # {"row", "reason", "raw"}
    skipped: dict[str, int] = field(default_factory=dict)  # valid rows we do not use, by cause
    rows_read: int | None = None  # data rows seen; None: swaps + quarantined + skipped
    preset: str | None = None  # the column mapping used, when the reader chose one
    info: dict[str, Any] = field(default_factory=dict)  # e.g. units detected

    def seen(self) -> int:
        if self.rows_read is not None:
            return self.rows_read
        return self.swaps.num_rows + len(self.quarantined) + sum(self.skipped.values())


Reader = Callable[[Path, str | None], "ParseResult | Iterable[ParseResult]"]

READERS: dict[str, Reader] = {}
# File name endings -> format, longest match first (".csv.gz" before ".gz").
EXTENSIONS: dict[str, str] = {}


def register_reader(format_name: str, reader: Reader, extensions: Sequence[str] = ()) -> None:
    """Make ``reader`` available as ``--format format_name`` (and for these file endings)."""
    READERS[format_name] = reader
    for ext in extensions:
        EXTENSIONS[ext.lower()] = format_name


# Importer modules that failed to import, with the error: named when their format is asked for.
IMPORT_FAILURES: dict[str, str] = {}


def _load_builtin_readers() -> None:
    """Import every module of ``memelab.datasets.importers`` (each registers its readers).

    A module that fails to import (a missing optional dependency) does not take the others down;
    its failure is reported if a format it would have provided is asked for.
    """
    from memelab.datasets import importers

    for mod in pkgutil.iter_modules(importers.__path__):
        name = f"{importers.__name__}.{mod.name}"
        try:
            importlib.import_module(name)
        except ImportError as exc:
            IMPORT_FAILURES[name] = f"{type(exc).__name__}: {exc}"


def _unknown_format(what: str) -> str:
    known = ", ".join(sorted(READERS))
    broken = "".join(f"; {m} failed to import ({e})" for m, e in sorted(IMPORT_FAILURES.items()))
    return f"{what}; known formats: {known}{broken}"


def detect_format(path: Path) -> str:
    """The format for a file name, by its ending; a clear error when unknown."""
    _load_builtin_readers()
    name = path.name.lower()
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return EXTENSIONS[ext]
    raise IngestError(
        _unknown_format(f"{path}: cannot tell the format from the file name (pass --format)")
    )


@dataclass
class FileReport:
    """Counts for one ingested file."""

    path: str
    format: str
    preset: str | None = None
    rows_read: int = 0
    ingested: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_file: str | None = None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # rows per bad field
    skipped: dict[str, int] = field(default_factory=dict)
    launches_ingested: int = 0
    launches_duplicates: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IngestReport:
    """Per-file reports and their totals."""

    lake: str
    files: list[FileReport]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "ingested", "duplicates", "quarantined", "launches_ingested")
        out = {k: int(sum(getattr(f, k) for f in self.files)) for k in keys}
        out["skipped"] = int(sum(sum(f.skipped.values()) for f in self.files))
        out["files"] = len(self.files)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "lake": self.lake,
            "files": [f.to_dict() for f in self.files],
            "total": self.totals,
        }


def ingest(
    lake: Lake | str | Path,
    paths: Sequence[str | Path],
    format: str | None = None,
    preset: str | None = None,
    on_progress: Callable[[Path, int], None] | None = None,
) -> IngestReport:
    """Import trade files into ``lake``; returns what happened to every row of every file.

    All paths are checked before anything is written, so a typo does not leave half an import.
    A folder stands for its files, in name order.
    ``format`` (csv, jsonl, json, parquet, or any registered reader) defaults to detection by
    file ending; ``preset`` (generic, flipside, bitquery, kaggle) to detection by column names.
    ``on_progress(path, rows_so_far)`` is called after every batch.
    """
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    _load_builtin_readers()
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise IngestError(f"{p}: no such file")
        files.extend(_files_in_dir(p, format) if p.is_dir() else [p])
    if not files:
        raise IngestError("no input files given")
    if format is not None and format not in READERS:
        raise IngestError(_unknown_format(f"unknown format {format!r}"))
    with lake.deferred_catalog():  # one DuckDB catalog refresh for the whole import
        reports = [
            _ingest_file(lake, p, format or detect_format(p), preset, on_progress) for p in files
        ]
    return IngestReport(lake=str(lake.root), files=reports)


def _files_in_dir(folder: Path, format: str | None) -> list[Path]:
    """The files of a folder (e.g. a vendor's ``chunk_*.csv``) in name order: all of them when a
    format is given, else those whose ending names a format; a clear error when none."""
    names = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if format is None:
        endings = tuple(EXTENSIONS)
        names = [p for p in names if p.name.lower().endswith(endings)]
    if not names:
        raise IngestError(f"{folder}: folder holds no importable files")
    return names


def _ingest_file(
    lake: Lake,
    path: Path,
    fmt: str,
    preset: str | None,
    on_progress: Callable[[Path, int], None] | None,
) -> FileReport:
    report = FileReport(path=str(path), format=fmt, preset=preset)
    source = f"ingest:{fmt}:{path.name}"
    spool = QuarantineSpool(lake, path)
    skipped: Counter[str] = Counter()
    pending: list[pa.Table] = []
    pending_rows = 0
    touched: dict[str, set[str]] = {"swaps": set(), "launches": set()}

    def flush() -> None:
        nonlocal pending, pending_rows
        if not pending:
            return
        table = pa.concat_tables(pending, promote_options="permissive")
        pending, pending_rows = [], 0
        written = lake.write("swaps", table, source=source)
        report.ingested += written.rows_added
        report.duplicates += written.duplicates
        touched["swaps"].update(written.partitions)

    try:
        result = READERS[fmt](path, preset)
        batches = [result] if isinstance(result, ParseResult) else result
        for batch in batches:
            report.rows_read += batch.seen()
            report.preset = batch.preset or report.preset
            report.info.update(batch.info)
            spool.add(batch.quarantined)
            skipped.update(batch.skipped)
            if batch.swaps.num_rows:
                pending.append(batch.swaps)
                pending_rows += batch.swaps.num_rows
                if pending_rows >= FLUSH_ROWS:
                    flush()
            if batch.launches is not None and batch.launches.num_rows:
                written = lake.write("launches", batch.launches, source=source)
                report.launches_ingested += written.rows_added
                report.launches_duplicates += written.duplicates
                touched["launches"].update(written.partitions)
            if on_progress is not None:
                on_progress(path, report.rows_read)
        flush()
        for table, dates in touched.items():  # one file per flush and day: merge them
            if dates:
                lake.compact(table, dates)
    except BaseException:
        spool.discard()  # no half-written quarantine file beside a failed import
        raise
    report.skipped = dict(sorted(skipped.items()))
    report.quarantined = spool.count
    report.quarantine_reasons = dict(sorted(spool.by_field.items()))
    qfile = spool.close()
    report.quarantine_file = str(qfile) if qfile else None
    return report


class QuarantineSpool:
    """Refused rows of one input file, streamed to ``LAKE/_quarantine`` as they come.

    Same file layout and line format as ``Lake.quarantine`` (``<file name>.<hash>.jsonl``, one
    ``{"source", "row", "reason", "raw"}`` object per line, rows ascending), but written batch by
    batch so a file with millions of bad rows does not hold them in memory. The name hashes the
    content, so re-importing the same file rewrites the same quarantine file.
    """

    def __init__(self, lake: Lake, path: Path):
        self.lake, self.path = lake, path
        self.count = 0
        self.by_field: Counter[str] = Counter()
        self._digest = hashlib.sha256()
        self._fh: Any = None
        self._tmp: Path | None = None

    def add(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        if self._fh is None:
            qdir = self.lake.root / "_quarantine"
            qdir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=qdir)
            self._tmp = Path(tmp)
            self._fh = os.fdopen(fd, "w")
        for rec in sorted(records, key=lambda r: r["row"]):
            line = json.dumps({"source": str(self.path), **rec}, default=str) + "\n"
            self._fh.write(line)
            self._digest.update(line.encode())
            self.by_field.update(reason_fields(rec["reason"]))
        self.count += len(records)

    def discard(self) -> None:
        if self._fh is not None and self._tmp is not None:
            self._fh.close()
            self._tmp.unlink(missing_ok=True)
            self._fh = None

    def close(self) -> Path | None:
        """Finish the file; returns its path (None when no row was refused)."""
        if self._fh is None or self._tmp is None:
            return None
        self._fh.close()
        final = self._tmp.parent / f"{self.path.name}.{self._digest.hexdigest()[:10]}.jsonl"
        self._tmp.replace(final)
        return final


def reason_fields(reason: str) -> list[str]:
    """The fields a quarantine reason is about (``"side: unknown side 'x'"`` -> ``["side"]``)."""
    names = [part.split(":", 1)[0].strip() for part in reason.split("; ")]
    return list(dict.fromkeys(names))
