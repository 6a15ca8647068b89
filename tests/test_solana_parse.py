"""pump.fun / PumpSwap / Raydium transactions decode to the values a person reads in them.

Expected numbers were read off the transactions (event fields, balance changes) and are checked
against the balance changes in each transaction's meta, independently of the parser.
"""

from __future__ import annotations

import base64
import copy
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from memelab.datasets.solana import idl
from memelab.datasets.solana.parse import parse_transaction
from memelab.datasets.solana.programs import b58decode
from memelab.datasets.solana.tx import MalformedTransaction
from solana_tx_helpers import FIXTURES, lamport_delta, load, result, token_deltas

K_PUMP = 30.0 * 1_073_000_000.0  # SOL x tokens of a fresh pump.fun curve


def _one_swap(doc: dict[str, Any], **kw: Any) -> dict[str, Any]:
    parsed = parse_transaction(doc, **kw)
    assert len(parsed.swaps) == 1
    return parsed.swaps[0]


def _curve_checks(
    doc: dict[str, Any], row: dict[str, Any], minted: int = 0, created_bytes: int | None = None
) -> None:
    """The curve's lamports and the trader's tokens moved by exactly the decoded amounts.

    At create, ``minted`` base units are minted to the curve and the curve account of
    ``created_bytes`` is funded rent-exempt ((bytes + 128) * 6960 lamports) in the same tx."""
    rent = 0 if created_bytes is None else (created_bytes + 128) * 6960
    deltas = token_deltas(doc, row["mint"])
    sign = row["side"]
    base_units = round(row["token_amount"] * 1e6)
    assert deltas[row["trader"]] == sign * base_units
    curve = next(o for o, d in deltas.items() if d == minted - sign * base_units)
    assert lamport_delta(doc, curve) == sign * round(row["sol_amount"] * 1e9) + rent
    assert abs(row["virtual_sol_reserves"] * row["virtual_token_reserves"] / K_PUMP - 1) < 1e-6


def test_pumpfun_2024_buy_decodes_exact_amounts_user_mint_and_reserves() -> None:
    doc = load(FIXTURES / "pumpfun_buy_rpc.json")
    row = _one_swap(doc)
    assert row["venue"] == "pumpfun" and row["side"] == 1
    assert row["mint"] == "9Tpa8ewVT3JaZgiSKoTHjcJj6NGRyF4bJT8CyXpxpump"
    assert row["trader"] == "Geu1Jtgp2vkWmBq9KL4FozLFx1LAEjpntEfjFuWf6QW7"
    assert row["sol_amount"] == 0.689364052 and row["token_amount"] == 3254684.009577
    assert row["virtual_sol_reserves"] == 82.916942422
    assert row["virtual_token_reserves"] == 388219814.786378
    assert row["price"] == pytest.approx(0.689364052 / 3254684.009577, rel=1e-15)
    assert row["fee"] == pytest.approx(0.00689364052)  # 2024 events: the protocol's 1%
    assert row["ts"] == 1735634110 * 10**9 and row["slot"] == 310945778
    assert row["ix_index"] == 3000  # the 4th top-level instruction, its first swap
    _curve_checks(doc, row)


def test_pumpfun_2024_sell_decodes_exact_amounts_user_mint_and_reserves() -> None:
    doc = load(FIXTURES / "pumpfun_sell_rpc.json")
    row = _one_swap(doc)
    assert row["side"] == -1
    assert row["mint"] == "CnNVDyM7GXBBcH8giuRYm17YCn6kpFTTbnd6Tx4hpump"
    assert row["trader"] == "4DdrfiDHpmx55i4SPssxVzS9ZaKLb8qr45NKY9Er9nNh"
    assert row["sol_amount"] == 37.437283903 and row["token_amount"] == 592443959.0
    assert row["virtual_sol_reserves"] == 30.112848041
    assert row["virtual_token_reserves"] == 1068978927.601996
    _curve_checks(doc, row)


