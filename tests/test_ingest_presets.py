"""Column-mapping presets on real vendor samples (../shared/data) and the Kaggle schema, and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from memelab.cli.main import app
from memelab.datasets import Lake
from memelab.datasets.ingest import ingest
from typer.testing import CliRunner

FLIPSIDE = "wallet_stats/johnnynftbank-flipside/solana.defi.fact_swaps_sample.csv"
BITQUERY = "schema_samples/bitquery/pumpfun_trades.json"


def utc_ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()) * 10**9


def test_flipside_sample_keeps_sol_legs_as_buys_and_sells_and_skips_token_pairs(
    shared_data, tmp_path
):
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [shared_data / FLIPSIDE]).files[0]
    assert rep.preset == "flipside"
    assert (rep.ingested, rep.quarantined) == (4, 0)
    assert rep.skipped == {"blank_line": 1, "no_sol_leg": 6}  # JUP/USDC etc. have no SOL leg
    rows = {r["trader"]: r for r in lake.read("swaps").to_pylist()}
    sell = rows["BerGz9jsBVEsVyNDy4TxYdz1LhN6HzxGCYJXbwqASq9e"]  # 3.934 EKpQ -> 0.0553 SOL
    assert sell["side"] == -1
    assert sell["mint"] == "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
    assert sell["sol_amount"] == 0.055252927 and sell["token_amount"] == 3.934
    assert sell["price"] == pytest.approx(0.055252927 / 3.934)
    assert sell["ts"] == utc_ns("2024-03-16 11:14:53")
    assert (sell["slot"], sell["ix_index"], sell["venue"]) == (254510467, 1, "phoenix")
    assert sell["signature"].startswith("3xrzRb4TkbMmocUAb1XQ8hcABr4MZdLprzK4C8cPZzsPZbzVhPk4")
    buy = rows["Hr7xkK9z7BLh8Wthr3vKT142mQnVszFKkXuoLGFLyY6h"]  # 6.003 SOL -> 432.463 EKpQ
    assert (buy["side"], buy["sol_amount"], buy["token_amount"]) == (1, 6.002991658, 432.463)
    assert ingest(lake, [shared_data / FLIPSIDE]).files[0].ingested == 0


def test_bitquery_pumpfun_sample_is_a_sell_by_the_token_owner(shared_data, tmp_path):
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [shared_data / BITQUERY]).files[0]
    assert (rep.preset, rep.ingested, rep.quarantined) == ("bitquery", 1, 0)
    (row,) = lake.read("swaps").to_pylist()
    assert row["side"] == -1  # the instruction is `sell`: tokens given, SOL received
    assert row["mint"] == "8W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepump"
    assert row["trader"] == "BwWK17cbHxwWBKZkUYvzxLcNQ1YVyaFezduWbtm2de6s"
    assert row["sol_amount"] == 0.039953751 and row["token_amount"] == 4140377.283519
    assert row["ts"] == 1767323643 * 10**9 and row["slot"] == 390740000
    assert (row["venue"], row["ix_index"]) == ("pumpfun", 3)
    assert row["price"] == pytest.approx(9.65e-9, rel=1e-3)  # Trade_Sell_Price says 9.6e-09


KAGGLE_COLUMNS = [
    "block_time", "slot", "tx_idx", "signing_wallet", "direction", "base_coin",
    "base_coin_amount", "quote_coin_amount", "virtual_token_balance_after",
    "virtual_sol_balance_after", "signature", "fees",
]  # fmt: skip
MINT = "8W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepump"
WALLET = "BwWK17cbHxwWBKZkUYvzxLcNQ1YVyaFezduWbtm2de6s"
SIG = "4GSdDL8CyXzGVDhqkMe81vWvA6qTMKcgQ63DWg6W9bHwHM7oDYVEM2AW2uVtWpfJPheKFyWxEZUUSHLMGY83qwd2"


def kaggle_file(path: Path, raw: bool) -> Path:
    sol, tok = (1e9, 1e6) if raw else (1.0, 1.0)
    trades = [  # (direction, tokens, sol, vtok_after, vsol_after, fee)
        ("buy", 35_739_582.031347, 1.0, 1_037_260_417.968653, 31.0, 0.01),
        ("sell", 10_000_000.0, 0.29, 1_047_260_417.968653, 30.71, 0.0029),
    ]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(KAGGLE_COLUMNS)
        for i, (d, t, s, vt, vs, f) in enumerate(trades):
            nums = [t * tok, s * sol, vt * tok, vs * sol, f * sol]
            if raw:
                nums = [round(x) for x in nums]
            bt, am, vt_, vs_, fee = nums
            w.writerow(
                [
                    f"2025-01-15T12:00:0{i}Z",
                    311_000_000 + i,
                    7,
                    WALLET,
                    d,
                    MINT,
                    bt,
                    am,
                    vt_,
                    vs_,
                    SIG,
                    fee,
                ]
            )
    return path


@pytest.mark.parametrize("raw", [True, False], ids=["lamports", "decimal"])
def test_kaggle_schema_in_raw_or_decimal_units_lands_in_sol_and_whole_tokens(tmp_path, raw):
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [kaggle_file(tmp_path / "chunk_0.csv", raw)]).files[0]
    assert (rep.preset, rep.ingested, rep.quarantined) == ("kaggle", 2, 0)
    assert rep.info["units"].startswith("raw" if raw else "decimal")
    rows = lake.read("swaps").sort_by("ts").to_pylist()
    assert [r["side"] for r in rows] == [1, -1]
    assert [r["ix_index"] for r in rows] == [0, 1]  # two trades of one transaction, both kept
    assert rows[0]["sol_amount"] == pytest.approx(1.0)
    assert rows[0]["token_amount"] == pytest.approx(35_739_582.031347)
    assert rows[0]["virtual_sol_reserves"] == pytest.approx(31.0)
    assert rows[0]["virtual_token_reserves"] == pytest.approx(1_037_260_417.968653)
    assert rows[0]["fee"] == pytest.approx(0.01)
    assert rows[1]["sol_amount"] == pytest.approx(0.29)
    assert rows[0]["venue"] == "pumpfun" and rows[0]["ts"] == utc_ns("2025-01-15T12:00:00")


def test_cli_ingest_prints_counts_and_quarantine_file_and_json(tmp_path):
    src = kaggle_file(tmp_path / "chunk.csv", raw=True)
    lines = src.read_text().splitlines()
    lines.append(lines[-1].replace(",sell,", ",dump,").replace("311000001", "311000002"))
    src.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    lake = str(tmp_path / "lake")
    out = runner.invoke(app, ["data", "ingest", str(src), "--lake", lake])
    assert out.exit_code == 0, out.output
    assert "ingested 2" in out.output and "quarantined 1" in out.output
    assert "side 1" in out.output and "_quarantine" in out.output
    out = runner.invoke(
        app, ["data", "ingest", str(src), "--lake", lake, "--map", "kaggle", "--json"]
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["total"]["ingested"] == 0 and doc["total"]["duplicates"] == 2
    assert doc["files"][0]["quarantine_reasons"] == {"side": 1}
    out = runner.invoke(app, ["data", "ingest", str(tmp_path / "missing.csv"), "--lake", lake])
    assert out.exit_code == 2 and "missing.csv: no such file" in out.output  # no traceback


def test_bitquery_graphql_answer_with_nested_objects_is_found_and_flattened(tmp_path):
    trade = {
        "Block": {"Time": "2026-01-02T03:14:03Z", "Slot": 390740000},
        "Transaction": {"Signature": SIG, "Signer": "Gygj9QQby4j2jryqyqBHvLP7ctv2SaANgh4sCb69BUpA"},
        "Instruction": {"Index": 3},
        "Trade": {
            "Dex": {"ProtocolName": "pump", "ProtocolFamily": "Pumpfun"},
            "Buy": {  # what the trader received: SOL, so this is a sell of MINT
                "Amount": "0.039953751",
                "Account": {"Address": WALLET, "Token": {"Owner": ""}},
                "Currency": {"MintAddress": "11111111111111111111111111111111"},
            },
            "Sell": {
                "Amount": "4140377.283519",
                "Account": {
                    "Address": "34TeFhYCtB1qL7WK8BVSUppFgBPc2GZ7dzyb3vwH6RSi",
                    "Token": {"Owner": WALLET},
                },  # fmt: skip
                "Currency": {"MintAddress": MINT},
            },
        },
    }
    src = tmp_path / "answer.json"
    src.write_text(json.dumps({"data": {"Solana": {"DEXTrades": [trade]}}}, indent=2))
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src]).files[0]
    assert (rep.preset, rep.ingested) == ("bitquery", 1)
    (row,) = lake.read("swaps").to_pylist()
    assert (row["side"], row["trader"], row["mint"]) == (-1, WALLET, MINT)
    assert (row["sol_amount"], row["token_amount"]) == (0.039953751, 4140377.283519)
    assert row["ts"] == 1767323643 * 10**9


def test_jsonl_whose_first_line_is_broken_is_still_read_line_by_line(tmp_path):
    src = tmp_path / "trades.jsonl"
    kaggle = kaggle_file(tmp_path / "k.csv", raw=False)
    with open(kaggle) as fh:
        records = list(csv.DictReader(fh))
    src.write_text('{"block_time": \n' + "\n".join(json.dumps(r) for r in records) + "\n")
    rep = ingest(Lake(tmp_path / "lake"), [src]).files[0]
    assert (rep.preset, rep.rows_read, rep.ingested, rep.quarantined) == ("kaggle", 3, 2, 1)
