"""Swaps columns (Arrow) -> replay events (``schemas.EVENT_DTYPE``): the one conversion.

Used by ``Lake.iter_events`` and by the engine's row-group streamer. Columns are read straight
from the Arrow buffers (no pandas import on the replay path) and interleaved into the records by
one compiled pass (``events_nb.interleave_events_nb``), which writes each record once instead of
walking the buffer once per field.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from memelab.datasets.events_nb import interleave_events_nb
from memelab.datasets.schemas import EVENT_DTYPE, EVENT_SOURCE_COLUMNS, VENUE_ID

_DTYPES = [EVENT_DTYPE[field] for field, _ in EVENT_SOURCE_COLUMNS]


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


def decode_events_into(table: Any, buffer: np.ndarray) -> np.ndarray:
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


def table_to_events(table: pa.Table) -> np.ndarray:
    """Swaps columns (as in ``EVENT_SOURCE_COLUMNS``) as a fresh ``EVENT_DTYPE`` array."""
    return decode_events_into(table, np.zeros(table.num_rows, dtype=EVENT_DTYPE))


def venue_ids(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Vectorised venue name -> int8 id (unknown names map to ``other``)."""
    encoded = pc.dictionary_encode(col)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    other = VENUE_ID["other"]
    lut = np.array([VENUE_ID.get(v, other) for v in encoded.dictionary.to_pylist()], dtype=np.int8)
    if len(lut) == 0:
        return np.empty(0, dtype=np.int8)
    return lut[encoded.indices.to_numpy(zero_copy_only=False)]