@pytest.mark.parametrize(
    ("name", "side", "sol", "tokens", "trader"),
    [
        (
            "tee-py_parsed-buy-txn.json",
            1,
            0.079645349,
            724879.458841,
            "4SrXdKFYoiUfYzWN7YV8kdJ2TkZieDmjVCEJg4mTAun6",
        ),
        (
            "tee-py_parsed-sell-txn.json",
            -1,
            0.003556271,
            94443.0,
            "3P2pmfQAFTwcC1xWtYbVYoRn3hngya8Kd9jMaF5GfnUa",
        ),
    ],
)
def test_json_parsed_pumpfun_trades_decode_like_json_ones(
    name: str, side: int, sol: float, tokens: float, trader: str
) -> None:
    doc = load(FIXTURES / name)
    row = _one_swap(doc)
    assert (row["side"], row["sol_amount"], row["token_amount"], row["trader"]) == (
        side,
        sol,
        tokens,
        trader,
    )
    assert row["mint"] == "FstBRGMkNKf4wNvfieYUPS9YsbNoQJMCh6v89zajpump"
    _curve_checks(doc, row)


def test_pumpfun_create_yields_a_launch_and_the_dev_buy() -> None:
    doc = load(FIXTURES / "pumpfun_create_rpc.json")
    parsed = parse_transaction(doc)
    (launch,) = parsed.launches
    assert launch["mint"] == "5dNYcCZXEGfGgbdUdq7MMR7KLsNJLLLgL83wLH8Fpump"
    assert (launch["name"], launch["symbol"]) == ("MOO DOG", "MOODOG")
    assert launch["creator"] == "6xo262KbDXepWbF3vPTrFXysr5vJwk3mozBXmXk3hmMx"
    assert launch["created_ts"] == 1727637145 * 10**9 and launch["supply"] == 1e9
    (buy,) = parsed.swaps
    # first buy on a fresh curve: 30 + 1 SOL in, tokens out = vT - k / (vS + 1)
    assert buy["sol_amount"] == 1.0 and buy["virtual_sol_reserves"] == 31.0
    assert buy["token_amount"] == pytest.approx(1_073_000_000 - K_PUMP / 31.0, abs=1e-6)
    _curve_checks(doc, buy, minted=10**15, created_bytes=49)  # the 2024 curve account: 49 bytes


def test_trade_event_2024_payload_decodes_the_same_by_current_and_2024_idl() -> None:
    doc = load(FIXTURES / "pumpfun_buy_rpc.json")
    line = next(x for x in result(doc)["meta"]["logMessages"] if x.startswith("Program data: "))
    data = base64.b64decode(line[14:])
    assert data[:8].hex() == "bddb7fd34ee661ee" and len(data) - 8 == 121
    new = idl.bundled("pump").decode_event(data)
    old = idl.bundled("pump_2024").decode_event(data)
    assert new.name == old.name == "TradeEvent"
    assert old.complete and not new.complete  # a truncated prefix of today's 34 fields
    assert list(new.fields.values()) == list(old.fields.values())
    assert len(new.fields) == 10


def _encode(typ: Any, value: Any, types: dict[str, Any]) -> bytes:
    """A minimal Borsh encoder, for building a full current-layout event."""
    ints = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q"}
    if isinstance(typ, str):
        if typ in ints:
            return struct.pack(ints[typ], value)
        if typ in ("u128", "i128"):
            return value.to_bytes(16, "little", signed=typ == "i128")
        if typ == "bool":
            return bytes([value])
        if typ == "pubkey":
            return b58decode(value).rjust(32, b"\0")
        if typ == "string":
            raw = value.encode()
            return struct.pack("<I", len(raw)) + raw
    if "vec" in typ:
        return struct.pack("<I", len(value)) + b"".join(
            _encode(typ["vec"], v, types) for v in value
        )
    if "defined" in typ:
        fields = types[typ["defined"]["name"]]["type"]["fields"]
        return b"".join(_encode(f["type"], value[f["name"]], types) for f in fields)
    raise AssertionError(typ)


