"""Ingest at scale: compiled checks and keys agree with the slow definitions; a partition's keys
are read once whatever its file count; small files are compacted without losing or adding rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st
from memelab.datasets import Lake
from memelab.datasets.importers.fields import _iso_ns, signature_ordinals
from memelab.datasets.ingest import ingest
from memelab.datasets.inspect import validate_lake
from memelab.datasets.solana.programs import b58decode
from memelab.datasets.text_nb import base58_decoded_len, hash128_nb, strings_buffers
from solders.pubkey import Pubkey
from solders.signature import Signature
from test_ingest import write_csv

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _slow_len(text: str | None) -> int:
    if not text:
        return -1
    try:
        return min(len(b58decode(text)), 99)
    except ValueError:
        return -1


@given(
    st.lists(
        st.one_of(
            st.text(alphabet=B58 + "0OIl", max_size=100),
            st.binary(min_size=32, max_size=32).map(lambda b: str(Pubkey.from_bytes(b))),
            st.binary(min_size=64, max_size=64).map(lambda b: str(Signature.from_bytes(b))),
            st.integers(0, 70).map(lambda k: "1" * k + "z" * (90 - k)),
            st.none(),
        ),
        max_size=40,
    )
)
def test_compiled_base58_length_equals_the_decoded_byte_count(values):
    got = base58_decoded_len(pa.array(values, pa.string()))
    assert got.tolist() == [_slow_len(v) for v in values]


def test_key_hashes_separate_signatures_and_instruction_indices():
    rng = np.random.default_rng(1)
    sigs = [str(Signature.from_bytes(rng.bytes(64))) for _ in range(2_000)]
    arr = pa.array(sigs * 3)  # each signature with ix 0, 1, 2
    ix = np.repeat(np.arange(3), len(sigs))
    hi, lo = hash128_nb(*strings_buffers(arr), ix)
    assert len(set(zip(hi.tolist(), lo.tolist(), strict=True))) == 3 * len(sigs)
    hi2, lo2 = hash128_nb(*strings_buffers(arr.slice(len(sigs), len(sigs))), ix[: len(sigs)] + 1)
    assert (hi2 == hi[len(sigs) : 2 * len(sigs)]).all()  # a slice hashes like the whole array
    assert (lo2 == lo[len(sigs) : 2 * len(sigs)]).all()


def test_iso_fast_path_gives_the_same_nanoseconds_as_pandas():
    text = ["2024-03-16T07:17:57Z", "2024-03-16T09:17:57.123456+02:00"]
    naive = ["2024-03-16 07:17:57.000", "2025-01-01T00:00:00.5", "2024-02-29"]
    for values in (text, naive):
        fast = _iso_ns(pa.array(values))
        slow = pd.to_datetime(pd.Series(values), utc=True, format="ISO8601")
        slow = slow.dt.as_unit("ns").astype("int64")
        assert fast is not None and fast.tolist() == slow.tolist()
    assert _iso_ns(pa.array(["2024-03-16T07:17:57Z", "yesterday"])) is None  # per-value path


def test_signature_ordinals_number_non_adjacent_repeats_too():
    carry: dict = {}
    got = signature_ordinals(pa.array(["a", "b", "a", None, "a", "b"]), carry)
    assert got.tolist() == [0, 0, 1, 0, 2, 1]


def _rows(n: int, start: int, day_s: int = 0) -> list[dict]:
    rng = np.random.default_rng(start)
    mint = str(Pubkey.from_bytes(rng.bytes(32)))
    return [
        {"ts": str(1_700_000_000 + day_s + i), "slot": str(i), "side": "buy",
         "signature": str(Signature.from_bytes(rng.bytes(64))), "mint": mint,
         "trader": mint, "sol_amount": "1", "token_amount": "10"}
        for i in range(n)
    ]  # fmt: skip


def test_a_partition_of_many_files_reads_its_keys_once_from_the_sidecars(tmp_path, monkeypatch):
    lake = Lake(tmp_path / "lake")
    files = [write_csv(tmp_path / f"f{i}.csv", _rows(50, i)) for i in range(6)]
    for f in files:  # six imports, six files in one day (each import compacts only its own)
        ingest(lake, [f])
    reads: list = []
    real = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: reads.append(a) or real(*a, **k))
    fresh = Lake(lake.root)  # a new process: nothing cached
    report = ingest(fresh, files).files
    assert sum(f.ingested for f in report) == 0 and sum(f.duplicates for f in report) == 300
    assert [r for r in reads if "date=" in str(r[0])] == []  # keys: .npy sidecars, no Parquet
    for side in (lake.root / "_keys").rglob("*.npy"):
        side.unlink()  # sidecars lost: rebuilt from the key columns, dedupe still exact
    assert ingest(Lake(lake.root), files[:2]).files[0].duplicates == 50


def test_compaction_merges_small_files_without_losing_a_row(tmp_path):
    lake = Lake(tmp_path / "lake")
    for i in range(5):
        lake.write("swaps", _table(_rows(40, i)), source=f"s{i}")
    date = lake.partitions("swaps")[0]
    before = lake.read("swaps").sort_by([("ts", "ascending"), ("signature", "ascending")])
    assert len(lake.files("swaps", date)) == 5
    assert lake.compact("swaps", min_files=6) == 0  # five small files: left alone
    assert lake.compact("swaps") == 0
    assert lake.compact("swaps", min_files=5) == 5
    assert len(lake.files("swaps", date)) == 1
    after = lake.read("swaps").sort_by([("ts", "ascending"), ("signature", "ascending")])
    assert after.equals(before)
    assert validate_lake(lake) == []
    assert lake.write("swaps", _table(_rows(40, 3)), source="again").rows_added == 0


def _table(rows: list[dict]) -> pa.Table:
    t = pa.Table.from_pylist(rows)
    return pa.table(
        {
            "ts": pa.array([int(r["ts"]) * 10**9 for r in rows], pa.int64()),
            "slot": pa.array([int(r["slot"]) for r in rows], pa.int64()),
            "signature": t.column("signature"),
            "ix_index": pa.array([0] * len(rows), pa.int32()),
            "mint": t.column("mint"),
            "venue": pa.array(["pumpfun"] * len(rows)),
            "trader": t.column("trader"),
            "side": pa.array([1] * len(rows), pa.int8()),
            "sol_amount": pa.array([1.0] * len(rows)),
            "token_amount": pa.array([10.0] * len(rows)),
            "price": pa.array([0.1] * len(rows)),
        }
    )
