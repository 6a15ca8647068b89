"""Feed adapters (PumpPortal, logsSubscribe, Substreams) and the Solana ingest readers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest
from memelab.datasets.ingest import ingest
from memelab.datasets.lake import Lake
from memelab.datasets.solana.feeds import (
    MalformedMessage,
    logs_notification_rows,
    pumpportal_rows,
    substreams_rows,
)
from memelab.datasets.solana.parse import parse_transaction
from memelab.datasets.solana.programs import VENUE_OF_PROGRAM, WSOL
from solana_tx_helpers import FIXTURES, load, result

# Two real PumpPortal messages (../shared/data/api_examples/pumpportal): a create with its dev
# buy, then the next buy on the same curve.
CREATE = {
    "bondingCurveKey": "43qMNRPVo1oB8XYc9YZRuN9fKYSn782X5TnreNKWgS5b",
    "initialBuy": 59141732.283464,
    "marketCapSol": 31.316014290152186,
    "mint": "FNzXkQwLWzRm6Z1jJT9gnVH2pHiKiYLw3Ry1btY5KvLU",
    "signature": "4mcbFv4WTEPqbqXF5hN1WksNkzw8H97Y9vhCpv1EeG1Dcj3UMkg26CLNktbQk8J5o53S8ArZGaJTuZukK5aWWQg3",
    "traderPublicKey": "9HkFiXkZgp3fAwNVKDwabLKSvfJExJVDoUpR4Meo7XD7",
    "txType": "create",
    "vSolInBondingCurve": 31.749999999999982,
    "vTokensInBondingCurve": 1013858267.716536,
}
BUY = {
    "bondingCurveKey": "43qMNRPVo1oB8XYc9YZRuN9fKYSn782X5TnreNKWgS5b",
    "marketCapSol": 32.712100031065454,
    "mint": "FNzXkQwLWzRm6Z1jJT9gnVH2pHiKiYLw3Ry1btY5KvLU",
    "newTokenBalance": 21870594.372929,
    "signature": "4dyCV1zNQpCPPrKoK5dSH6JEU74j34hrV6VvfhFUVndvZaCJm6nxhRBdPvgVne7PvqTHbquUbvSyMuqDPft1xyhb",
    "tokenAmount": 21870594.372929,
    "traderPublicKey": "7t3Rn6w9ou2kS1cyZjW28G4wkb6N3arLPsqGVogkyQBD",
    "txType": "buy",
    "vSolInBondingCurve": 32.44999999999995,
    "vTokensInBondingCurve": 991987673.343607,
}
T0 = 1_700_000_000 * 10**9


def test_pumpportal_buy_recovers_sol_from_the_curve_invariant() -> None:
    (row,), launches = pumpportal_rows(BUY, received_ts=T0)
    assert launches == []
    assert (row["side"], row["venue"], row["trader"]) == (1, "pumpfun", BUY["traderPublicKey"])
    assert row["token_amount"] == 21870594.372929 and row["ts"] == T0
    # the curve went from the create's 31.75 SOL to 32.45 SOL: 0.70 SOL in
    assert row["sol_amount"] == pytest.approx(32.45 - 31.75, abs=1e-9)
    assert (row["virtual_sol_reserves"], row["virtual_token_reserves"]) == (
        32.44999999999995,
        991987673.343607,
    )
    assert row["price"] == pytest.approx(row["sol_amount"] / row["token_amount"])


def test_pumpportal_create_gives_a_launch_and_the_dev_buy_from_30_sol() -> None:
    (row,), (launch,) = pumpportal_rows(CREATE, received_ts=T0)
    assert launch["mint"] == CREATE["mint"] and launch["creator"] == CREATE["traderPublicKey"]
    assert launch["created_ts"] == T0 and launch["supply"] == 1e9
    assert row["side"] == 1 and row["token_amount"] == 59141732.283464
    assert row["sol_amount"] == pytest.approx(31.75 - 30.0, abs=1e-9)  # a fresh curve holds 30


def test_pumpportal_sell_and_recorded_timestamp() -> None:
    sell = {**BUY, "txType": "sell", "timestamp": 1_700_000_123_456}  # ms, as recorded
    (row,), _ = pumpportal_rows(sell)
    assert row["side"] == -1 and row["ts"] == 1_700_000_123_456 * 10**6
    vs, vt, t = BUY["vSolInBondingCurve"], BUY["vTokensInBondingCurve"], BUY["tokenAmount"]
    assert row["sol_amount"] == pytest.approx(vs * vt / (vt - t) - vs)


@pytest.mark.parametrize(
    ("msg", "field"),
    [
        ({**BUY, "vSolInBondingCurve": -1}, "vSolInBondingCurve"),
        ({**BUY, "txType": "swap"}, "txType"),
        ({k: v for k, v in BUY.items() if k != "mint"}, "mint"),
        ({**BUY, "tokenAmount": "lots"}, "tokenAmount"),
    ],
)
def test_malformed_pumpportal_message_names_its_field(msg: dict, field: str) -> None:
    with pytest.raises(MalformedMessage, match=field):
        pumpportal_rows(msg, received_ts=T0)


def test_pumpportal_message_without_any_time_is_refused() -> None:
    with pytest.raises(MalformedMessage, match="timestamp"):
        pumpportal_rows(BUY)
    assert pumpportal_rows({"message": "Successfully subscribed to keys."}) == ([], [])


@pytest.mark.parametrize("name", ["pumpfun_buy_rpc.json", "pumpfun_sell_rpc.json"])
def test_logs_subscribe_notification_gives_the_transactions_trade(name: str) -> None:
    doc = load(FIXTURES / name)
    r = result(doc)
    note = {
        "jsonrpc": "2.0",
        "method": "logsNotification",
        "params": {
            "result": {
                "context": {"slot": r["slot"]},
                "value": {
                    "signature": r["transaction"]["signatures"][0],
                    "err": None,
                    "logs": r["meta"]["logMessages"],
                },
            },
            "subscription": 1,
        },
    }
    (row,) = logs_notification_rows(note).swaps
    (full,) = parse_transaction(doc).swaps
    assert row == full  # same event, same instruction index, the event's clock = block time


def test_logs_notification_without_logs_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="logs"):
        logs_notification_rows({"params": {"result": {"value": {"signature": "x"}}}})


SUBSTREAMS = "trades/substreams_block/trades_block_355327313.json"


def test_substreams_block_87_swaps_side_from_signed_amounts(shared_data: Path) -> None:
    doc = json.loads((shared_data / SUBSTREAMS).read_text())
    trades = doc["@data"]["data"]
    rows, bad, skipped = substreams_rows(doc)
    assert len(trades) == len(rows) == 87 and bad == [] and not skipped
    for t, row in zip(trades, rows, strict=True):
        sol = t["quoteAmount"] if t["quoteMint"] == WSOL else t["baseAmount"]
        tok = t["baseAmount"] if t["quoteMint"] == WSOL else t["quoteAmount"]
        assert row["side"] == (1 if sol > 0 else -1)  # the pool gained SOL: a buy
        assert (row["sol_amount"], row["token_amount"]) == (abs(sol), abs(tok))
        assert row["signature"] == t["txId"] and row["trader"] == t["signer"]
        assert row["ts"] == 1753320324 * 10**9 and row["slot"] == 355327313
    expected = Counter(
        VENUE_OF_PROGRAM.get(t.get("innerProgram") or t["outerProgram"], "other") for t in trades
    )
    assert Counter(r["venue"] for r in rows) == expected
    assert expected == {"pumpswap": 57, "raydium": 23, "launchlab": 4, "meteora": 3}
    assert len({(r["signature"], r["ix_index"]) for r in rows}) == 87  # unique lake keys


def test_substreams_ingest_writes_87_swaps_and_reingest_adds_nothing(
    shared_data: Path, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [shared_data / SUBSTREAMS], format="substreams")
    assert rep.totals["ingested"] == 87 and rep.totals["quarantined"] == 0
    venues = lake.sql("select venue, count(*) n from swaps group by venue order by venue")
    assert dict(zip(venues["venue"], venues["n"], strict=True)) == {
        "launchlab": 4,
        "meteora": 3,
        "pumpswap": 57,
        "raydium": 23,
    }
    again = ingest(lake, [shared_data / SUBSTREAMS], format="substreams")
    assert again.totals["ingested"] == 0 and again.totals["duplicates"] == 87


def test_substreams_trade_with_same_sign_amounts_is_quarantined() -> None:
    trade = {
        "baseMint": CREATE["mint"],
        "quoteMint": WSOL,
        "baseAmount": 1.0,
        "quoteAmount": 2.0,
        "txId": CREATE["signature"],
        "signer": CREATE["traderPublicKey"],
        "outerProgram": "p",
        "blockTime": "1",
        "blockSlot": "2",
    }
    rows, bad, _ = substreams_rows({"@data": {"data": [trade]}})
    assert rows == [] and bad[0]["row"] == 1 and "not a swap" in bad[0]["reason"]


def _jsonl(path: Path, docs: list) -> Path:
    path.write_text("\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs) + "\n")
    return path


def test_rpc_json_ingest_quarantines_bad_lines_and_is_idempotent(tmp_path: Path) -> None:
    docs = [load(FIXTURES / n) for n in ("pumpfun_buy_rpc.json", "pumpfun_create_rpc.json")]
    broken = json.loads(json.dumps(docs[0]))
    broken["result"]["meta"] = None
    src = _jsonl(tmp_path / "txs.jsonl", [*docs, "{not json", broken])
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src], format="rpc-json")
    f = rep.files[0]
    assert (f.ingested, f.launches_ingested, f.quarantined) == (2, 1, 2)
    lines = [json.loads(x) for x in Path(f.quarantine_file).read_text().splitlines()]
    assert [q["row"] for q in lines] == [3, 4]
    assert "does not parse" in lines[0]["reason"] and "meta is missing" in lines[1]["reason"]
    assert f.skipped["unknown_program"] == 3
    again = ingest(lake, [src], format="rpc-json").files[0]
    assert again.ingested == 0 and again.duplicates == 2
    swaps = lake.read("swaps")
    assert sorted(swaps.column("mint").to_pylist()) == [
        "5dNYcCZXEGfGgbdUdq7MMR7KLsNJLLLgL83wLH8Fpump",
        "9Tpa8ewVT3JaZgiSKoTHjcJj6NGRyF4bJT8CyXpxpump",
    ]
    assert pc.sum(swaps.column("sol_amount")).as_py() == pytest.approx(1.689364052)


def test_geyser_ingest_of_a_json_array(tmp_path: Path) -> None:
    src = tmp_path / "geyser.json"
    src.write_text(json.dumps([load(FIXTURES / "pumpfun_buy_geyser.json")]))
    rep = ingest(Lake(tmp_path / "lake"), [src], format="geyser")
    assert rep.totals["ingested"] == 1


def test_a_json_array_streams_element_by_element_and_a_broken_element_ends_it_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memelab.datasets.solana import documents

    monkeypatch.setattr(documents, "CHUNK_CHARS", 997)  # elements straddle many reads
    txs = [load(FIXTURES / n) for n in ("pumpfun_buy_rpc.json", "pumpfun_sell_rpc.json")]
    src = tmp_path / "txs.json"
    src.write_text("[\n" + ",\n".join([json.dumps(txs[0]), "12", json.dumps(txs[1])]) + "\n]")
    got = list(documents.iter_documents(src))
    assert [(row, error) for row, _, error in got] == [(1, None), (2, None), (3, None)]
    assert got[0][1] == txs[0] and got[1][1] == 12 and got[2][1] == txs[1]
    src.write_text("[" + json.dumps(txs[0]) + ", {broken, " + json.dumps(txs[1]) + "]")
    got = list(documents.iter_documents(src))
    assert got[0] == (1, txs[0], None)
    assert got[1][0] == 2 and "jq -c" in got[1][2] and len(got) == 2
    rep = ingest(Lake(tmp_path / "lake"), [src], format="rpc-json").files[0]
    assert (rep.rows_read, rep.ingested, rep.quarantined) == (2, 1, 1)


def test_pumpportal_ingest_quarantines_messages_without_time(
    shared_data: Path, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    path = shared_data / "api_examples/pumpportal/pumpportal_ws_messages_from_readme.jsonl"
    rep = ingest(lake, [path], format="pumpportal").files[0]
    assert rep.ingested == 0 and rep.quarantined == 8  # the README's messages carry no time
    recorded = [
        {**json.loads(x), "received_ts": T0 + i}
        for i, x in enumerate(path.read_text().splitlines())
    ]
    rep = ingest(lake, [_jsonl(tmp_path / "rec.jsonl", recorded)], format="pumpportal").files[0]
    assert rep.quarantined == 0 and rep.launches_ingested == 6
    assert rep.ingested == 7  # 5 dev buys (one create bought nothing) + 1 buy + 1 sell


def test_getblock_result_supplies_its_block_time_to_its_transactions(tmp_path: Path) -> None:
    from memelab.datasets.importers.solana import read_transactions

    ray = result(load(FIXTURES / "raydium_amm_v4_rpc.json"))
    entry = {k: ray[k] for k in ("meta", "transaction", "version")}  # as getBlock embeds it
    block = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"blockTime": 1735623501, "transactions": [entry]},
    }
    src = tmp_path / "block.json"
    src.write_text(json.dumps(block))
    (res,) = list(read_transactions(src))
    assert res.quarantined == [] and res.swaps.column("ts").to_pylist() == [1735623501 * 10**9]
    assert res.swaps.column("slot").to_pylist() == [-1]  # getBlock entries do not repeat the slot


def test_json_lines_with_a_broken_first_line_still_ingest_the_rest(tmp_path: Path) -> None:
    from memelab.datasets.importers.solana import read_transactions

    good = json.dumps(load(FIXTURES / "pumpfun_sell_rpc.json"))
    src = tmp_path / "txs.jsonl"
    src.write_text('{"truncated": \n' + good + "\n")
    (res,) = list(read_transactions(src))
    assert res.swaps.num_rows == 1
    assert [q["row"] for q in res.quarantined] == [1] and "does not parse" in res.quarantined[0][
        "reason"
    ]


def test_message_rows_dispatches_every_feed_kind_to_its_adapter() -> None:
    from memelab.datasets.solana.feeds import message_rows

    assert message_rows("pumpportal", BUY, received_ts=T0).swaps == pumpportal_rows(BUY, T0)[0]
    geyser = load(FIXTURES / "raydium_amm_v4_geyser.json")
    rpc = parse_transaction(load(FIXTURES / "raydium_amm_v4_rpc.json")).swaps
    assert message_rows("geyser", geyser, received_ts=1735623500 * 10**9).swaps == rpc
    with pytest.raises(ValueError, match="unknown feed kind"):
        message_rows("telegram", {})