def test_current_34_field_trade_event_decodes_by_the_idl() -> None:
    pump = idl.bundled("pump")
    disc = bytes.fromhex("bddb7fd34ee661ee")
    name, fields = pump.events[disc]
    assert name == "TradeEvent" and len(fields) == 34
    key = "9Tpa8ewVT3JaZgiSKoTHjcJj6NGRyF4bJT8CyXpxpump"
    sample = {"pubkey": key, "u64": 7, "i64": -3, "bool": True, "string": "buy_exact_sol_in"}
    values = {}
    for i, f in enumerate(fields):
        t = f["type"]
        if isinstance(t, str):
            values[f["name"]] = sample[t] + i if t in ("u64", "i64") else sample[t]
        else:
            values[f["name"]] = [
                {"address": key, "share_bps": 2500},
                {"address": key, "share_bps": 7500},
            ]
    payload = disc + b"".join(_encode(f["type"], values[f["name"]], pump.types) for f in fields)
    ev = pump.decode_event(payload)
    assert ev.complete and ev.fields == values
    # a truncated copy keeps every whole field it has and drops the rest
    cut = pump.decode_event(payload[: 8 + 121 + 3])
    assert list(cut.fields) == [f["name"] for f in fields[:10]] and not cut.complete


def test_geyser_message_parses_to_the_same_row_as_the_rpc_result() -> None:
    rpc = _one_swap(load(FIXTURES / "pumpfun_buy_rpc.json"))
    geyser = _one_swap(load(FIXTURES / "pumpfun_buy_geyser.json"))
    assert geyser == rpc  # the event carries the block's clock, so even ts agrees


def test_geyser_amm_swap_without_clock_needs_the_block_time() -> None:
    doc = load(FIXTURES / "raydium_amm_v4_geyser.json")
    with pytest.raises(MalformedTransaction, match="no blockTime"):
        parse_transaction(doc)
    rpc = _one_swap(load(FIXTURES / "raydium_amm_v4_rpc.json"))
    assert _one_swap(doc, block_time=1735623500) == rpc


def _to_base64(doc: dict[str, Any]) -> dict[str, Any]:
    """Re-encode a json-encoded getTransaction result as encoding=base64 with solders."""
    from solders.hash import Hash
    from solders.instruction import CompiledInstruction
    from solders.message import MessageHeader, MessageV0
    from solders.pubkey import Pubkey
    from solders.signature import Signature
    from solders.transaction import VersionedTransaction

    r = copy.deepcopy(result(doc))
    msg = r["transaction"]["message"]
    h = msg["header"]
    message = MessageV0(
        MessageHeader(
            h["numRequiredSignatures"],
            h["numReadonlySignedAccounts"],
            h["numReadonlyUnsignedAccounts"],
        ),
        [Pubkey.from_string(k) for k in msg["accountKeys"]],
        Hash.from_string(msg["recentBlockhash"]),
        [
            CompiledInstruction(ix["programIdIndex"], b58decode(ix["data"]), bytes(ix["accounts"]))
            for ix in msg["instructions"]
        ],
        [],
    )
    vtx = VersionedTransaction.populate(
        message, [Signature.from_string(s) for s in r["transaction"]["signatures"]]
    )
    r["transaction"] = [base64.b64encode(bytes(vtx)).decode(), "base64"]
    return r


@pytest.mark.parametrize("name", ["pumpfun_buy_rpc.json", "raydium_amm_v4_rpc.json"])
def test_base64_encoded_transaction_parses_like_json(name: str) -> None:
    doc = load(FIXTURES / name)
    assert parse_transaction(_to_base64(doc)).swaps == parse_transaction(doc).swaps


def test_raydium_v4_swap_side_and_amounts_match_the_vault_and_user_deltas() -> None:
    doc = load(FIXTURES / "raydium_amm_v4_rpc.json")
    row = _one_swap(doc)
    assert row["venue"] == "raydium" and row["side"] == 1
    assert row["mint"] == "HhUVkZ1qz8vfMqZDemLyxBFxrHFKVSYAk7a6227Lpump"
    tok = token_deltas(doc, row["mint"])
    sol = token_deltas(doc, "So11111111111111111111111111111111111111112")
    assert tok[row["trader"]] == round(row["token_amount"] * 1e6) > 0  # user received tokens
    vault_owner = next(o for o, d in sol.items() if o != row["trader"] and d > 0)
    assert sol[vault_owner] == round(row["sol_amount"] * 1e9) == 2_000_000_000
    assert tok[vault_owner] == -round(row["token_amount"] * 1e6)
    assert math.isnan(row["fee"])


def test_failed_transaction_is_counted_not_parsed() -> None:
    doc = copy.deepcopy(load(FIXTURES / "pumpfun_buy_rpc.json"))
    doc["result"]["meta"]["err"] = {"InstructionError": [3, {"Custom": 6002}]}
    parsed = parse_transaction(doc)
    assert parsed.swaps == [] and parsed.skipped["failed_transaction"] == 1


