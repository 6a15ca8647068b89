import numpy as np
import pyarrow as pa
import pytest
from memelab.datasets import Lake, LakeError
from memelab.datasets.inspect import lake_info, validate_lake
from memelab.datasets.lake import parse_time

DAY = 86_400 * 10**9
T0 = 1_700_000_000 * 10**9


def _swaps(ts, mints, traders, sigs=None):
    n = len(ts)
    return pa.table(
        {
            "ts": np.asarray(ts, dtype=np.int64),
            "slot": np.arange(n, dtype=np.int64),
            "signature": sigs or [f"sig{i}" for i in range(n)],
            "ix_index": np.zeros(n, np.int32),
            "mint": mints,
            "venue": ["pumpfun"] * n,
            "trader": traders,
            "side": np.ones(n, np.int8),
            "sol_amount": np.arange(n, dtype=float) + 1,
            "token_amount": np.ones(n),
            "price": np.ones(n),
        }
    )


def test_write_partitions_by_date_sorts_and_dedupes(tmp_path):
    lake = Lake(tmp_path / "lake")
    t = _swaps([T0 + 3, T0 + 1, T0 + DAY + 2], ["A", "B", "A"], ["w1", "w2", "w1"])
    rep = lake.write("swaps", t, "test")
    assert rep.rows_added == 3 and len(rep.partitions) == 2
    again = lake.write("swaps", t, "test")
    assert again.rows_added == 0 and again.duplicates == 3
    ev = lake.load_events()
    assert list(ev["ts"]) == [T0 + 1, T0 + 3, T0 + DAY + 2]
    assert list(ev["mint"]) == [1, 0, 0]  # dense ids in first-seen order: A=0, B=1
    assert np.isnan(ev["vsol"]).all()
    assert validate_lake(lake) == []


def test_dictionary_ids_are_stable_across_writes(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", _swaps([T0], ["A"], ["w"], ["s1"]), "a")
    lake.write("swaps", _swaps([T0 + 1, T0 + 2], ["C", "A"], ["w", "x"], ["s2", "s3"]), "b")
    assert Lake(lake.root).dictionary("mints").to_pylist() == ["A", "C"]
    assert list(lake.load_events()["mint"]) == [0, 1, 0]


def test_info_reports_counts_and_is_json_contract(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", _swaps([T0, T0 + 1, T0 + 2], ["A", "B", "A"], ["w", "w", "x"]), "t")
    info = lake_info(lake)
    sw = info["tables"]["swaps"]
    assert sw["rows"] == 3 and sw["distinct_mints"] == 2 and sw["distinct_wallets"] == 2
    assert sw["time_range"]["start_ns"] == T0


def test_validate_detects_tampered_file(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", _swaps([T0], ["A"], ["w"]), "t")
    f = lake.files("swaps")[0]
    f.write_bytes(f.read_bytes() + b"x")
    assert any("hash" in p for p in validate_lake(lake))


def test_missing_lake_and_bad_columns_raise_named_errors(tmp_path):
    with pytest.raises(LakeError, match="no lake at"):
        Lake(tmp_path / "nope").require()
    bad = _swaps([T0], ["A"], ["w"]).drop_columns(["price"])
    with pytest.raises(LakeError, match="price"):
        Lake(tmp_path / "l").write("swaps", bad, "t")


def test_window_reads_only_requested_range(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", _swaps([T0, T0 + DAY, T0 + 2 * DAY], ["A"] * 3, ["w"] * 3), "t")
    ev = lake.load_events(start=T0 + DAY, end=T0 + 2 * DAY)
    assert list(ev["ts"]) == [T0 + DAY]


def test_parse_time_accepts_iso_and_epoch_units():
    assert parse_time("2023-11-14T22:13:20Z") == T0
    assert parse_time(1_700_000_000) == T0
    assert parse_time(1_700_000_000_000) == T0
    assert parse_time(str(T0)) == T0
