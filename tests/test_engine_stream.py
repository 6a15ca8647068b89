"""Streaming replay reader: Parquet writer settings, the record-copy kernel, double buffering."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from memelab.datasets import Lake
from memelab.datasets.lake import parquet_write_options
from memelab.datasets.schemas import (
    EVENT_DTYPE,
    EVENT_SOURCE_COLUMNS,
    KIND_LIQUIDITY,
    KIND_TRADE,
    SWAPS_TABLE_SCHEMA,
    VENUE_ID,
)

T0 = 1_767_225_600 * 10**9
N = 3_000


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(a[f], b[f], equal_nan=a.dtype[f].kind == "f") for f in a.dtype.names
    )


def _swaps(n: int, days: int = 1) -> pa.Table:
    """n swaps over ``days`` days: two venues, NaN reserves every 7th row, null fees every 3rd."""
    rng = np.random.default_rng(7)
    vsol = rng.uniform(20, 80, n)
    vsol[::7] = np.nan  # a price feed without reserves
    fee = pa.array(rng.uniform(0, 0.01, n), mask=np.arange(n) % 3 == 0)
    return pa.table(
        {
            "ts": T0 + np.sort(rng.integers(0, days * 86_000 * 10**9, n)),
            "slot": np.arange(n, dtype=np.int64) * 3,
            "signature": [f"sig{i}" for i in range(n)],
            "ix_index": np.zeros(n, np.int32),
            "mint": [f"Mint{m}" for m in rng.integers(0, 40, n)],
            "venue": np.where(np.arange(n) % 5 == 0, "pumpswap", "pumpfun"),
            "trader": [f"W{w}" for w in rng.integers(0, 300, n)],
            "side": rng.choice(np.array([-1, 1], np.int8), n),
            "sol_amount": rng.exponential(0.5, n),
            "token_amount": rng.exponential(1e6, n),
            "price": rng.uniform(1e-8, 1e-7, n),
            "virtual_sol_reserves": vsol,
            "virtual_token_reserves": rng.uniform(5e8, 1e9, n),
            "fee": fee,
        }
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    """N swaps in one file rewritten in row groups of 700 rows (same writer settings), so that
    streaming alternates its two buffers several times."""
    store = Lake(tmp_path_factory.mktemp("stream") / "lake")
    store.write("swaps", _swaps(N), "test")
    (path,) = store.files("swaps")
    written = pq.read_table(path)
    pq.write_table(written, path, row_group_size=700, **parquet_write_options(written.schema))
    return store


def test_lake_writes_numeric_columns_with_fast_encodings_and_strings_with_zstd(tmp_path):
    store = Lake(tmp_path / "lake")
    store.write("swaps", _swaps(50), "test")
    (path,) = store.files("swaps")
    meta = pq.ParquetFile(path).metadata.row_group(0)
    cols = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    assert "BYTE_STREAM_SPLIT" in cols["price"].encodings
    assert cols["price"].compression.startswith("LZ4")
    assert "DELTA_BINARY_PACKED" in cols["ts"].encodings
    assert cols["ts"].compression == "UNCOMPRESSED"
    assert cols["ts"].statistics.has_min_max  # streaming checks row-group order from these
    assert cols["trader"].compression == "ZSTD"
    assert "RLE_DICTIONARY" in cols["venue"].encodings
    assert "RLE_DICTIONARY" not in cols["signature"].encodings  # unique per row


def test_lake_files_round_trip_every_value_and_duckdb_reads_them(lake):
    table = lake.read("swaps")
    assert table.schema.remove_metadata() == SWAPS_TABLE_SCHEMA.remove_metadata()
    assert table.num_rows == N
    assert table.column("fee").null_count == N // 3
    assert np.isnan(table.column("virtual_sol_reserves").to_numpy()).sum() == len(range(0, N, 7))
    rows, total, venues = (
        lake.connect()
        .sql("SELECT count(*), sum(sol_amount), count(DISTINCT venue) FROM swaps")
        .fetchall()[0]
    )
    assert (rows, venues) == (N, 2)
    assert total == pytest.approx(float(np.sum(table.column("sol_amount").to_numpy())), rel=1e-12)


def test_streamed_chunks_equal_iter_events_and_stay_intact_while_the_next_group_decodes(
    lake, monkeypatch
):
    import itertools
    import threading

    import memelab.datasets.stream as stream

    done = [threading.Event() for _ in range(5)]  # one per 700-row group
    count = itertools.count()
    decode = stream._decode_into

    def decode_and_signal(table, buffer):
        events = decode(table, buffer)
        k = next(count)
        if k < len(done):
            done[k].set()
        return events

    monkeypatch.setattr(stream, "_decode_into", decode_and_signal)
    expected = lake.load_events()
    pos, sizes = 0, []
    for k, chunk in enumerate(stream.stream_events(lake)):
        if k + 1 < len(done):
            done[k + 1].wait()  # the next group now sits in the other buffer
        assert _same(chunk, expected[pos : pos + len(chunk)])
        pos += len(chunk)
        sizes.append(len(chunk))
    assert pos == N and sizes == [700, 700, 700, 700, 200]
    lo, hi = int(expected["ts"][1000]), int(expected["ts"][2500])
    window = np.concatenate([c.copy() for c in stream.stream_events(lake, lo, hi)])
    assert _same(window, expected[1000:2500])


def test_venue_names_become_venue_ids_and_null_fees_nan(lake):
    from memelab.datasets.stream import stream_events

    events = np.concatenate([c.copy() for c in stream_events(lake)])
    table = lake.read("swaps")
    order = np.argsort(table.column("ts").to_numpy(), kind="stable")
    names = np.asarray(table.column("venue").to_pylist(), dtype=object)[order]
    assert np.array_equal(events["venue"], [VENUE_ID[v] for v in names])
    fee = table.column("fee").to_numpy(zero_copy_only=False)[order]
    assert np.array_equal(events["fee"], fee, equal_nan=True)
    assert np.isnan(events["fee"]).sum() == N // 3


def test_interleave_kernel_writes_each_column_into_its_field():
    from memelab.datasets.events_nb import interleave_events_nb

    n = 4
    names = [f for f, _ in EVENT_SOURCE_COLUMNS]
    cols = [np.arange(n, dtype=EVENT_DTYPE[f]) * (k + 1) for k, f in enumerate(names)]
    cols[-1] = np.array([np.nan, 1.5, -2.0, 0.0])
    for col in cols:  # as the reader passes them (the signature compiled for it)
        col.flags.writeable = False
    out = np.zeros(n + 2, dtype=EVENT_DTYPE)
    interleave_events_nb(out, *cols)
    for name, col in zip(names, cols, strict=True):
        assert np.array_equal(out[name][:n], col, equal_nan=True)
    side = out["side"][:n]
    assert out["kind"][:n].tolist() == [KIND_TRADE if s else KIND_LIQUIDITY for s in side]
    assert out["ts"][n:].tolist() == [0, 0]  # rows past the columns untouched


def test_streaming_across_partitions_with_one_to_sort_and_a_window_matches_iter_events(tmp_path):
    from memelab.datasets.stream import stream_events

    store = Lake(tmp_path / "lake")
    table = _swaps(2_000, days=3)
    store.write("swaps", table, "test")
    for path in store.files("swaps"):  # several row groups per partition
        written = pq.read_table(path)
        pq.write_table(written, path, row_group_size=150, **parquet_write_options(written.schema))
    # an append inside day 2's time range: that partition must be read and sorted by the lake
    day2 = store.load_events(T0 + 86_400 * 10**9, T0 + 2 * 86_400 * 10**9)
    late = table.filter(pa.compute.equal(table.column("ts"), int(day2["ts"][10])))
    late = late.set_column(2, "signature", pa.array([f"late{i}" for i in range(late.num_rows)]))
    store.write("swaps", late, "test")
    expected = store.load_events()
    assert len(expected) == 2_000 + late.num_rows
    streamed = np.concatenate([c.copy() for c in stream_events(store)])
    assert _same(streamed, expected)
    lo, hi = int(expected["ts"][100]), int(expected["ts"][1_900])  # day 1 to day 3
    window = np.concatenate([c.copy() for c in stream_events(store, lo, hi)])
    assert _same(window, expected[100:1_900])


def test_column_conversion_gives_nan_for_nulls_also_when_all_null_or_sliced():
    from memelab.datasets.events import _column

    f8 = np.dtype(np.float64)
    table = pa.table(
        {
            "some": pa.array([1.0, None, 3.0, None, 5.0]),
            "none": pa.nulls(5, pa.float64()),
            "ids": pa.array([1, None, 3], pa.int32()).take([0, 2, 2, 0, 2]),
        }
    )
    assert np.array_equal(_column(table, "some", f8), [1, np.nan, 3, np.nan, 5], equal_nan=True)
    assert np.isnan(_column(table, "none", f8)).all()
    part = table.slice(1, 3)  # an offset into the buffers
    assert np.array_equal(_column(part, "some", f8), [np.nan, 3, np.nan], equal_nan=True)
    assert np.array_equal(_column(part, "ids", np.dtype(np.int32)), [3, 3, 1])
    with pytest.raises(ValueError, match="'ids' has 1 nulls"):
        _column(pa.table({"ids": pa.array([1, None], pa.int32())}), "ids", np.dtype(np.int32))