def test_unknown_programs_are_counted_and_skipped() -> None:
    parsed = parse_transaction(load(FIXTURES / "pumpfun_buy_rpc.json"))
    # AFW9… (a trading bot), 4pP8… and HQ2U… (tips/memos) are not DEX programs we read
    assert parsed.skipped["unknown_program"] == 3 and len(parsed.swaps) == 1


def _truncate_logged_event(r: dict[str, Any]) -> None:
    """Cut the TradeEvent to 40 bytes (and drop the emit_cpi copy, so the log line is read)."""
    r["meta"]["innerInstructions"] = []
    logs = r["meta"]["logMessages"]
    i = next(i for i, x in enumerate(logs) if x.startswith("Program data:"))
    cut = bytes.fromhex("bddb7fd34ee661ee") + b"\1" * 40
    logs[i] = "Program data: " + base64.b64encode(cut).decode()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r.pop("meta"), "meta is missing"),
        (lambda r: r["transaction"].update(signatures=["not-a-signature"]), "signature"),
        (
            lambda r: r["transaction"]["message"]["instructions"][3].update(programIdIndex=99),
            "programIdIndex",
        ),
        (_truncate_logged_event, "truncated"),
    ],
)
def test_malformed_transactions_raise_a_reason_naming_the_field(mutate: Any, reason: str) -> None:
    doc = copy.deepcopy(load(FIXTURES / "pumpfun_buy_rpc.json"))
    mutate(doc["result"])
    with pytest.raises(MalformedTransaction, match=reason):
        parse_transaction(doc)


# ------------------------------------------------------------- ../shared/data
JX = "rpc_fixtures/jiangxiaop-solana-swap-scan"


def test_every_real_rpc_fixture_parses(shared_data: Path) -> None:
    from memelab.datasets.importers.solana import read_transactions

    files = sorted((shared_data / "rpc_fixtures").glob("*/*.json"))
    assert len(files) >= 20
    venues: set[str] = set()
    for f in files:
        (res,) = list(read_transactions(f))
        if f.name == "raydium_amm_v4_geyser.json":  # a geyser update has no clock of its own
            assert [q["reason"] for q in res.quarantined] == [
                "transaction: no blockTime and no event timestamp: pass the block's time (getBlock blockTime)"
            ]
            continue
        assert res.quarantined == [], f
        assert res.swaps.num_rows >= 1, f
        venues |= set(res.swaps.column("venue").to_pylist())
    assert venues == {"pumpfun", "pumpswap", "raydium", "meteora", "launchlab"}


def test_pumpfun_2025_sell_has_fee_and_creator_fee(shared_data: Path) -> None:
    doc = load(shared_data / JX / "test_pumpfun_pumpfun-trade.json")
    row = _one_swap(doc)
    assert row["side"] == -1 and row["mint"] == "3cbRjHtNmGkzUvKT2Hia6pqeUB9S7XGNKZvG7mpP2drF"
    assert row["trader"] == "G9yQLYTDiKY3zDu8FBCrEhrAUAQAXV7UFV5wPUBbgNck"
    assert row["sol_amount"] == 0.062636785 and row["token_amount"] == 947132.252233
    assert row["virtual_sol_reserves"] == 46.107875804
    assert row["virtual_token_reserves"] == 698145370.424178
    assert row["fee"] == (595050 + 31319) / 1e9  # 95 bps protocol + 5 bps creator
    assert row["fee"] == pytest.approx(0.01 * row["sol_amount"], rel=1e-4)
    _curve_checks(doc, row)


def test_pumpfun_2025_create_and_dev_buy(shared_data: Path) -> None:
    doc = load(shared_data / JX / "test_pumpfun_pumpfun-create-token.json")
    parsed = parse_transaction(doc)
    (launch,) = parsed.launches
    assert (launch["name"], launch["symbol"]) == ("costco", "COSTCO")
    (row,) = parsed.swaps
    assert row["side"] == 1 and row["sol_amount"] == 4.0
    assert row["token_amount"] == 126235294.117647
    assert (row["virtual_sol_reserves"], row["virtual_token_reserves"]) == (34.0, 946764705.882353)
    assert row["fee"] == 0.04
    # 1e9 tokens minted to the 81-byte 2025 curve account, then the dev buy
    _curve_checks(doc, row, minted=10**15, created_bytes=81)


