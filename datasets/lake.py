"""The lake: hive-partitioned Parquet by date, a DuckDB catalog of views, a manifest per table.

Layout under the lake root::

    swaps/date=YYYY-MM-DD/part-NNNNN.parquet   partitioned tables (swaps, launches)
    wallets_truth/part-NNNNN.parquet           small tables, unpartitioned
    _dict/{mints,wallets,pools}.parquet        dense int32 ids for addresses (append-only)
    _manifest/<table>.json                     source(s), schema version, rows, time range, hashes
    _quarantine/*.jsonl                        rows an importer refused, with row number and reason
    catalog.duckdb                             views over the Parquet, for ad-hoc SQL

Writes are append-only and idempotent: rows whose dedupe key (``schemas.DEDUPE_KEYS``) is already
in the lake are dropped before writing. Reads stream partition by partition: nothing here ever
materialises a whole table unless asked to (``read``), so a 100-million-row lake replays in the
memory of one day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from memelab.datasets import schemas
from memelab.datasets.events import table_to_events, venue_ids  # noqa: F401 (re-exported)

NS_PER_DAY = 86_400 * 1_000_000_000
# Rows per Parquet row group: the unit replay streams (engine.stream) and DuckDB parallelises
# over. 2^18 keeps the replay's decode buffers small (~21 MB each; 1 M-row groups cost ~0.25 GB
# more peak RSS, no faster) and lets a time window skip row groups by their ts statistics.
ROW_GROUP_ROWS = 1 << 18
_DICT_KINDS = ("mints", "wallets", "pools")
# Compaction: files under this size are merged, into files of at most this many rows.
COMPACT_SMALL_BYTES = 32 << 20
COMPACT_TARGET_ROWS = 500_000  # the rows one merge holds in memory (~150 MB of swaps)
COMPACT_MIN_FILES = 8  # fewer small files than this in a day are left alone (not worth a rewrite)


class LakeError(Exception):
    """A lake problem a user can act on: the message names the path or table."""


@dataclass(frozen=True)
class WriteReport:
    table: str
    rows_in: int
    rows_added: int
    duplicates: int
    partitions: tuple[str, ...]


def ts_to_date(ts_ns: np.ndarray) -> np.ndarray:
    """UTC date strings (YYYY-MM-DD) for nanosecond timestamps."""
    return np.datetime_as_string(np.asarray(ts_ns, dtype="datetime64[ns]"), unit="D")


def parse_time(value: str | int | float | None) -> int | None:
    """A user's time bound (ISO-8601 date/datetime or epoch s/ms/ns) as int64 ns UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or str(value).lstrip("-").isdigit():
        v = int(value)
        magnitude = abs(v)
        if magnitude < 10**11:
            return v * 1_000_000_000
        if magnitude < 10**14:
            return v * 1_000_000
        if magnitude < 10**17:
            return v * 1_000
        return v
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise LakeError(f"cannot parse time {value!r}: use ISO-8601 or epoch seconds") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1_000


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Lake:
    """A memelab lake rooted at ``root`` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self._dicts: dict[str, pa.Array] = {}
        self._keys = _KeyIndex(self)  # dedupe keys by partition (write path)
        self._defer_catalog = False

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r})"

    # ----------------------------------------------------------------- layout
    def exists(self) -> bool:
        return (self.root / "_manifest").is_dir()

    def require(self) -> Lake:
        """Raise a clear error when there is no lake at ``root``."""
        if not self.exists():
            raise LakeError(
                f"no lake at {self.root}: create one with `memelab data synth --out {self.root}` "
                "or `memelab data ingest FILE --lake ...`"
            )
        return self

    def tables(self) -> list[str]:
        mdir = self.root / "_manifest"
        return sorted(p.stem for p in mdir.glob("*.json")) if mdir.is_dir() else []

    def table_dir(self, name: str) -> Path:
        return self.root / name

    def partitions(self, name: str) -> list[str]:
        """Partition values (dates) of a partitioned table, sorted."""
        tdir = self.table_dir(name)
        if not tdir.is_dir():
            return []
        return sorted(p.name.split("=", 1)[1] for p in tdir.glob("date=*") if p.is_dir())

    def files(self, name: str, partition: str | None = None) -> list[Path]:
        tdir = self.table_dir(name)
        if partition is not None:
            return sorted((tdir / f"date={partition}").glob("*.parquet"))
        if name in schemas.PARTITION_COLUMN:
            return sorted(tdir.glob("date=*/*.parquet"))
        return sorted(tdir.glob("*.parquet"))

    # ------------------------------------------------------------ dictionary
    def _dict_path(self, kind: str) -> Path:
        return self.root / "_dict" / f"{kind}.parquet"

    def dictionary(self, kind: str) -> pa.Array:
        """Addresses by dense id: ``dictionary('mints')[i]`` is the mint whose id is ``i``."""
        if kind not in _DICT_KINDS:
            raise LakeError(f"unknown dictionary {kind!r}; expected one of {_DICT_KINDS}")
        if kind not in self._dicts:
            path = self._dict_path(kind)
            if path.exists():
                self._dicts[kind] = pq.read_table(path).column("address").combine_chunks()
            else:
                self._dicts[kind] = pa.array([], pa.string())
        return self._dicts[kind]

    def ids_for(
        self, kind: str, addresses: pa.Array | pa.ChunkedArray, add: bool = True
    ) -> pa.Array:
        """Dense int32 ids for addresses, appending unseen ones to the dictionary when ``add``."""
        known = self.dictionary(kind)
        ids = pc.index_in(addresses, value_set=known)
        missing = pc.is_null(ids)
        if add and pc.any(missing).as_py():
            new = pc.unique(pc.filter(addresses, missing))
            known = pa.concat_arrays([known, new.cast(pa.string())])
            self._write_dict(kind, known)
            ids = pc.index_in(addresses, value_set=known)
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        return ids.cast(pa.int32())

    def _write_dict(self, kind: str, addresses: pa.Array) -> None:
        path = self._dict_path(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.table({"address": addresses}), tmp)
        tmp.replace(path)
        self._dicts[kind] = addresses

    def pool_ids(self, table: pa.Table, add: bool = True) -> pa.Array:
        """``pool_id`` for swaps rows: the ``pool`` address when given, else the derived key
        ``"<mint>:<venue>"`` (``schemas.pool_key``), so producers without pool addresses keep
        writing what they write."""
        for col in ("mint", "venue"):
            if col not in table.column_names:
                raise LakeError(f"table 'swaps': column {col!r} is missing")
        mint = table.column("mint").cast(pa.string())
        venue = table.column("venue").cast(pa.string())
        key = pc.binary_join_element_wise(mint, venue, ":")
        if "pool" in table.column_names:
            key = pc.coalesce(table.column("pool").cast(pa.string()), key)
        return self.ids_for("pools", key, add=add)

    def addresses(self, kind: str, ids: np.ndarray) -> np.ndarray:
        """Base58 strings for dense ids (vectorised)."""
        return (
            self.dictionary(kind)
            .take(pa.array(np.asarray(ids, dtype=np.int64)))
            .to_numpy(zero_copy_only=False)
        )

    # -------------------------------------------------------------- manifest
    def _manifest_path(self, name: str) -> Path:
        return self.root / "_manifest" / f"{name}.json"

    def manifest(self, name: str) -> dict[str, Any]:
        path = self._manifest_path(name)
        if not path.exists():
            raise LakeError(f"table {name!r} not in lake {self.root} (no {path})")
        return json.loads(path.read_text())

    def _save_manifest(self, name: str, manifest: dict[str, Any]) -> None:
        path = self._manifest_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        files = manifest["files"]
        manifest["rows"] = int(sum(f["rows"] for f in files.values()))
        manifest["bytes"] = int(sum(f["bytes"] for f in files.values()))
        digest = hashlib.sha256()
        for rel in sorted(files):
            digest.update(f"{rel}:{files[rel]['sha256']}\n".encode())
        manifest["content_hash"] = digest.hexdigest()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        tmp.replace(path)

    # ---------------------------------------------------------- schema version
    def schema_version(self, name: str) -> int:
        """The schema version table ``name`` was written with (its manifest says)."""
        return int(self.manifest(name).get("schema_version", 1))

    def require_schema(self, name: str = "swaps") -> Lake:
        """Refuse a table written in a layout this code cannot read, naming both versions and
        the way out (:func:`migrate_lake`)."""
        need = schemas.MIN_SCHEMA_VERSION.get(name, 1)
        if name in self.tables():
            have = self.schema_version(name)
            if have < need:
                raise LakeError(
                    f"lake {self.root}: table {name!r} has schema version {have}; this memelab "
                    f"reads version {schemas.SCHEMA_VERSION} (needs >= {need}). Migrate it in "
                    f'place: python -c "from memelab.datasets.lake import migrate_lake; '
                    f"migrate_lake('{self.root}')\""
                )
        return self

    # ----------------------------------------------------------------- write
    def write(
        self,
        name: str,
        table: pa.Table,
        source: str,
        dedupe: bool = True,
        assign_ids: bool = True,
    ) -> WriteReport:
        """Append rows to table ``name``, idempotently.

        ``table`` may omit the id columns (``mint_id``, ``trader_id``, ``wallet_id``): they are
        filled from the lake dictionary. Rows already present (by dedupe key) are dropped, as are
        duplicates within ``table`` itself (first occurrence kept). ``dedupe=False`` skips the key
        check for writers that guarantee fresh keys (the synthetic generator on a new lake).
        """
        if name not in schemas.TABLE_SCHEMAS:
            raise LakeError(f"unknown table {name!r}; known: {sorted(schemas.TABLE_SCHEMAS)}")
        schema = schemas.TABLE_SCHEMAS[name]
        table = self._conform(name, table, schema, assign_ids)
        rows_in = table.num_rows
        if dedupe and rows_in:
            table = self._drop_known(name, table)
        pcol = schemas.PARTITION_COLUMN.get(name)
        manifest = self._load_or_new_manifest(name, source)
        written: list[str] = []
        if table.num_rows:
            if pcol is None:
                groups = [(None, table)]
            else:
                groups = list(_split_by_day(table, pcol))
            for date, part in groups:
                if pcol is not None and not _is_sorted(part.column(pcol)):
                    part = part.take(pc.sort_indices(part, [(pcol, "ascending")]))
                rel = self._write_part(name, date, part)
                if dedupe:
                    self._keys.add_file(name, date, rel, part)
                else:  # keys not tracked: the partition's index is rebuilt when next needed
                    self._keys.forget(name, date)
                path = self.root / rel
                manifest["files"][rel] = {
                    "rows": part.num_rows,
                    "bytes": path.stat().st_size,
                    "sha256": _sha256_file(path),
                }
                if date is not None:
                    written.append(date)
            if pcol is not None:
                col = table.column(pcol)
                lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
                old = manifest.get("time_range")
                if old:
                    lo, hi = min(lo, old[0]), max(hi, old[1])
                manifest["time_range"] = [lo, hi]
        if source not in manifest["sources"]:
            manifest["sources"].append(source)
        self._save_manifest(name, manifest)
        if not self._defer_catalog:
            self.refresh_catalog()
        return WriteReport(
            table=name,
            rows_in=rows_in,
            rows_added=table.num_rows,
            duplicates=rows_in - table.num_rows,
            partitions=tuple(written),
        )

    def _load_or_new_manifest(self, name: str, source: str) -> dict[str, Any]:
        if self._manifest_path(name).exists():
            self.require_schema(name)  # never append new-layout rows to old-layout files
            return self.manifest(name)
        return {
            "table": name,
            "schema_version": schemas.SCHEMA_VERSION,
            "sources": [],
            "files": {},
            "time_range": None,
        }

    def _conform(self, name: str, table: pa.Table, schema: pa.Schema, assign_ids: bool) -> pa.Table:
        """Fill id columns from the dictionary, check and order columns to the declared schema."""
        id_columns = {"mint_id": ("mint", "mints"), "trader_id": ("trader", "wallets")}
        id_columns["wallet_id"] = ("wallet", "wallets")
        for id_col, (addr_col, kind) in id_columns.items():
            if schema.get_field_index(id_col) < 0:
                continue
            if id_col not in table.column_names or assign_ids:
                if addr_col not in table.column_names:
                    raise LakeError(f"table {name!r}: column {addr_col!r} is missing")
                ids = self.ids_for(kind, table.column(addr_col))
                if id_col in table.column_names:
                    table = table.set_column(table.column_names.index(id_col), id_col, ids)
                else:
                    table = table.append_column(id_col, ids)
        if name == "swaps" and ("pool_id" not in table.column_names or assign_ids):
            table = _set_column(table, "pool_id", self.pool_ids(table))
        missing = [f.name for f in schema if f.name not in table.column_names and not f.nullable]
        if missing:
            raise LakeError(f"table {name!r}: required columns missing: {missing}")
        columns = []
        for f in schema:
            if f.name in table.column_names:
                col = table.column(f.name)
                try:
                    col = col.cast(f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise LakeError(
                        f"table {name!r}: column {f.name!r} is not {f.type}: {exc}"
                    ) from exc
                if not f.nullable and col.null_count:
                    raise LakeError(f"table {name!r}: column {f.name!r} has {col.null_count} nulls")
            else:
                col = pa.nulls(table.num_rows, f.type)
            columns.append(col)
        return pa.Table.from_arrays(columns, schema=schema)

    def _drop_known(self, name: str, table: pa.Table) -> pa.Table:
        """Drop rows whose key is repeated in ``table`` (first kept) or already in the lake.

        Keys are 128-bit hashes (``text_nb.hash128_nb``) checked against a sorted key index per
        date partition (``_KeyIndex``): one read of a partition's keys however many files it has.
        """
        keys = list(schemas.DEDUPE_KEYS[name])
        if not _hashable_key(table.schema, keys):
            return self._drop_known_by_value(name, table, keys)
        hi, lo = _key_hashes(table, keys)
        order = np.lexsort((lo, hi))  # stable: among equal keys, file order
        sh, sl = hi[order], lo[order]
        repeat = np.zeros(len(order), dtype=bool)
        repeat[1:] = (sh[1:] == sh[:-1]) & (sl[1:] == sl[:-1])
        keep = np.ones(table.num_rows, dtype=bool)
        keep[order[repeat]] = False
        pcol = schemas.PARTITION_COLUMN.get(name)
        if pcol is not None:
            days = _days(table.column(pcol))
            for day in np.unique(days):
                rows = np.flatnonzero((days == day) & keep)
                known = self._keys.member(name, _day_name(day), hi[rows], lo[rows])
                keep[rows[known]] = False
        else:
            keep &= ~self._keys.member(name, None, hi, lo)
        return table if keep.all() else table.filter(pa.array(keep))

    def _drop_known_by_value(self, name: str, table: pa.Table, keys: list[str]) -> pa.Table:
        """The value-based path, for key columns the hash index does not cover."""
        # Within the batch: keep the first occurrence of each key.
        idx = pa.array(np.arange(table.num_rows))
        first = (
            table.select(keys)
            .append_column("__i", idx)
            .group_by(keys, use_threads=False)
            .aggregate([("__i", "min")])
            .column("__i_min")
        )
        if len(first) < table.num_rows:
            table = table.take(pc.sort_indices(first))
        # Against the lake: only partitions this batch touches are read (key columns only).
        pcol = schemas.PARTITION_COLUMN.get(name)
        if pcol is not None:
            dates = np.unique(ts_to_date(table.column(pcol).to_numpy()))
            existing_files = [f for d in dates for f in self.files(name, str(d))]
        else:
            existing_files = self.files(name)
        for f in existing_files:
            existing = pq.read_table(f, columns=keys)
            table = table.filter(self._key_mask_not_in(table, existing, keys))
            if not table.num_rows:
                break
        return table

    @staticmethod
    def _key_mask_not_in(table: pa.Table, existing: pa.Table, keys: list[str]) -> pa.Array:
        def joined(t: pa.Table) -> pa.Array:
            parts = [pc.cast(t.column(k), pa.string()) for k in keys]
            return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]

        return pc.invert(pc.is_in(joined(table), value_set=joined(existing).combine_chunks()))

    def _write_part(
        self, name: str, date: str | None, part: pa.Table, order: np.ndarray | None = None
    ) -> str:
        """Write one data file; with ``order``, rows in that order, taken one row group at a
        time (so a compaction never holds a second, sorted copy of its rows)."""
        tdir = self.table_dir(name) if date is None else self.table_dir(name) / f"date={date}"
        tdir.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem[5:]) for p in tdir.glob("part-*.parquet") if p.stem[5:].isdigit()]
        seq = max(numbers, default=-1) + 1
        rel_dir = tdir.relative_to(self.root)
        rel = str(rel_dir / f"part-{seq:05d}.parquet")
        tmp = self.root / (rel + ".tmp")
        options = parquet_write_options(part.schema)
        if order is None:
            pq.write_table(part, tmp, row_group_size=ROW_GROUP_ROWS, **options)
        else:
            with pq.ParquetWriter(tmp, part.schema, **options) as writer:
                for start in range(0, len(order), ROW_GROUP_ROWS):
                    chunk = part.take(pa.array(order[start : start + ROW_GROUP_ROWS]))
                    writer.write_table(chunk, row_group_size=ROW_GROUP_ROWS)
        tmp.replace(self.root / rel)
        return rel

    @contextlib.contextmanager
    def deferred_catalog(self) -> Iterator[Lake]:
        """Many writes, one catalog refresh at the end (each refresh opens DuckDB)."""
        previous, self._defer_catalog = self._defer_catalog, True
        try:
            yield self
        finally:
            self._defer_catalog = previous
            if not previous:
                self.refresh_catalog()

    def compact(
        self,
        name: str,
        partitions: Iterable[str] | None = None,
        small_bytes: int = COMPACT_SMALL_BYTES,
        target_rows: int = COMPACT_TARGET_ROWS,
        min_files: int = COMPACT_MIN_FILES,
    ) -> int:
        """Merge a partition's small files (under ``small_bytes``), once it has ``min_files`` of
        them, into files of up to ``target_rows`` rows, sorted by time; returns the number of
        files removed.

        Streaming writes leave one file per flush and day; merged, a day reads in one pass. Rows
        keep their order among equal times (file order, then row order), as ``iter_events`` reads
        them. Memory: one merged file's rows. The manifest is saved before old files go, so a
        crash midway leaves extra files (duplicates a re-run of compact removes), never a gap.
        """
        pcol = schemas.PARTITION_COLUMN.get(name)
        if pcol is None:
            return 0
        manifest = self.manifest(name)
        removed = 0
        for date in self.partitions(name) if partitions is None else sorted(set(partitions)):
            small = [f for f in self.files(name, date) if f.stat().st_size < small_bytes]
            if len(small) < max(min_files, 2):
                continue
            group: list[Path] = []
            rows = 0
            groups: list[list[Path]] = []
            for f in small:
                n = pq.ParquetFile(f).metadata.num_rows
                if group and rows + n > target_rows:
                    groups.append(group)
                    group, rows = [], 0
                group.append(f)
                rows += n
            groups.append(group)
            for group in (g for g in groups if len(g) > 1):
                table = pa.concat_tables(pq.read_table(f, schema=None) for f in group)
                ts = np.asarray(table.column(pcol).to_numpy())
                rel = self._write_part(name, date, table, np.argsort(ts, kind="stable"))
                path = self.root / rel
                manifest["files"][rel] = {
                    "rows": table.num_rows,
                    "bytes": path.stat().st_size,
                    "sha256": _sha256_file(path),
                }
                for f in group:
                    manifest["files"].pop(str(f.relative_to(self.root)), None)
                self._save_manifest(name, manifest)
                self._keys.replace_files(name, date, group, rel, table)
                for f in group:
                    f.unlink()
                removed += len(group)
        if removed and not self._defer_catalog:
            self.refresh_catalog()
        return removed

    # ------------------------------------------------------------ quarantine
    def quarantine(self, source: str, records: Iterable[dict[str, Any]]) -> Path | None:
        """Write refused rows (``row``, ``reason``, ``raw``) to ``_quarantine``; returns the file."""
        records = list(records)
        if not records:
            return None
        qdir = self.root / "_quarantine"
        qdir.mkdir(parents=True, exist_ok=True)
        stem = Path(source).name.replace(os.sep, "_")
        digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode())
        path = qdir / f"{stem}.{digest.hexdigest()[:10]}.jsonl"
        with open(path, "w") as fh:
            for rec in records:
                fh.write(json.dumps({"source": source, **rec}, default=str) + "\n")
        return path

    # ------------------------------------------------------------------ read
    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> pa.Table:
        """A whole table (or the ``[start, end)`` ns window of a partitioned one) in memory."""
        files = self._files_in_window(name, start, end)
        schema = schemas.TABLE_SCHEMAS[name]
        if not files:
            return schema.empty_table() if columns is None else schema.empty_table().select(columns)
        table = pa.concat_tables(pq.read_table(f, columns=columns, schema=None) for f in files)
        pcol = schemas.PARTITION_COLUMN.get(name)
        if (
            pcol is not None
            and (start is not None or end is not None)
            and pcol in table.column_names
        ):
            table = table.filter(_window_mask(table.column(pcol), start, end))
        return table

    def _files_in_window(self, name: str, start: int | None, end: int | None) -> list[Path]:
        if name not in schemas.PARTITION_COLUMN:
            return self.files(name)
        out = []
        for date in self._dates_in_window(name, start, end):
            out.extend(self.files(name, date))
        return out

    def _dates_in_window(self, name: str, start: int | None, end: int | None) -> list[str]:
        dates = self.partitions(name)
        lo = ts_to_date(np.array([start]))[0] if start is not None else None
        hi = ts_to_date(np.array([end - 1]))[0] if end is not None else None
        return [d for d in dates if (lo is None or d >= lo) and (hi is None or d <= hi)]

    def iter_events(self, start: int | None = None, end: int | None = None) -> Iterator[np.ndarray]:
        """Replay events (``schemas.EVENT_DTYPE``), one sorted array per date partition.

        Only numeric columns are read, so strings never enter replay memory. Within a partition
        events are ordered by ``ts`` (stable: file order, then row order, breaks ties).
        """
        self.require().require_schema("swaps")
        src_cols = [src for _, src in schemas.EVENT_SOURCE_COLUMNS]
        for date in self._dates_in_window("swaps", start, end):
            tables = [pq.read_table(f, columns=src_cols) for f in self.files("swaps", date)]
            if not tables:
                continue
            table = pa.concat_tables(tables)
            if start is not None or end is not None:
                table = table.filter(_window_mask(table.column("ts"), start, end))
            events = table_to_events(table)
            if len(events):
                order = np.argsort(events["ts"], kind="stable")
                if np.any(order != np.arange(len(order))):
                    events = events[order]
                yield events

    def load_events(self, start: int | None = None, end: int | None = None) -> np.ndarray:
        """All replay events in ``[start, end)`` as one array (in memory: mind the size)."""
        chunks = list(self.iter_events(start, end))
        if not chunks:
            return np.empty(0, dtype=schemas.EVENT_DTYPE)
        return np.concatenate(chunks)

    def event_count(self) -> int:
        try:
            return int(self.manifest("swaps")["rows"])
        except LakeError:
            return 0

    # -------------------------------------------------------------- catalog
    def refresh_catalog(self) -> None:
        """(Re)write ``catalog.duckdb``: one view per table over its Parquet files."""
        import duckdb

        path = self.root / "catalog.duckdb"
        try:
            con = duckdb.connect(str(path))
        except duckdb.IOException:
            return  # held open by a reader elsewhere; views are recreated on the next write
        try:
            self._create_views(con)
        finally:
            con.close()

    def _create_views(self, con: Any) -> None:
        for name in self.tables():
            if not self.files(name):
                continue
            root = self.table_dir(name).resolve()
            if name in schemas.PARTITION_COLUMN:
                glob = f"{root}/date=*/*.parquet"
                src = f"read_parquet('{glob}', hive_partitioning = true)"
            else:
                src = f"read_parquet('{root}/*.parquet')"
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {src}")

    def connect(self) -> Any:
        """An in-memory DuckDB connection with a view per table (safe beside other readers)."""
        import duckdb

        self.require()
        con = duckdb.connect()
        self._create_views(con)
        return con

    def sql(self, query: str) -> Any:
        """Run SQL over the lake's views; returns a pandas DataFrame."""
        con = self.connect()
        try:
            return con.sql(query).df()
        finally:
            con.close()


