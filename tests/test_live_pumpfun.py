"""pump.fun buy/sell instructions built from the bundled IDL match real mainnet transactions:
the same accounts in the same order with the same signer/writable flags, the same data layout,
and the curve math reproduces the amounts the program charged."""

from __future__ import annotations

import json

import pytest
from memelab.datasets.solana.events import collect_events, decode_event
from memelab.datasets.solana.tx import tx_view, unwrap
from memelab.live import pumpfun as P
from memelab.live.borsh import encode
from solders.pubkey import Pubkey

RPC = "rpc_fixtures"
SELL_2025 = "jiangxiaop-solana-swap-scan/test_pumpfun_pumpfun-trade.json"  # June 2025, creator fee
BUYS_2024 = ["soltxs/pumpfun_buy_rpc.json", "soltxs/pumpfun_create_rpc.json"]
SELLS_2024 = ["soltxs/pumpfun_sell_rpc.json"]
USER = Pubkey.from_string("G9yQLYTDiKY3zDu8FBCrEhrAUAQAXV7UFV5wPUBbgNck")


def _load(shared_data, name):
    doc = json.loads((shared_data / RPC / name).read_text())
    tv = tx_view(doc)
    ix = next(i for i in tv.instructions if i.program == str(P.program_id()) and i.inner < 0
              and P.pump_idl().instruction(i.data)[0] in ("buy", "sell"))  # fmt: skip
    event = next(d for d in map(decode_event, collect_events(tv)) if d and d.name == "TradeEvent")
    return doc, tv, ix, event.fields


def _flags(doc, tv):
    """(signers, writable) account sets of the message, from its header."""
    body, _, _ = unwrap(doc)
    msg = body["transaction"]["message"]
    h = msg["header"]
    n_static = len(msg["accountKeys"])
    signers = set(tv.keys[: h["numRequiredSignatures"]])
    writable = {
        k for i, k in enumerate(tv.keys[:n_static])
        if (i < h["numRequiredSignatures"] - h["numReadonlySignedAccounts"])
        or (h["numRequiredSignatures"] <= i < n_static - h["numReadonlyUnsignedAccounts"])
    }  # fmt: skip
    writable |= set((body["meta"].get("loadedAddresses") or {}).get("writable") or [])
    return signers, writable


def _curve_before(f, creator=None) -> P.Curve:
    """The curve as it was before the recorded trade (the event holds the reserves after)."""
    sign = 1 if f["is_buy"] else -1
    return P.Curve(
        virtual_token_reserves=f["virtual_token_reserves"] + sign * f["token_amount"],
        virtual_sol_reserves=f["virtual_sol_reserves"] - sign * f["sol_amount"],
        real_token_reserves=f.get("real_token_reserves", 793_100_000 * 10**6)
        + sign * f["token_amount"],
        complete=False,
        creator=Pubkey.from_string(creator) if creator else None,
    )


def test_sell_accounts_match_a_real_2025_sell_in_order_with_flags(shared_data):
    doc, tv, ix, f = _load(shared_data, SELL_2025)
    real = [tv.keys[a] for a in ix.accounts]
    curve = _curve_before(f, f["creator"])
    config = P.GlobalConfig(Pubkey.from_string(f["fee_recipient"]), None, 95, 5)
    order = P.build_sell(Pubkey.from_string(f["user"]), Pubkey.from_string(f["mint"]),
                         P.TOKEN_PROGRAM, curve, config, f["token_amount"], 100)  # fmt: skip
    (sell,) = order.instructions
    ours = [str(m.pubkey) for m in sell.accounts]
    # the June 2025 program took 12 accounts; the current IDL appends fee_config and fee_program
    assert ours[:12] == real
    assert ours[12:] == [
        "8Wf5TiAheLUqBrKXeYg2JtAFFMWtKdG2BSFgqUcPVwTt",
        "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ",
    ]
    assert ours[8] == "UKKzZkftpD9ryoqrYHyNxbCkLY7RwWxB5z5wd2Z3rtj"  # creator vault from creator
    signers, writable = _flags(doc, tv)
    for meta in sell.accounts[:12]:
        assert meta.is_signer == (str(meta.pubkey) in signers), meta
        if meta.is_writable:
            assert str(meta.pubkey) in writable, meta
    assert [str(m.pubkey) for m in sell.accounts if m.is_signer] == [f["user"]]
    # data: discriminator + amount + min_sol_output; the real one re-encodes byte for byte
    assert sell.data[:8] == ix.data[:8] and len(sell.data) == len(ix.data) == 24
    real_min = int.from_bytes(ix.data[16:24], "little")
    assert encode(P.pump_idl(), "u64", real_min) == ix.data[16:24]
    assert int.from_bytes(sell.data[8:16], "little") == f["token_amount"]
    # min_sol_output: the curve's payout after 1% fees, less 1% slippage, and at most what landed
    proceeds = P.sell_proceeds(curve, f["token_amount"], (95, 5))
    assert proceeds == f["sol_amount"] - f["fee"] - f["creator_fee"]  # to the lamport
    assert order.sol_limit == proceeds - proceeds // 100
    assert order.sol_limit <= f["sol_amount"] - f["fee"] - f["creator_fee"]


