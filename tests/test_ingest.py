"""Ingest machinery: quarantine, idempotence, formats, streaming, errors, the reader contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from memelab.datasets import Lake
from memelab.datasets.importers import tabular
from memelab.datasets.ingest import (
    READERS,
    IngestError,
    ParseResult,
    detect_format,
    ingest,
    register_reader,
)
from solders.pubkey import Pubkey
from solders.signature import Signature

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
COLUMNS = ["ts", "slot", "signature", "mint", "trader", "side", "sol_amount", "token_amount"]


def addr(i: int) -> str:
    return str(Pubkey(bytes([i % 251 + 1]) * 32))


def sig(i: int) -> str:
    return str(Signature(i.to_bytes(8, "little") * 8))


def good_rows(n: int) -> list[dict]:
    return [
        {
            "ts": T0 + i,
            "slot": 250_000_000 + i,
            "signature": sig(i),
            "mint": addr(i % 7),
            "trader": addr(100 + i % 13),
            "side": "buy" if i % 3 else "sell",
            "sol_amount": 0.01 * (i + 1),
            "token_amount": 1000.0 + i,
        }
        for i in range(n)
    ]


def write_csv(path: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def quarantine_lines(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_thousand_rows_with_three_bad_ones_ingest_997_quarantine_3_and_reingest_adds_nothing(
    tmp_path,
):
    rows = good_rows(1000)
    rows[16]["side"] = "hold"  # data row 17
    rows[499]["sol_amount"] = "12,x"  # data row 500
    rows[998]["mint"] = "0OIl" + addr(3)[4:]  # data row 999: 0, O, I, l are not base58
    src = write_csv(tmp_path / "trades.csv", rows)
    lake = Lake(tmp_path / "lake")

    first = ingest(lake, [src]).files[0]

    assert (first.rows_read, first.ingested, first.duplicates, first.quarantined) == (
        1000,
        997,
        0,
        3,
    )
    assert first.preset == "generic" and first.format == "csv"
    assert first.quarantine_reasons == {"mint": 1, "side": 1, "sol_amount": 1}
    records = quarantine_lines(first.quarantine_file)
    assert [r["row"] for r in records] == [17, 500, 999]
    assert records[0]["reason"] == "side: unknown side 'hold'"
    assert records[1]["reason"] == "sol_amount: not a number '12,x'"
    assert records[2]["reason"].startswith("mint: not a base58 address '0OIl")
    assert records[0]["raw"]["signature"] == sig(16)
    assert lake.read("swaps").num_rows == 997

    second = ingest(lake, [src]).files[0]
    assert (second.ingested, second.duplicates, second.quarantined) == (0, 997, 3)
    assert lake.read("swaps").num_rows == 997
    assert second.quarantine_file == first.quarantine_file  # same refused rows, same file


def test_generic_values_land_in_canonical_units_with_price_derived(tmp_path):
    rows = good_rows(3)
    rows[0]["side"] = "B"
    rows[1]["side"] = "-1"
    rows[2]["side"] = "Sell"
    src = write_csv(tmp_path / "t.csv", rows)
    lake = Lake(tmp_path / "lake")
    ingest(lake, [src])
    t = lake.read("swaps").sort_by("ts").to_pydict()
    assert t["ts"] == [(T0 + i) * 10**9 for i in range(3)]
    assert t["side"] == [1, -1, -1]
    assert t["mint"] == [addr(0), addr(1), addr(2)]
    assert t["venue"] == ["other"] * 3
    assert t["price"] == pytest.approx([0.01 / 1000, 0.02 / 1001, 0.03 / 1002])
    assert np.isnan(t["virtual_sol_reserves"]).all() and np.isnan(t["fee"]).all()


def test_optional_columns_are_kept_and_bad_optional_values_quarantined(tmp_path):
    cols = [*COLUMNS, "venue", "price", "virtual_sol_reserves", "virtual_token_reserves", "fee"]
    rows = good_rows(3)
    for r in rows:
        r.update(venue="Pump.fun", price=2e-8, virtual_sol_reserves=31.5,
                 virtual_token_reserves=1.02e9, fee=0.0001)  # fmt: skip
    rows[2]["fee"] = "-0.5"
    src = write_csv(tmp_path / "t.csv", rows, cols)
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src]).files[0]
    assert (rep.ingested, rep.quarantined) == (2, 1)
    assert quarantine_lines(rep.quarantine_file)[0]["reason"] == "fee: must be >= 0 '-0.5'"
    t = lake.read("swaps").to_pydict()
    assert t["venue"] == ["pumpfun", "pumpfun"]
    assert t["price"] == [2e-8, 2e-8]
    assert t["virtual_sol_reserves"] == [31.5, 31.5]
    assert t["fee"] == [0.0001, 0.0001]


def test_two_swaps_of_one_transaction_without_ix_index_are_both_kept(tmp_path):
    rows = good_rows(3)
    rows[1]["signature"] = rows[0]["signature"]
    src = write_csv(tmp_path / "t.csv", rows)
    lake = Lake(tmp_path / "lake")
    assert ingest(lake, [src]).files[0].ingested == 3
    t = lake.read("swaps").sort_by("ts").to_pydict()
    assert t["ix_index"] == [0, 1, 0]
    assert ingest(lake, [src]).files[0].ingested == 0


def test_every_problem_of_a_row_is_named_with_its_field(tmp_path):
    rows = good_rows(2)
    rows[1].update(ts="yesterday", slot="1.5", signature="", trader="abc", token_amount="0")
    src = write_csv(tmp_path / "t.csv", rows)
    rep = ingest(Lake(tmp_path / "lake"), [src]).files[0]
    (rec,) = quarantine_lines(rep.quarantine_file)
    assert rec["row"] == 2
    assert rec["reason"] == (
        "ts: not a timestamp 'yesterday'; slot: not a slot number '1.5'; signature: missing; "
        "trader: not a base58 address 'abc'; token_amount: must be > 0 '0'"
    )


def test_malformed_csv_line_is_quarantined_and_later_rows_keep_their_numbers(tmp_path):
    src = write_csv(tmp_path / "t.csv", good_rows(4))
    lines = src.read_text().splitlines()
    lines.insert(2, "only,three,fields")  # becomes data row 2
    src.write_text("\n".join(lines) + "\n")
    rows = good_rows(4)
    rows[2]["side"] = "?"
    lines2 = write_csv(tmp_path / "u.csv", rows).read_text().splitlines()
    lines2.insert(2, "only,three,fields")
    (tmp_path / "u.csv").write_text("\n".join(lines2) + "\n")
    rep = ingest(Lake(tmp_path / "lake"), [tmp_path / "u.csv"]).files[0]
    assert (rep.rows_read, rep.ingested, rep.quarantined) == (5, 3, 2)
    records = quarantine_lines(rep.quarantine_file)
    assert [r["row"] for r in records] == [2, 4]
    assert records[0]["reason"] == "csv: expected 8 columns, got 3"
    assert records[1]["reason"] == "side: unknown side '?'"


def test_csv_streams_in_batches_with_file_row_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "CSV_BLOCK_BYTES", 4096)  # ~20 rows per block
    monkeypatch.setattr(tabular, "CSV_BATCH_ROWS", 30)  # two blocks per batch
    rows = good_rows(300)
    rows[250]["side"] = "x"
    src = write_csv(tmp_path / "t.csv", rows)
    calls = []
    rep = ingest(Lake(tmp_path / "lake"), [src], on_progress=lambda p, n: calls.append(n)).files[0]
    assert len(calls) > 5 and calls[-1] == 300  # many batches, progress counts rows
    assert (rep.ingested, rep.quarantined) == (299, 1)
    assert quarantine_lines(rep.quarantine_file)[0]["row"] == 251


def test_jsonl_with_broken_lines_quarantines_them_by_line(tmp_path):
    rows = good_rows(3)
    lines = [json.dumps(r) for r in rows]
    lines.insert(1, "{not json")
    lines.insert(3, "[1, 2]")
    src = tmp_path / "t.jsonl"
    src.write_text("\n".join(lines) + "\n")
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src]).files[0]
    assert (rep.format, rep.rows_read, rep.ingested, rep.quarantined) == ("jsonl", 5, 3, 2)
    records = quarantine_lines(rep.quarantine_file)
    assert [r["row"] for r in records] == [2, 4]
    assert (
        records[0]["reason"].startswith("json: ") and records[1]["reason"] == "json: not an object"
    )
    assert sorted(lake.read("swaps").column("sol_amount").to_pylist()) == [0.01, 0.02, 0.03]


def test_json_document_with_nested_records_is_flattened(tmp_path):
    rows = good_rows(2)
    nested = [{"trade": {"mint": r.pop("mint"), "trader": r.pop("trader")}, **r} for r in rows]
    for n in nested:  # the generic preset wants canonical names: map trade_* -> canonical
        n["mint"], n["trader"] = n["trade"]["mint"], n["trade"]["trader"]
    src = tmp_path / "t.json"
    src.write_text(json.dumps({"data": nested}))
    rep = ingest(Lake(tmp_path / "lake"), [src]).files[0]
    assert (rep.ingested, rep.quarantined) == (2, 0)


def test_parquet_typed_columns_stream_by_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "PARQUET_BATCH_ROWS", 7)
    rows = good_rows(20)
    table = pa.table(
        {
            "ts": pa.array([(T0 + i) * 1000 for i in range(20)], pa.timestamp("ms", tz="UTC")),
            "slot": pa.array([r["slot"] for r in rows], pa.int64()),
            "signature": [r["signature"] for r in rows],
            "mint": [r["mint"] for r in rows],
            "trader": [r["trader"] for r in rows],
            "side": pa.array([1 if r["side"] == "buy" else -1 for r in rows], pa.int8()),
            "sol_amount": [r["sol_amount"] for r in rows],
            "token_amount": [r["token_amount"] if i != 15 else -1.0 for i, r in enumerate(rows)],
            "ix_index": pa.array([2] * 20, pa.int32()),
        }
    )
    src = tmp_path / "t.parquet"
    pq.write_table(table, src)
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src]).files[0]
    assert (rep.format, rep.ingested, rep.quarantined) == ("parquet", 19, 1)
    assert quarantine_lines(rep.quarantine_file)[0]["row"] == 16
    got = lake.read("swaps").sort_by("ts").to_pydict()
    assert got["ts"][0] == T0 * 10**9 and got["ix_index"] == [2] * 19


def test_missing_file_is_named_and_nothing_is_written(tmp_path):
    good = write_csv(tmp_path / "t.csv", good_rows(2))
    with pytest.raises(IngestError, match=r"nope\.csv: no such file"):
        ingest(Lake(tmp_path / "lake"), [good, tmp_path / "nope.csv"])
    assert not (tmp_path / "lake").exists()


def test_wrong_schema_names_the_missing_column(tmp_path):
    cols = [c for c in COLUMNS if c != "mint"]
    src = write_csv(tmp_path / "t.csv", good_rows(2), cols)
    with pytest.raises(IngestError, match=r"t\.csv: preset 'generic' needs column\(s\) \['mint'\]"):
        ingest(Lake(tmp_path / "lake"), [src], preset="generic")
    with pytest.raises(IngestError, match=r"t\.csv: columns match no preset.*\['mint'\]"):
        ingest(Lake(tmp_path / "lake"), [src])


def test_unknown_format_preset_and_extension_are_clear_errors(tmp_path):
    src = write_csv(tmp_path / "t.txt", good_rows(2))
    with pytest.raises(IngestError, match=r"t\.txt: cannot tell the format.*--format"):
        ingest(Lake(tmp_path / "lake"), [src])
    with pytest.raises(IngestError, match="unknown format 'xls'"):
        ingest(Lake(tmp_path / "lake"), [src], format="xls")
    with pytest.raises(IngestError, match="unknown preset 'nasdaq'"):
        ingest(Lake(tmp_path / "lake"), [src], format="csv", preset="nasdaq")
    assert ingest(Lake(tmp_path / "lake"), [src], format="csv").files[0].ingested == 2


def test_format_is_detected_from_the_file_ending():
    assert detect_format(Path("a.CSV")) == "csv"
    assert detect_format(Path("a.csv.gz")) == "csv"
    assert detect_format(Path("a.ndjson")) == "jsonl"
    assert detect_format(Path("a.parquet")) == "parquet"


def test_a_registered_reader_plugs_in_with_launches_and_skips(tmp_path):
    """The contract other importers (RPC, geyser, PumpPortal) implement."""
    rows = good_rows(2)

    def reader(path: Path, preset: str | None) -> ParseResult:
        swaps = pa.table(
            {
                "ts": pa.array([(T0 + i) * 10**9 for i in range(2)], pa.int64()),
                "slot": pa.array([1, 2], pa.int64()),
                "signature": [r["signature"] for r in rows],
                "ix_index": pa.array([0, 0], pa.int32()),
                "mint": [r["mint"] for r in rows],
                "venue": ["pumpfun"] * 2,
                "trader": [r["trader"] for r in rows],
                "side": pa.array([1, -1], pa.int8()),
                "sol_amount": [1.0, 2.0],
                "token_amount": [10.0, 20.0],
                "price": [0.1, 0.1],
            }
        )
        launches = pa.table(
            {"mint": [rows[0]["mint"]], "created_ts": pa.array([T0 * 10**9], pa.int64())}
        )
        return ParseResult(
            swaps=swaps,
            launches=launches,
            quarantined=[{"row": 3, "reason": "tx: truncated log", "raw": "..."}],
            skipped={"unknown_program": 4},
        )

    register_reader("test-feed", reader)
    try:
        src = tmp_path / "feed.bin"
        src.write_bytes(b"x")
        lake = Lake(tmp_path / "lake")
        rep = ingest(lake, [src], format="test-feed").files[0]
    finally:
        READERS.pop("test-feed")
    assert (rep.rows_read, rep.ingested, rep.quarantined, rep.launches_ingested) == (7, 2, 1, 1)
    assert rep.skipped == {"unknown_program": 4}
    assert rep.quarantine_reasons == {"tx": 1}
    assert lake.read("launches").column("mint").to_pylist() == [rows[0]["mint"]]


def test_a_reader_failing_midway_leaves_no_partial_quarantine_file(tmp_path):
    def reader(path: Path, preset: str | None):
        yield ParseResult(
            swaps=pa.table({}), quarantined=[{"row": 1, "reason": "x: bad", "raw": None}]
        )
        raise IngestError(f"{path}: truncated at byte 10")

    register_reader("test-broken", reader)
    try:
        src = tmp_path / "f.bin"
        src.write_bytes(b"x")
        with pytest.raises(IngestError, match="truncated"):
            ingest(Lake(tmp_path / "lake"), [src], format="test-broken")
    finally:
        READERS.pop("test-broken")
    assert list((tmp_path / "lake" / "_quarantine").iterdir()) == []


def test_liquidity_events_round_trip_with_price_from_reserves(tmp_path):
    """A lake's own swaps (side 0 = pool created / migrated / rugged) can be re-imported."""
    rows = good_rows(3)
    cols = [*COLUMNS, "virtual_sol_reserves", "virtual_token_reserves"]
    rows[0].update(side=0, sol_amount=0, token_amount=0, virtual_sol_reserves=30.0,
                   virtual_token_reserves=1.073e9)  # fmt: skip
    rows[1].update(side="liquidity", sol_amount=0, token_amount=0)  # no reserves, no price
    src = write_csv(tmp_path / "t.csv", rows, cols)
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src]).files[0]
    assert (rep.ingested, rep.quarantined) == (2, 1)
    (rec,) = quarantine_lines(rep.quarantine_file)
    assert (rec["row"], rec["reason"]) == (
        2,
        "price: missing for a liquidity event without reserves",
    )
    t = lake.read("swaps").sort_by("ts").to_pydict()
    assert t["side"] == [0, 1]
    assert t["price"][0] == pytest.approx(30.0 / 1.073e9)