def _days(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """UTC day numbers (days since the epoch) of int64 ns timestamps."""
    return np.floor_divide(np.asarray(col.to_numpy(), dtype=np.int64), NS_PER_DAY)


def _is_sorted(col: pa.ChunkedArray) -> bool:
    values = np.asarray(col.to_numpy())
    return bool(len(values) < 2 or (values[1:] >= values[:-1]).all())


def _day_name(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _split_by_day(table: pa.Table, pcol: str) -> Iterator[tuple[str, pa.Table]]:
    days = _days(table.column(pcol))
    uniq = np.unique(days)
    if len(uniq) == 1:
        yield _day_name(uniq[0]), table
        return
    for day in uniq:
        yield _day_name(day), table.filter(pa.array(days == day))


def _hashable_key(schema: pa.Schema, keys: list[str]) -> bool:
    """Whether the key is (string) or (string, integer): what ``_key_hashes`` covers."""
    types = [schema.field(k).type for k in keys]
    return (
        0 < len(types) <= 2
        and pa.types.is_string(types[0])
        and (len(types) == 1 or pa.types.is_integer(types[1]))
    )


def _key_hashes(table: pa.Table, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """128-bit hashes (hi, lo) of each row's dedupe key, computed in compiled code."""
    from memelab.datasets.text_nb import hash128_nb, strings_buffers

    col = table.column(keys[0])
    text = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    offsets, data, valid = strings_buffers(text)
    if len(keys) > 1:
        extra = np.asarray(table.column(keys[1]).to_numpy(), dtype=np.int64)
    else:
        extra = np.zeros(table.num_rows, dtype=np.int64)
    return hash128_nb(offsets, data, valid, extra)


class _KeyIndex:
    """Sorted 128-bit dedupe keys per partition: in memory for the partitions a writer touches,
    on disk as one sorted ``.npy`` per data file (``_keys/<table>/date=.../part-N.npy``).

    A partition's keys are loaded once (its sidecars; a file without one, written by an older
    version or another writer, is hashed from its key columns and gets one), then kept up to
    date as files are written, so each write checks its keys by binary search instead of
    re-reading the partition's files.
    """

    MAX_CACHED_KEYS = 24_000_000  # ~384 MB of keys; older partitions are dropped beyond it

    def __init__(self, lake: Lake):
        self.lake = lake
        self._cache: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]] = {}

    def _sidecar(self, rel: str) -> Path:
        return self.lake.root / "_keys" / Path(rel).with_suffix(".npy")

    def _load(self, name: str, date: str | None) -> tuple[np.ndarray, np.ndarray]:
        key = (name, date)
        if key in self._cache:
            self._cache[key] = self._cache.pop(key)  # most recently used last
            return self._cache[key]
        parts = []
        for f in self.lake.files(name, date):
            rel = str(f.relative_to(self.lake.root))
            side = self._sidecar(rel)
            if side.exists():
                arr = np.load(side)
            else:
                cols = list(schemas.DEDUPE_KEYS[name])
                arr = _sorted_pairs(*_key_hashes(pq.read_table(f, columns=cols), cols))
                self._save(side, arr)
            parts.append(arr)
        if parts:
            merged = _sorted_pairs(
                np.concatenate([a[:, 0] for a in parts]), np.concatenate([a[:, 1] for a in parts])
            )
        else:
            merged = np.empty((0, 2), np.uint64)
        self._cache[key] = (np.ascontiguousarray(merged[:, 0]), np.ascontiguousarray(merged[:, 1]))
        self._evict()
        return self._cache[key]

    def _evict(self) -> None:
        while (
            len(self._cache) > 1
            and sum(len(h) for h, _ in self._cache.values()) > self.MAX_CACHED_KEYS
        ):
            self._cache.pop(next(iter(self._cache)))

    @staticmethod
    def _save(path: Path, arr: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, arr)
        tmp.replace(path)

    def member(self, name: str, date: str | None, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        from memelab.datasets.text_nb import member_sorted_nb

        known_hi, known_lo = self._load(name, date)
        if not len(known_hi):
            return np.zeros(len(hi), dtype=bool)
        return member_sorted_nb(known_hi, known_lo, hi, lo)

    def add_file(self, name: str, date: str | None, rel: str, part: pa.Table) -> None:
        """Record the keys of a newly written data file (its sidecar, and the cache)."""
        cols = list(schemas.DEDUPE_KEYS[name])
        if not _hashable_key(part.schema, cols):
            return
        arr = _sorted_pairs(*_key_hashes(part, cols))
        self._save(self._sidecar(rel), arr)
        key = (name, date)
        if key in self._cache:
            from memelab.datasets.text_nb import merge_sorted_nb

            old_hi, old_lo = self._cache[key]
            new_hi, new_lo = np.ascontiguousarray(arr[:, 0]), np.ascontiguousarray(arr[:, 1])
            self._cache[key] = merge_sorted_nb(old_hi, old_lo, new_hi, new_lo)

    def forget(self, name: str, date: str | None) -> None:
        self._cache.pop((name, date), None)

    def replace_files(
        self, name: str, date: str, old: list[Path], rel: str, table: pa.Table
    ) -> None:
        """After compaction: one sidecar for the merged file, none for the files it replaced."""
        cols = list(schemas.DEDUPE_KEYS[name])
        if _hashable_key(table.schema, cols):
            self._save(self._sidecar(rel), _sorted_pairs(*_key_hashes(table, cols)))
        for f in old:
            self._sidecar(str(f.relative_to(self.lake.root))).unlink(missing_ok=True)


def _sorted_pairs(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(n, 2) uint64 keys sorted by (hi, lo)."""
    order = np.lexsort((lo, hi))
    return np.stack([hi[order], lo[order]], axis=1)


def parquet_write_options(schema: pa.Schema) -> dict[str, Any]:
    """Per-column Parquet writer settings, chosen so that replay decodes fast.

    Replay reads only the numeric columns, so they get cheap codecs: floats BYTE_STREAM_SPLIT +
    LZ4 (mantissas barely compress; split-out exponent bytes do), ``ts``/``slot``/partition
    columns delta-packed without a codec (sorted), other integers dictionary (low cardinality;
    the writer falls back to plain when a dictionary grows past its page) + LZ4. Strings, never
    replayed, keep zstd and dictionaries. Against zstd everywhere: ~4x faster to decode, smaller.
    """
    delta = {"ts", "slot", *schemas.PARTITION_COLUMN.values()}
    compression: dict[str, str] = {}
    encoding: dict[str, str] = {}
    dictionary: list[str] = []
    for field in schema:
        t, name = field.type, field.name
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
            compression[name] = "zstd"
            if name != "signature":  # unique per row: a dictionary only costs
                dictionary.append(name)
        elif pa.types.is_floating(t):
            compression[name] = "lz4"
            encoding[name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_int64(t) and name in delta:
            compression[name] = "none"
            encoding[name] = "DELTA_BINARY_PACKED"
        elif pa.types.is_integer(t):
            compression[name] = "lz4"
            dictionary.append(name)
        else:
            compression[name] = "zstd"
    return {
        "compression": compression,
        "use_dictionary": dictionary,
        "column_encoding": encoding or None,
    }


def _window_mask(col: pa.ChunkedArray, start: int | None, end: int | None) -> pa.Array:
    mask = None
    if start is not None:
        mask = pc.greater_equal(col, start)
    if end is not None:
        upper = pc.less(col, end)
        mask = upper if mask is None else pc.and_(mask, upper)
    return mask


def _set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def migrate_lake(root: str | os.PathLike[str] | Lake) -> dict[str, int]:
    """Bring a lake written with an older schema up to ``schemas.SCHEMA_VERSION``, in place.

    Version 1 -> 2: every swaps file gains ``pool`` (null: the producers knew no pool address)
    and ``pool_id`` (the derived ``"<mint>:<venue>"`` key's id); each file is rewritten
    atomically and its manifest entry (bytes, sha256) updated, so derived caches invalidate.
    Returns files rewritten per table. Running it on a current lake does nothing.
    """
    lake = root if isinstance(root, Lake) else Lake(root)
    lake.require()
    done: dict[str, int] = {}
    if "swaps" in lake.tables() and lake.schema_version("swaps") < 2:
        manifest = lake.manifest("swaps")
        for rel in sorted(manifest["files"]):
            path = lake.root / rel
            table = pq.read_table(path)
            table = _set_column(table, "pool_id", lake.pool_ids(table))
            table = lake._conform("swaps", table, schemas.SWAPS_TABLE_SCHEMA, assign_ids=False)
            tmp = path.with_suffix(".migrate.tmp")
            pq.write_table(
                table, tmp, row_group_size=ROW_GROUP_ROWS, **parquet_write_options(table.schema)
            )
            tmp.replace(path)
            manifest["files"][rel].update(bytes=path.stat().st_size, sha256=_sha256_file(path))
        manifest["schema_version"] = schemas.SCHEMA_VERSION
        lake._save_manifest("swaps", manifest)
        done["swaps"] = len(manifest["files"])
        lake.refresh_catalog()
    return done