@pytest.mark.parametrize("name", BUYS_2024 + SELLS_2024)
def test_accounts_shared_with_2024_transactions_agree_by_position(shared_data, name):
    doc, tv, ix, f = _load(shared_data, name)
    real = [tv.keys[a] for a in ix.accounts]
    curve = _curve_before(f, creator=str(USER))  # 2024 curves had no creator; any will do
    config = P.GlobalConfig(Pubkey.from_string(real[1]), None, 100, 0)
    user, mint = Pubkey.from_string(f["user"]), Pubkey.from_string(f["mint"])
    if f["is_buy"]:
        order = P.build_buy(user, mint, P.TOKEN_PROGRAM, curve, config, 10**8, 500)
        ins = order.instructions[1]
        shared = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]  # 9 was `rent`, now `creator_vault`
    else:
        order = P.build_sell(user, mint, P.TOKEN_PROGRAM, curve, config, f["token_amount"], 500)
        ins = order.instructions[0]
        shared = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11]  # 8 was the ATA program, now creator_vault
    ours = [str(m.pubkey) for m in ins.accounts]
    assert [ours[i] for i in shared] == [real[i] for i in shared]
    signers, writable = _flags(doc, tv)
    for i in shared:
        meta = ins.accounts[i]  # other instructions (a create) may add signers/writables
        assert not meta.is_signer or real[i] in signers
        assert not meta.is_writable or real[i] in writable


