"""pump.fun and PumpSwap events -> swaps / launches rows (layouts from the bundled IDLs)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from memelab.datasets.solana import idl as idl_mod
from memelab.datasets.solana.events import Event
from memelab.datasets.solana.programs import (
    LAMPORTS_PER_SOL,
    PUMP_DECIMALS,
    PUMP_SUPPLY_TOKENS,
    PUMPSWAP,
    SYSTEM_PROGRAM,
    WSOL,
)
from memelab.datasets.solana.rows import TxParse, swap_row, ts_ns
from memelab.datasets.solana.tx import MalformedTransaction, TxView

_LEGACY_FEE_RATE = 0.01  # 2024 pump.fun events carry no fee fields: the protocol took 1%

# The fields each event must carry for its row (a shorter payload is an unusable truncation).
_NEEDS = {
    "TradeEvent": ("mint", "sol_amount", "token_amount", "is_buy", "user")
    + ("virtual_sol_reserves", "virtual_token_reserves"),
    "CreateEvent": ("name", "symbol", "mint", "user"),
    "CompleteEvent": ("mint",),
    "CompletePumpAmmMigrationEvent": ("mint",),
    "BuyEvent": ("base_amount_out", "quote_amount_in", "quote_amount_in_with_lp_fee", "user")
    + ("pool_base_token_reserves", "pool_quote_token_reserves", "lp_fee", "protocol_fee"),
    "SellEvent": ("base_amount_in", "quote_amount_out", "quote_amount_out_without_lp_fee", "user")
    + ("pool_base_token_reserves", "pool_quote_token_reserves", "lp_fee", "protocol_fee"),
    "CreatePoolEvent": ("base_amount_in", "quote_amount_in", "pool_base_amount")
    + ("pool_quote_amount", "creator"),
    "DepositEvent": ("base_amount_in", "quote_amount_in", "user")
    + ("pool_base_token_reserves", "pool_quote_token_reserves"),
    "WithdrawEvent": ("base_amount_out", "quote_amount_out", "user")
    + ("pool_base_token_reserves", "pool_quote_token_reserves"),
}


def _require(dec: idl_mod.DecodedEvent, ev: Event, venue: str) -> None:
    """Refuse an event whose payload stops before a field its row needs."""
    missing = [name for name in _NEEDS.get(dec.name, ()) if name not in dec.fields]
    if missing:
        raise MalformedTransaction(
            f"{venue} {dec.name} at instruction {ev.outer} truncated at {dec.payload_len} bytes "
            f"(no {missing[0]})"
        )


def pumpfun_event(
    tv: TxView, ev: Event, dec: idl_mod.DecodedEvent, out: TxParse, per_outer: Counter
) -> None:
    f = dec.fields
    _require(dec, ev, "pump.fun")
    if dec.name == "TradeEvent":
        quote = f.get("quote_mint")
        if quote not in (None, WSOL, SYSTEM_PROGRAM):
            out.skipped["non_sol_quote"] += 1
            return
        sol = f["sol_amount"] / LAMPORTS_PER_SOL
        if "fee" in f:
            fee = (f["fee"] + f.get("creator_fee", 0)) / LAMPORTS_PER_SOL
        else:
            fee = sol * _LEGACY_FEE_RATE
        out.swaps.append(
            swap_row(
                tv,
                ts_ns(tv, f.get("timestamp")),
                ev.outer,
                per_outer,
                mint=f["mint"],
                venue="pumpfun",
                trader=f["user"],
                side=1 if f["is_buy"] else -1,
                sol_amount=sol,
                token_amount=f["token_amount"] / 10**PUMP_DECIMALS,
                virtual_sol_reserves=f["virtual_sol_reserves"] / LAMPORTS_PER_SOL,
                virtual_token_reserves=f["virtual_token_reserves"] / 10**PUMP_DECIMALS,
                fee=fee,
            )
        )
    elif dec.name == "CreateEvent":
        supply = f.get("token_total_supply")
        out.launches.append(
            {
                "mint": f["mint"],
                "creator": f.get("creator") or f["user"],
                "created_ts": ts_ns(tv, f.get("timestamp")),
                "name": f["name"],
                "symbol": f["symbol"],
                "supply": supply / 10**PUMP_DECIMALS if supply else PUMP_SUPPLY_TOKENS,
                "venue": "pumpfun",
                "graduated_ts": None,
                "signature": tv.signature,
            }
        )
    elif dec.name in ("CompleteEvent", "CompletePumpAmmMigrationEvent"):
        out.graduations.append(
            {
                "mint": f["mint"],
                "graduated_ts": ts_ns(tv, f.get("timestamp")),
                "event": dec.name,
                "signature": tv.signature,
            }
        )
    else:
        out.skipped[f"event:{dec.name}"] += 1


def _decimals(tv: TxView, mint: str, default: int) -> int:
    for tb in (*tv.post_tokens.values(), *tv.pre_tokens.values()):
        if tb.mint == mint:
            return tb.decimals
    return default


def _pumpswap_accounts(tv: TxView, outer: int) -> list[dict[str, str]]:
    """PumpSwap instructions inside top-level instruction ``outer``, accounts named by the IDL."""
    amm = idl_mod.bundled("pump_amm")
    found = []
    for ins in tv.instructions:
        if ins.outer != outer or ins.program != PUMPSWAP or not ins.data:
            continue
        spec = amm.instruction(ins.data)
        if spec is None:
            continue
        name, names = spec
        accounts = {n: tv.keys[a] for n, a in zip(names, ins.accounts, strict=False)}
        accounts["__name__"] = name
        accounts["__index__"] = {n: a for n, a in zip(names, ins.accounts, strict=False)}
        found.append(accounts)
    return found


def pumpswap_event(
    tv: TxView, ev: Event, dec: idl_mod.DecodedEvent, out: TxParse, per_outer: Counter
) -> None:
    f = dec.fields
    kinds = {
        "BuyEvent": ("buy", "buy_exact_quote_in"),
        "SellEvent": ("sell",),
        "CreatePoolEvent": ("create_pool",),
        "DepositEvent": ("deposit",),
        "WithdrawEvent": ("withdraw",),
    }
    if dec.name not in kinds:
        out.skipped[f"event:{dec.name}"] += 1
        return
    if "pool" not in f and dec.name != "CreatePoolEvent":
        raise MalformedTransaction(f"PumpSwap {dec.name} at instruction {ev.outer} truncated")
    _require(dec, ev, "PumpSwap")
    pool = f.get("pool")
    if not tv.keys:  # a logs-only view (logsSubscribe): the mints are in the accounts we lack
        out.skipped["pumpswap_event_without_accounts"] += 1
        return
    candidates = [
        a
        for a in _pumpswap_accounts(tv, ev.outer)
        if a["__name__"] in kinds[dec.name] and (pool is None or a.get("pool") == pool)
    ]
    if not candidates:
        raise MalformedTransaction(
            f"PumpSwap {dec.name} at instruction {ev.outer}: no matching instruction for pool {pool}"
        )
    acc = candidates[0]
    base_mint = f.get("base_mint") or acc.get("base_mint")
    quote_mint = f.get("quote_mint") or acc.get("quote_mint")
    if WSOL not in (base_mint, quote_mint):
        out.skipped["non_sol_pair"] += 1
        return
    sol_is_quote = quote_mint == WSOL
    token_mint = base_mint if sol_is_quote else quote_mint
    tdec = _decimals(tv, token_mint, PUMP_DECIMALS)
    bdec, qdec = (tdec, 9) if sol_is_quote else (9, tdec)
    if dec.name in ("BuyEvent", "SellEvent"):
        buy = dec.name == "BuyEvent"
        base_amt = f["base_amount_out"] if buy else f["base_amount_in"]
        quote_amt = f["quote_amount_in"] if buy else f["quote_amount_out"]
        # Reserves after: the vaults' post balances; the event's pool_* fields are pre-trade.
        lp_q = f["quote_amount_in_with_lp_fee"] if buy else f["quote_amount_out_without_lp_fee"]
        base_after = f["pool_base_token_reserves"] + (-base_amt if buy else base_amt)
        quote_after = f["pool_quote_token_reserves"] + (lp_q if buy else -lp_q)
        base_after, quote_after = _vault_post(tv, acc, base_after, quote_after)
        fee_q = f["lp_fee"] + f["protocol_fee"] + f.get("coin_creator_fee", 0)
        if sol_is_quote:
            side, sol, tokens = (1 if buy else -1), quote_amt / 1e9, base_amt / 10**bdec
            fee = fee_q / 1e9
            vsol, vtok = quote_after / 1e9, base_after / 10**bdec
        else:  # inverted pool: SOL is the base, buying the base sells the token
            side, sol, tokens = (-1 if buy else 1), base_amt / 1e9, quote_amt / 10**qdec
            fee = math.nan
            vsol, vtok = base_after / 1e9, quote_after / 10**qdec
        trader = f["user"]
    else:  # liquidity: side 0 with the pool's reserves after
        if dec.name == "CreatePoolEvent":
            base_amt, quote_amt = f["base_amount_in"], f["quote_amount_in"]
            base_after, quote_after = f["pool_base_amount"], f["pool_quote_amount"]
            trader = f["creator"]
        else:
            sign = 1 if dec.name == "DepositEvent" else -1
            base_amt = f["base_amount_in"] if sign > 0 else f["base_amount_out"]
            quote_amt = f["quote_amount_in"] if sign > 0 else f["quote_amount_out"]
            base_after = f["pool_base_token_reserves"] + sign * base_amt
            quote_after = f["pool_quote_token_reserves"] + sign * quote_amt
            trader = f["user"]
        base_after, quote_after = _vault_post(tv, acc, base_after, quote_after)
        side, fee = 0, math.nan
        if sol_is_quote:
            sol, tokens = quote_amt / 1e9, base_amt / 10**bdec
            vsol, vtok = quote_after / 1e9, base_after / 10**bdec
        else:
            sol, tokens = base_amt / 1e9, quote_amt / 10**qdec
            vsol, vtok = base_after / 1e9, quote_after / 10**qdec
    out.swaps.append(
        swap_row(
            tv,
            ts_ns(tv, f.get("timestamp")),
            ev.outer,
            per_outer,
            mint=token_mint,
            venue="pumpswap",
            trader=trader,
            side=side,
            sol_amount=sol,
            token_amount=tokens,
            virtual_sol_reserves=vsol,
            virtual_token_reserves=vtok,
            fee=fee,
        )
    )


def _vault_post(tv: TxView, acc: dict[str, Any], base: int, quote: int) -> tuple[int, int]:
    idx = acc["__index__"]
    b = tv.post_tokens.get(idx.get("pool_base_token_account", -1))
    q = tv.post_tokens.get(idx.get("pool_quote_token_account", -1))
    return (b.amount if b else base), (q.amount if q else quote)