def test_a_synthetic_lake_exported_to_parquet_reimports_bit_for_bit(tmp_path):
    from memelab.datasets.synth import synthesize

    src = synthesize(tmp_path / "src", tokens=6, wallets=60, days=1, seed=3)
    swaps = src.read("swaps")
    pq.write_table(swaps, tmp_path / "export.parquet")
    rep = ingest(tmp_path / "dst", [tmp_path / "export.parquet"]).files[0]
    assert (rep.preset, rep.ingested, rep.quarantined) == ("generic", swaps.num_rows, 0)
    cols = [c for c in swaps.column_names if c not in ("mint_id", "trader_id", "date")]
    key = [("signature", "ascending"), ("ix_index", "ascending")]
    again = Lake(tmp_path / "dst").read("swaps").select(cols).sort_by(key)
    assert again.equals(swaps.select(cols).sort_by(key))


def test_parquet_string_encodings_and_column_case_do_not_matter(tmp_path):
    rows = good_rows(4)
    table = pa.table(
        {
            "TS": pa.array([(T0 + i) * 1000 for i in range(4)], pa.int64()),  # epoch ms
            "Slot": [r["slot"] for r in rows],
            "signature": pa.array([r["signature"] for r in rows], pa.large_string()),
            "mint": pa.array([r["mint"] for r in rows]).dictionary_encode(),
            "trader": pa.array([r["trader"] for r in rows], pa.string_view()),
            "SIDE": pa.array([r["side"] for r in rows]).dictionary_encode(),
            "sol_amount": pa.array([r["sol_amount"] for r in rows], pa.float32()),
            "token_amount": pa.array([str(r["token_amount"]) for r in rows], pa.large_string()),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    lake = Lake(tmp_path / "lake")
    assert ingest(lake, [tmp_path / "t.parquet"]).files[0].ingested == 4
    got = lake.read("swaps").sort_by("ts").to_pydict()
    assert got["ts"] == [(T0 + i) * 10**9 for i in range(4)]
    assert got["side"] == [-1, 1, 1, -1]
    assert got["trader"] == [r["trader"] for r in rows]
    assert got["token_amount"] == [1000.0, 1001.0, 1002.0, 1003.0]


def test_an_importer_that_failed_to_import_is_named_when_its_format_is_missing(
    tmp_path, monkeypatch
):
    from memelab.datasets import ingest as ingest_module

    monkeypatch.setitem(
        ingest_module.IMPORT_FAILURES, "memelab.datasets.importers.x", "ImportError: no module y"
    )
    src = write_csv(tmp_path / "t.csv", good_rows(1))
    with pytest.raises(
        IngestError, match=r"unknown format 'x-feed'.*importers\.x failed to import"
    ):
        ingest(Lake(tmp_path / "lake"), [src], format="x-feed")


def test_gzipped_csv_reads_like_the_plain_file(tmp_path):
    import gzip

    rows = good_rows(5)
    rows[3]["side"] = "?"
    plain = write_csv(tmp_path / "t.csv", rows)
    gz = tmp_path / "t2.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    rep = ingest(Lake(tmp_path / "lake"), [gz]).files[0]
    assert (rep.format, rep.ingested, rep.quarantined) == ("csv", 4, 1)
    assert quarantine_lines(rep.quarantine_file)[0]["row"] == 4


def test_a_folder_stands_for_its_files_in_name_order(tmp_path):
    folder = tmp_path / "chunks"
    folder.mkdir()
    write_csv(folder / "chunk_1.csv", good_rows(4)[2:])
    write_csv(folder / "chunk_0.csv", good_rows(2))
    (folder / "README.txt").write_text("not data")
    report = ingest(Lake(tmp_path / "lake"), [folder])
    assert [Path(f.path).name for f in report.files] == ["chunk_0.csv", "chunk_1.csv"]
    assert report.totals["ingested"] == 4
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="empty: folder holds no importable files"):
        ingest(Lake(tmp_path / "lake"), [tmp_path / "empty"])