@pytest.mark.parametrize(
    "name", ["test_pumpswap_pumpswap-buy.json", "test_pumpswap_pumpswap-sell.json"]
)
def test_pumpswap_side_and_amounts_match_the_pool_vault_deltas(
    shared_data: Path, name: str
) -> None:
    doc = load(shared_data / JX / name)
    row = _one_swap(doc)
    assert row["venue"] == "pumpswap"
    tok = token_deltas(doc, row["mint"])
    sol = token_deltas(doc, "So11111111111111111111111111111111111111112")
    pool = next(o for o, d in tok.items() if o != row["trader"] and d != 0)
    # the pool gives tokens on a buy and takes them on a sell
    assert tok[pool] == -row["side"] * round(row["token_amount"] * 1e6)
    assert tok[row["trader"]] == row["side"] * round(row["token_amount"] * 1e6)
    # the pool's SOL moves by the swap amount plus (buy) / minus (sell) its LP fee
    assert sol[pool] * row["side"] > 0
    assert abs(sol[pool]) == pytest.approx(row["sol_amount"] * 1e9, rel=0.003)
    # reserves after = the vaults' post balances
    assert row["virtual_sol_reserves"] * 1e9 == pytest.approx(
        sum(
            int(tb["uiTokenAmount"]["amount"])
            for tb in result(doc)["meta"]["postTokenBalances"]
            if tb["owner"] == pool and tb["mint"].startswith("So111")
        )
    )


def test_pumpswap_batch_of_eighteen_getblock_transactions(shared_data: Path) -> None:
    docs = load(shared_data / JX / "pumpfunTransactions.json")
    rows = [r for d in docs for r in parse_transaction(d).swaps]
    assert len(rows) == 18
    assert sum(r["side"] == 1 for r in rows) == 15 and sum(r["side"] == -1 for r in rows) == 3
    assert {r["venue"] for r in rows} == {"pumpswap"}


def test_pumpswap_create_pool_after_migration_gives_liquidity_rows(shared_data: Path) -> None:
    parsed = parse_transaction(load(shared_data / JX / "test_pumpswap_pumpswap-create.json"))
    sides = [(r["venue"], r["side"]) for r in parsed.swaps]
    assert sides == [("pumpswap", 0), ("pumpswap", 1)]  # pool created, then the first buy
    pool = parsed.swaps[0]
    (grad,) = parsed.graduations
    assert grad["event"] == "CompletePumpAmmMigrationEvent" and grad["mint"] == pool["mint"]
    # the graduated curve's ~85 SOL real reserves seed the pool
    assert 84 < pool["sol_amount"] < 86 and pool["virtual_sol_reserves"] > pool["sol_amount"]


@pytest.mark.parametrize("logs", [None, ["Log truncated"]])
def test_events_come_from_emit_cpi_when_logs_are_missing_or_truncated(logs: Any) -> None:
    doc = load(FIXTURES / "pumpfun_buy_rpc.json")
    full = _one_swap(doc)
    cut = copy.deepcopy(doc)
    cut["result"]["meta"]["logMessages"] = logs
    assert _one_swap(cut) == full


def test_base58_decoding_round_trips_solders_addresses_and_signatures() -> None:
    import random

    from solders.pubkey import Pubkey
    from solders.signature import Signature

    rng = random.Random(7)
    for _ in range(50):
        raw = bytes(rng.getrandbits(8) for _ in range(32))
        assert b58decode(str(Pubkey.from_bytes(raw))) == raw
        raw = b"\0\0" + bytes(rng.getrandbits(8) for _ in range(62))
        assert b58decode(str(Signature.from_bytes(raw))) == raw


