"""Readers for tabular trade exports: CSV (also .gz/.zst), JSON Lines, JSON documents, Parquet.

Each reader streams its file in batches of raw rows (CSV and JSON values as strings, so a bad
number in row 900,000 quarantines that row instead of failing the file), maps every batch through
the column-mapping preset (``presets``) and validates it (``fields.build_swaps``). Memory is one
batch, whatever the file size; only a whole-document ``.json`` file is read at once.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from memelab.datasets.importers.fields import build_swaps
from memelab.datasets.importers.presets import Preset, RawBatch, resolve_preset
from memelab.datasets.ingest import IngestError, ParseResult, register_reader

# pyarrow's streaming CSV reader reads ~32 blocks ahead: small blocks keep that memory small,
# and blocks are grouped into batches of CSV_BATCH_ROWS rows for the (per-batch) validation.
CSV_BLOCK_BYTES = 16 << 20
CSV_BATCH_ROWS = 32_768  # a 16 MB block (~58k trade rows) is a batch alone: no concatenation
PARQUET_BATCH_ROWS = 262_144
JSON_BATCH_ROWS = 100_000

# One raw batch: rows (string or typed columns), their 1-based data row numbers, records of
# malformed lines the format parser could not split into columns, and a count of blank lines.
RawChunk = tuple[pa.Table, np.ndarray, list[dict[str, Any]], int]


def _records_to_table(records: list[dict[str, Any]], flat: bool = False) -> pa.Table:
    """JSON records -> a table of string columns (nested objects flattened with ``_``)."""
    flat = records if flat else [_flatten(r) for r in records]
    names: dict[str, None] = {}
    for r in flat:
        names.update(dict.fromkeys(r))
    return pa.table({k: pa.array([r.get(k) for r in flat], pa.string()) for k in names})


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "_"))
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str):
            out[name] = value
        elif isinstance(value, int | float):
            out[name] = repr(value)
        else:
            out[name] = json.dumps(value)
    return out


def _parse_batches(
    path: Path,
    preset_name: str | None,
    names: list[str],
    batches: Iterator[RawChunk],
) -> Iterator[ParseResult]:
    """Resolve the preset once per file, then map and validate every raw batch."""
    preset: Preset = resolve_preset(path, names, preset_name)
    state: dict[str, Any] = {"path": path}
    for table, rows, malformed, blank in batches:
        result = ParseResult(swaps=pa.table({}), rows_read=0, preset=preset.name)
        skipped: dict[str, int] = {}
        if table.num_rows:
            canon, skipped = preset.to_canonical(RawBatch(table, rows), state)
            if canon is not None:
                result = build_swaps(canon)
                result.preset = preset.name
            result.rows_read = table.num_rows
        result.skipped = dict(skipped)
        if blank:
            result.skipped["blank_line"] = blank
        # A preset may refuse rows itself and derive launches (pumpportal-paths): via ``state``.
        result.quarantined = malformed + state.pop("refused", []) + result.quarantined
        result.launches = state.pop("launches", None)
        result.rows_read = (result.rows_read or 0) + len(malformed) + blank
        result.info = {k: v for k, v in state.items() if k.startswith("units")}
        yield result


# ---------------------------------------------------------------------------------------- CSV
def read_csv(path: Path, preset: str | None) -> Iterator[ParseResult]:
    """Stream a CSV file (header row required); malformed lines are quarantined, not fatal."""
    names = _csv_header(path)
    if names is None:
        return iter(())
    return _parse_batches(path, preset, names, _csv_batches(path, names))


def _csv_header(path: Path) -> list[str] | None:
    """Column names from the first line (None: empty file); compressed files are decompressed."""
    import csv
    import io

    try:
        with pa.input_stream(str(path), compression="detect") as raw:
            head = raw.read(1 << 20)
    except (OSError, pa.ArrowInvalid) as exc:
        raise IngestError(f"{path}: cannot read: {exc}") from exc
    text = head.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return None
    try:
        names = next(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise IngestError(f"{path}: header row does not parse: {exc}") from exc
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise IngestError(f"{path}: header row has empty or repeated column names: {names}")
    return names


def _csv_batches(path: Path, names: list[str]) -> Iterator[RawChunk]:
    """Blocks of the CSV grouped into batches of about ``CSV_BATCH_ROWS`` rows."""
    group: list[RawChunk] = []
    rows = 0
    for chunk in _csv_blocks(path, names):
        group.append(chunk)
        rows += chunk[0].num_rows
        if rows >= CSV_BATCH_ROWS:
            yield _merge_chunks(group)
            group, rows = [], 0
    if group:
        yield _merge_chunks(group)


def _merge_chunks(chunks: list[RawChunk]) -> RawChunk:
    if len(chunks) == 1:
        return chunks[0]
    return (
        pa.concat_tables(c[0] for c in chunks),
        np.concatenate([c[1] for c in chunks]),
        [m for c in chunks for m in c[2]],
        sum(c[3] for c in chunks),
    )


def _csv_blocks(path: Path, names: list[str]) -> Iterator[RawChunk]:
    """One raw chunk per block the pyarrow reader parses, with exact file row numbers."""
    malformed: list[dict[str, Any]] = []
    blank_rows: list[int] = []

    def on_invalid(row: Any) -> str:
        # row.number is the physical line (header = line 1); data rows are counted from 1.
        number = int(row.number) - 1 if row.number is not None else -1
        if not row.text.strip("\ufeff \t\r\n"):
            blank_rows.append(number)  # e.g. a stray byte-order mark on the last line: no data
            return "skip"
        malformed.append(
            {
                "row": number,
                "reason": f"csv: expected {row.expected_columns} columns, got {row.actual_columns}",
                "raw": row.text,
            }
        )
        return "skip"

    next_row = 1
    pending_bad: set[int] = set()  # numbers of skipped lines not yet passed
    reader = None
    stream = _Utf8Input(path)
    while True:
        try:
            if reader is None:  # opening parses the first block: its errors are the file's
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
                    parse_options=pacsv.ParseOptions(
                        invalid_row_handler=on_invalid, newlines_in_values=True
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types={n: pa.string() for n in names}, strings_can_be_null=True
                    ),
                )
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError) as exc:
            # The parser cannot go on (e.g. an unclosed quote running past a block): the rest of
            # the file is one refused record, and the rows before it are kept.
            rest = {"row": next_row, "reason": f"csv: unreadable from here on: {exc}", "raw": None}
            empty = pa.table({n: pa.array([], pa.string()) for n in names})
            yield empty, np.empty(0, np.int64), [*malformed, rest], len(blank_rows)
            return
        # Data row numbers of this batch: consecutive, minus the lines skipped within it.
        pending_bad.update(m["row"] for m in malformed)
        pending_bad.update(blank_rows)
        n = batch.num_rows
        skip = sorted(b for b in pending_bad if b >= next_row)
        numbers = np.arange(next_row, next_row + n + len(skip), dtype=np.int64)
        if skip:
            numbers = numbers[~np.isin(numbers, skip)]
        numbers = numbers[:n]
        if n:
            next_row = int(numbers[-1]) + 1
            pending_bad = {b for b in pending_bad if b >= next_row}
        table, bad_text = pa.Table.from_batches([batch]), []
        if stream.replaced:  # bytes that were not UTF-8 went by: refuse the rows holding them
            table, numbers, bad_text = _as_utf8(table, numbers)
        yield table, numbers, [*malformed, *bad_text], len(blank_rows)
        malformed.clear()
        blank_rows.clear()
    if malformed or blank_rows:
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        yield empty, np.empty(0, np.int64), list(malformed), len(blank_rows)


class _Utf8Input(io.RawIOBase):
    """A file's bytes (decompressed) with invalid UTF-8 replaced by U+FFFD.

    pyarrow's CSV reader cannot even report a malformed row whose text is not UTF-8, so the
    stream is made valid first; rows that then hold U+FFFD are refused after parsing
    (``_as_utf8``). One decode-and-encode pass in C: cheap beside the parse.
    """

    def __init__(self, path: Path):
        self._src = pa.input_stream(str(path), compression="detect")
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.replaced = False  # set once a U+FFFD went out: rows must then be checked

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._src.read(size if size and size > 0 else CSV_BLOCK_BYTES)
        if chunk.isascii() and not self._decoder.getstate()[0]:
            return chunk  # the usual case: nothing to check, no copy
        text = self._decoder.decode(chunk, final=not chunk)
        self.replaced = self.replaced or "\ufffd" in text
        return text.encode("utf-8")

    def close(self) -> None:
        self._src.close()
        super().close()


def _as_utf8(
    table: pa.Table, rows: np.ndarray
) -> tuple[pa.Table, np.ndarray, list[dict[str, Any]]]:
    """Refuse the rows holding U+FFFD: bytes of the file that were not UTF-8 (``_Utf8Input``)."""
    bad = None
    for col in table.columns:
        hit = pc.match_substring(col, "\ufffd")
        if hit.null_count < len(hit) and pc.any(hit).as_py():
            mask = hit.fill_null(False).to_numpy(zero_copy_only=False)
            bad = mask if bad is None else bad | mask
    if bad is None:
        return table, rows, []
    refused = [
        {"row": int(rows[i]), "reason": "csv: bytes that are not UTF-8", "raw": r}
        for i, r in zip(np.flatnonzero(bad), table.filter(pa.array(bad)).to_pylist(), strict=True)
    ]
    return table.filter(pa.array(~bad)), rows[~bad], refused


# --------------------------------------------------------------------------------------- JSON
def read_jsonl(path: Path, preset: str | None) -> Iterator[ParseResult]:
    """JSON Lines, one object per line; a line that is not a JSON object is quarantined.

    A file that is one JSON document instead (an array of records, or an object holding one)
    is accepted too, since exports name both ``.json``.
    """
    if _is_document(path):
        return read_json(path, preset)
    first = _jsonl_batches(path)
    try:
        table, rows, malformed, _ = next(first)
    except StopIteration:
        return iter(())
    names = table.column_names

    def chain() -> Iterator[RawChunk]:
        yield table, rows, malformed, 0
        yield from first

    return _parse_batches(path, preset, names, chain())


def _is_document(path: Path) -> bool:
    """Whether a JSON file is one document (array, envelope, pretty-printed) rather than lines."""
    with open(path, "rb") as fh:
        lines = (line for line in fh if line.strip())
        first = next(lines, b"").strip()
        if first[:1] == b"[":
            return True
        try:
            obj = json.loads(first)
        except ValueError:
            # A pretty-printed document's second line is no whole object; a JSON Lines file
            # whose first line is broken has whole objects after it.
            try:
                return not isinstance(json.loads(next(lines, b"")), dict)
            except ValueError:
                return True
        return isinstance(obj, dict) and _find_records(obj, nested=False) is not None


def _jsonl_batches(path: Path) -> Iterator[RawChunk]:
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    malformed: list[dict[str, Any]] = []
    number = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            number += 1
            try:
                obj = json.loads(line)
                flat = _flatten(obj) if isinstance(obj, dict) else None
            except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
                reason = f"json: {type(exc).__name__}: {str(exc)[:200]}"
                malformed.append({"row": number, "reason": reason, "raw": line.rstrip()[:2000]})
                continue
            if flat is None:
                malformed.append(
                    {"row": number, "reason": "json: not an object", "raw": line.rstrip()}
                )
                continue
            records.append(flat)
            rows.append(number)
            if len(records) >= JSON_BATCH_ROWS:
                yield _records_to_table(records, True), np.asarray(rows, np.int64), malformed, 0
                records, rows, malformed = [], [], []
    if records or malformed:
        yield _records_to_table(records, True), np.asarray(rows, np.int64), malformed, 0


def read_json(path: Path, preset: str | None) -> Iterator[ParseResult]:
    """One JSON document: an array of records, or an object whose records sit under a key
    (``rows``, ``data``, ``trades``, ``result``, nested too, e.g. Substreams ``@data.data``)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"{path}: not valid JSON: {type(exc).__name__}: {exc}") from exc
    records = _find_records(doc)
    if records is None:
        raise IngestError(f"{path}: no list of records found (expected an array of objects)")
    good: list[tuple[int, dict[str, Any]]] = []
    malformed: list[dict[str, Any]] = []
    for i, r in enumerate(records, start=1):
        try:
            flat = _flatten(r) if isinstance(r, dict) else None
        except RecursionError:
            flat = None
        if flat is None:
            malformed.append(
                {"row": i, "reason": "json: not a flat enough object", "raw": str(r)[:2000]}
            )
        else:
            good.append((i, flat))
    table = _records_to_table([r for _, r in good], True)
    rows = np.asarray([i for i, _ in good], np.int64)
    return _parse_batches(path, preset, table.column_names, iter([(table, rows, malformed, 0)]))