@pytest.mark.parametrize("name", BUYS_2024)
def test_buy_curve_math_reproduces_the_real_trade(shared_data, name):
    _, _, ix, f = _load(shared_data, name)
    curve = _curve_before(f, creator=str(USER))
    # 2024: 1% fee on the SOL into the curve; the event's sol_amount excludes the fee
    cost = P.buy_cost(curve, f["token_amount"], (100,))
    assert cost == f["sol_amount"] + -(-f["sol_amount"] // 100)  # to the lamport
    assert P.quote_buy_tokens(curve, cost, (100,)) == pytest.approx(f["token_amount"], rel=1e-9)
    real_max = int.from_bytes(ix.data[16:24], "little")
    assert real_max >= cost  # the program charged no more than the user's max_sol_cost


def test_buy_asks_tokens_for_the_sol_and_caps_cost_by_slippage():
    curve = P.Curve(1_073_000_000 * 10**6, 30 * 10**9, 793_100_000 * 10**6, False, USER)
    config = P.GlobalConfig(USER, None, 95, 5)
    mint = Pubkey.from_string("3cbRjHtNmGkzUvKT2Hia6pqeUB9S7XGNKZvG7mpP2drF")
    order = P.build_buy(USER, mint, P.TOKEN_PROGRAM, curve, config, 10**9, 300)
    ata, buy = order.instructions
    # 1 SOL including the 1% fee: net 0.990099009 SOL -> vT * net // (vS + net) tokens
    net = 10**9 * 10_000 // 10_100
    assert order.token_amount == 1_073_000_000 * 10**6 * net // (30 * 10**9 + net)
    assert order.expected_sol <= 10**9 + 2  # the quote spends what was asked
    assert order.sol_limit == order.expected_sol + order.expected_sol * 300 // 10_000
    assert buy.data[:8] == bytes([102, 6, 61, 18, 1, 218, 235, 234]) and len(buy.data) == 25
    assert int.from_bytes(buy.data[8:16], "little") == order.token_amount
    assert int.from_bytes(buy.data[16:24], "little") == order.sol_limit
    assert buy.data[24] == 1  # track_volume: OptionBool(true)
    names = [
        a["name"]
        for a in next(i for i in P.pump_idl().doc["instructions"] if i["name"] == "buy")["accounts"]
    ]
    assert len(buy.accounts) == len(names) == 16
    by_name = dict(zip(names, buy.accounts, strict=True))
    assert (
        str(by_name["global_volume_accumulator"].pubkey)
        == "Hq2wp8uJ9jCPsYgNHex8RtqdvMPfVGoYwjvF1ATiwn2Y"
    )
    uva = Pubkey.find_program_address([b"user_volume_accumulator", bytes(USER)], P.program_id())[0]
    assert (
        by_name["user_volume_accumulator"].pubkey == uva
        and by_name["user_volume_accumulator"].is_writable
    )
    assert by_name["user"].is_signer and by_name["user"].is_writable
    # the user's token account is created idempotently first, for the same address the buy uses
    assert str(
        ata.program_id
    ) == "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL" and ata.data == bytes([1])
    assert ata.accounts[1].pubkey == by_name["associated_user"].pubkey


def test_token_2022_mint_uses_token_2022_everywhere():
    curve = P.Curve(10**15, 30 * 10**9, 7 * 10**14, False, USER)
    config = P.GlobalConfig(USER, None, 95, 5)
    mint = Pubkey.from_string("3cbRjHtNmGkzUvKT2Hia6pqeUB9S7XGNKZvG7mpP2drF")
    a = P.build_buy(USER, mint, P.TOKEN_PROGRAM, curve, config, 10**8, 100)
    b = P.build_buy(USER, mint, P.TOKEN_2022_PROGRAM, curve, config, 10**8, 100)
    ka = [m.pubkey for m in a.instructions[1].accounts]
    kb = [m.pubkey for m in b.instructions[1].accounts]
    assert kb[8] == P.TOKEN_2022_PROGRAM and ka[8] == P.TOKEN_PROGRAM
    assert kb[5] == Pubkey.find_program_address(
        [bytes(USER), bytes(P.TOKEN_2022_PROGRAM), bytes(mint)], P.ATA_PROGRAM)[0]  # fmt: skip
    assert ka[4] != kb[4] and ka[5] != kb[5]  # both token accounts move with the program
    assert b.instructions[0].accounts[5].pubkey == P.TOKEN_2022_PROGRAM
    with pytest.raises(P.PumpError, match="not a token program"):
        P.build_buy(USER, mint, P.SYSTEM_PROGRAM, curve, config, 10**8, 100)


def test_curve_account_decodes_and_a_curve_without_creator_is_refused():
    idl = P.pump_idl()
    disc = bytes(
        next(a for a in idl.doc["accounts"] if a["name"] == "BondingCurve")["discriminator"]
    )
    body = b"".join(encode(idl, t, v) for t, v in [("u64", 10**15), ("u64", 31 * 10**9),
                    ("u64", 7 * 10**14), ("u64", 0), ("u64", 10**15), ("bool", False)])  # fmt: skip
    old = P.Curve.from_account(disc + body)  # a 2024 curve: ends after `complete`
    assert old.creator is None and old.virtual_sol_reserves == 31 * 10**9
    new = P.Curve.from_account(disc + body + bytes(USER) + b"\x01")
    assert new.creator == USER and new.is_mayhem_mode
    config = P.GlobalConfig(USER, Pubkey.default(), 95, 5)
    assert config.recipient_for(new) == Pubkey.default()
    mint = Pubkey.from_string("3cbRjHtNmGkzUvKT2Hia6pqeUB9S7XGNKZvG7mpP2drF")
    with pytest.raises(P.PumpError, match="bonding_curve.creator"):
        P.build_buy(USER, mint, P.TOKEN_PROGRAM, old, config, 10**8, 100)
    with pytest.raises(P.PumpError, match="not a BondingCurve"):
        P.Curve.from_account(b"\x00" * 8 + body)
    done = P.Curve(1, 1, 0, True, USER)
    with pytest.raises(P.PumpError, match="complete: route to PumpSwap or Jupiter"):
        P.build_sell(USER, mint, P.TOKEN_PROGRAM, done, config, 10, 100)