def _to_protobuf_json(doc: dict[str, Any]) -> dict[str, Any]:
    """The same geyser update as protobuf's JSON mapping writes it: bytes in base64, u64 as str."""
    from solders.pubkey import Pubkey
    from solders.signature import Signature

    def key(k: str) -> str:
        if set(k) == {"1"}:  # the soltxs geyser fixtures spell the system program with 33 ones
            k = "1" * 32
        return base64.b64encode(bytes(Pubkey.from_string(k))).decode()

    def ixs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "programIdIndex": ix["programIdIndex"],
                "accounts": base64.b64encode(bytes(ix.get("accounts", []))).decode(),
                "data": base64.b64encode(b58decode(ix["data"])).decode(),
            }
            for ix in items
        ]

    d = copy.deepcopy(doc)
    info = d["transaction"]["transaction"]
    sig = base64.b64encode(bytes(Signature.from_string(info["signature"]))).decode()
    info["signature"] = sig
    info["transaction"]["signatures"] = [sig]
    msg = info["transaction"]["message"]
    msg["accountKeys"] = [key(k) for k in msg["accountKeys"]]
    msg["instructions"] = ixs(msg["instructions"])
    meta = info["meta"]
    meta["fee"] = str(meta["fee"])
    meta["innerInstructions"] = [
        {"index": g["index"], "instructions": ixs(g["instructions"])}
        for g in meta["innerInstructions"]
    ]
    d["transaction"]["slot"] = str(d["transaction"]["slot"])
    d["createdAt"] = "2024-12-31T08:35:10.412Z"
    return d


def test_geyser_protobuf_json_with_base64_bytes_parses_like_base58() -> None:
    doc = load(FIXTURES / "raydium_amm_v4_geyser.json")
    plain = _one_swap(doc, block_time=1735623500)
    proto = _one_swap(_to_protobuf_json(doc))  # time from createdAt
    assert proto == {**plain, "ts": 1735634110 * 10**9}


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("test_meteora_add-lp.json", 1),
        ("test_meteora_rm-lp.json", -1),
        ("test_pumpswap_pumpswap-add-liquidity.json", 1),
        ("test_pumpswap_pumpswap-withdraw.json", -1),
    ],
)
def test_liquidity_changes_are_side_zero_rows_with_the_vault_deltas(
    shared_data: Path, name: str, direction: int
) -> None:
    doc = load(shared_data / JX / name)
    row = _one_swap(doc)
    assert row["side"] == 0
    sol = token_deltas(doc, "So11111111111111111111111111111111111111112")
    tok = token_deltas(doc, row["mint"])
    decimals = next(
        tb["uiTokenAmount"]["decimals"]
        for tb in result(doc)["meta"]["postTokenBalances"]
        if tb["mint"] == row["mint"]
    )
    pool = next(o for o, d in sol.items() if d * direction > 0)
    assert sol[pool] == direction * round(row["sol_amount"] * 1e9)
    # float64 holds ~16 digits: an 8e18-base-unit withdrawal is exact to 1e-15
    assert tok[pool] == pytest.approx(direction * row["token_amount"] * 10**decimals, rel=1e-15)


def _to_json_parsed(doc: dict[str, Any]) -> dict[str, Any]:
    """The same v0 transaction as encoding=jsonParsed lists it: keys as objects (lookup-table
    keys included, marked by source), instructions naming their program and accounts."""
    r = copy.deepcopy(result(doc))
    msg, meta = r["transaction"]["message"], r["meta"]
    h = msg["header"]
    static = msg["accountKeys"]
    loaded = meta["loadedAddresses"]["writable"] + meta["loadedAddresses"]["readonly"]
    keys = static + loaded

    def ix(i: dict[str, Any]) -> dict[str, Any]:
        return {
            "programId": keys[i["programIdIndex"]],
            "accounts": [keys[a] for a in i["accounts"]],
            "data": i["data"],
        }

    msg["accountKeys"] = [
        {"pubkey": k, "signer": n < h["numRequiredSignatures"], "source": "transaction"}
        for n, k in enumerate(static)
    ] + [{"pubkey": k, "signer": False, "source": "lookupTable"} for k in loaded]
    msg["instructions"] = [ix(i) for i in msg["instructions"]]
    for group in meta["innerInstructions"]:
        group["instructions"] = [ix(i) for i in group["instructions"]]
    return r


def test_json_parsed_v0_transaction_with_lookup_tables_parses_like_json() -> None:
    doc = load(FIXTURES / "raydium_amm_v4_rpc.json")
    assert result(doc)["meta"]["loadedAddresses"]["readonly"]  # vault keys come from a table
    assert parse_transaction(_to_json_parsed(doc)).swaps == parse_transaction(doc).swaps