_RECORD_KEYS = ("rows", "data", "trades", "swaps", "result", "records", "@data")


def _find_records(doc: Any, depth: int = 0, nested: bool = True) -> list[Any] | None:
    """The records of a JSON document: the document itself when it is an array, else the array
    under a usual key (``rows``, ``data``, ...), else (``nested``) the first array of objects in a
    nested envelope such as a GraphQL answer (``data.Solana.DEXTrades``)."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict) or depth > 4:
        return None
    for key in _RECORD_KEYS:
        if key in doc:
            found = _find_records(doc[key], depth + 1, nested)
            if found is not None:
                return found
    if not nested:
        return None
    for value in doc.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value
        if isinstance(value, dict):
            found = _find_records(value, depth + 1)
            if found is not None:
                return found
    return None


# ------------------------------------------------------------------------------------ Parquet
def _flatten_structs(table: pa.Table) -> pa.Table:
    """Nested struct columns (``Trade.Buy.Amount``) as flat ones (``Trade_Buy_Amount``)."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table.rename_columns([n.replace(".", "_") for n in table.column_names])


def read_parquet(path: Path, preset: str | None) -> Iterator[ParseResult]:
    """Stream a Parquet file by record batches (typed columns are used as they are)."""
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: not a readable Parquet file: {exc}") from exc
    names = _flatten_structs(pf.schema_arrow.empty_table()).column_names

    def batches() -> Iterator[RawChunk]:
        start = 1
        for group in range(pf.num_row_groups):
            expected = pf.metadata.row_group(group).num_rows
            done = 0
            try:  # a damaged row group is refused as one record; the others are read
                for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=[group]):
                    n = batch.num_rows
                    rows = np.arange(start + done, start + done + n, dtype=np.int64)
                    yield _flatten_structs(pa.Table.from_batches([batch])), rows, [], 0
                    done += n
            except (pa.ArrowException, OSError, ValueError) as exc:
                reason = f"parquet: row group {group} unreadable from its row {done + 1}: {exc}"
                bad = [{"row": start + done, "reason": reason[:500], "raw": None}]
                yield pa.table({}), np.empty(0, np.int64), bad, 0
            start += expected

    return _parse_batches(path, preset, names, batches())


register_reader("csv", read_csv, (".csv", ".csv.gz", ".csv.zst", ".csv.bz2"))
register_reader("jsonl", read_jsonl, (".jsonl", ".ndjson", ".json"))
register_reader("json", read_json)
register_reader("parquet", read_parquet, (".parquet", ".pq"))
