"""Transactions -> ``swaps`` / ``launches`` rows (pure functions, no I/O).

Where the rows come from
------------------------
- pump.fun: the ``TradeEvent`` / ``CreateEvent`` / ``CompleteEvent`` /
  ``CompletePumpAmmMigrationEvent`` (graduation: ``launches.graduated_ts``, no swaps row, since a
  side-0 row with empty reserves would read as a rug) the program emits (``Program data:`` log lines, or the
  ``emit_cpi`` self-invocation when logs are truncated), decoded by the bundled IDL. The 2024
  (121-byte), 2025 (217-byte) and current 34-field TradeEvents are prefixes of one layout.
- PumpSwap: ``BuyEvent`` / ``SellEvent`` (+ ``CreatePoolEvent``, ``DepositEvent``,
  ``WithdrawEvent`` as side-0 liquidity rows); the mints and vaults come from the instruction's
  accounts, named by the IDL.
- Raydium AMM v4 / CPMM / CLMM / LaunchLab, Meteora: no event; the swap is the pre/post
  token-balance delta of the two pool vaults among the instruction's accounts (the accounts not
  owned by a signer). Opposite signs: a swap, side from the SOL vault; same sign: liquidity.

Units follow ``schemas``: SOL, whole tokens, reserves after the trade, NaN unknown. ``sol_amount``
is the SOL that entered (buy) or left (sell) the curve/pool, fees excluded; ``fee`` is the venue's
fee in SOL. ``price`` is the execution price ``sol_amount / token_amount``. ``ix_index`` is
``1000 * top_level_instruction + k`` for the k-th swap inside that instruction, so routed
multi-hop transactions keep one row per hop under the lake's (signature, ix_index) key.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from memelab.datasets.solana import idl as idl_mod
from memelab.datasets.solana.programs import (
    BALANCE_DELTA_VENUES,
    INFRASTRUCTURE_PROGRAMS,
    LAMPORTS_PER_SOL,
    PUMP_DECIMALS,
    PUMP_SUPPLY_TOKENS,
    PUMPFUN,
    PUMPSWAP,
    SYSTEM_PROGRAM,
    WSOL,
)
from memelab.datasets.solana.tx import MalformedTransaction, TxView, tx_view

IX_STRIDE = 1000
NS = 1_000_000_000
_EVENT_PROGRAMS = {PUMPFUN: "pump", PUMPSWAP: "pump_amm"}
_LEGACY_FEE_RATE = 0.01  # 2024 pump.fun events carry no fee fields: the protocol took 1%


@dataclass
class TxParse:
    """What one transaction (or a batch) yields: rows plus counts of what was passed over."""

    swaps: list[dict[str, Any]] = field(default_factory=list)
    launches: list[dict[str, Any]] = field(default_factory=list)
    graduations: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def extend(self, other: TxParse) -> None:
        self.swaps.extend(other.swaps)
        self.launches.extend(other.launches)
        self.graduations.extend(other.graduations)
        self.skipped.update(other.skipped)


@dataclass(slots=True)
class _Event:
    program: str
    outer: int
    data: bytes


def parse_transaction(obj: Any, block_time: int | None = None) -> TxParse:
    """Rows from one transaction in any accepted form (see ``tx``). ``block_time`` (unix s) is
    used when the form carries none (getBlock-embedded, geyser). Raises ``MalformedTransaction``."""
    tv = tx_view(obj)
    if tv.block_time is None and block_time is not None:
        tv.block_time = int(block_time)
    return parse_view(tv)


def parse_view(tv: TxView) -> TxParse:
    out = TxParse()
    if tv.failed:
        out.skipped["failed_transaction"] += 1
        return out
    per_outer: Counter = Counter()
    covered_outer: set[int] = set()
    for ev in _events(tv):
        decoded = _decode_event(ev)
        if decoded is None:
            out.skipped["unknown_event"] += 1
            continue
        covered_outer.add(ev.outer)
        if ev.program == PUMPFUN:
            _pumpfun_event(tv, ev, decoded, out, per_outer)
        else:
            _pumpswap_event(tv, ev, decoded, out, per_outer)
    _balance_delta_swaps(tv, out, per_outer)
    _count_unknown_programs(tv, out)
    return out


# ------------------------------------------------------------------ events
def _events(tv: TxView) -> list[_Event]:
    """Anchor events by top-level instruction, from ``Program data:`` log lines (attributed to
    the program on top of the call stack); where the logs lack them (truncated logs, a program
    that only uses ``emit_cpi``) from the self-invocations that carry them."""
    logged: dict[tuple[str, int], list[_Event]] = {}
    stack: list[str] = []
    outer = -1
    truncated = tv.logs is None
    for line in tv.logs or ():
        if line.startswith("Program data: "):
            if stack and stack[-1] in _EVENT_PROGRAMS:
                try:
                    data = base64.b64decode(line[14:], validate=True)
                except ValueError as exc:
                    raise MalformedTransaction(f"log line {line[:60]!r} is not base64") from exc
                logged.setdefault((stack[-1], outer), []).append(_Event(stack[-1], outer, data))
        elif line.startswith("Program ") and " invoke [" in line:
            program = line[8 : line.index(" invoke [")]
            if line.endswith("invoke [1]"):
                outer += 1
                stack.clear()
            stack.append(program)
        elif line.startswith("Program ") and (line.endswith(" success") or " failed" in line):
            if stack:
                stack.pop()
        elif line.startswith("Log truncated"):
            truncated = True
    cpi: dict[tuple[str, int], list[_Event]] = {}
    for ins in tv.instructions:
        if ins.inner < 0 or ins.program not in _EVENT_PROGRAMS:
            continue
        key = (ins.program, ins.outer)
        if key in logged and not truncated:
            continue  # the log lines already gave this instruction's events
        data = ins.data
        if data and data[:8] == idl_mod.EVENT_IX_TAG:
            cpi.setdefault(key, []).append(_Event(ins.program, ins.outer, data[8:]))
    events: list[_Event] = []
    for key in sorted(set(cpi) | set(logged), key=lambda k: (k[1], k[0])):
        events.extend(cpi.get(key) or logged.get(key, []))
    return events


def _decode_event(ev: _Event) -> idl_mod.DecodedEvent | None:
    try:
        return idl_mod.bundled(_EVENT_PROGRAMS[ev.program]).decode_event(ev.data)
    except idl_mod.IdlDecodeError as exc:
        raise MalformedTransaction(f"{ev.program} event at instruction {ev.outer}: {exc}") from exc


def _ts_ns(tv: TxView, event_ts: Any = None) -> int:
    """Block time (s) in ns; the event's own clock when the form carries no block time."""
    seconds = tv.block_time if tv.block_time is not None else event_ts
    if seconds is None:
        raise MalformedTransaction(
            "no blockTime and no event timestamp: pass the block's time (getBlock blockTime)"
        )
    return int(seconds) * NS


def _row(tv: TxView, ts: int, outer: int, per_outer: Counter, **cols: Any) -> dict[str, Any]:
    k = per_outer[outer]
    per_outer[outer] += 1
    sol, tokens = cols["sol_amount"], cols["token_amount"]
    price = sol / tokens if tokens > 0 else math.nan
    return {
        "ts": ts,
        "slot": tv.slot if tv.slot is not None else -1,
        "signature": tv.signature,
        "ix_index": outer * IX_STRIDE + k,
        "price": price,
        "virtual_sol_reserves": math.nan,
        "virtual_token_reserves": math.nan,
        "fee": math.nan,
        **cols,
    }


def _pumpfun_event(
    tv: TxView, ev: _Event, dec: idl_mod.DecodedEvent, out: TxParse, per_outer: Counter
) -> None:
    f = dec.fields
    if dec.name == "TradeEvent":
        if "virtual_token_reserves" not in f:
            raise MalformedTransaction(
                f"pump.fun TradeEvent at instruction {ev.outer} truncated at {dec.payload_len} bytes"
            )
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
            _row(
                tv,
                _ts_ns(tv, f.get("timestamp")),
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
        if "user" not in f:
            raise MalformedTransaction(f"pump.fun CreateEvent at instruction {ev.outer} truncated")
        supply = f.get("token_total_supply")
        out.launches.append(
            {
                "mint": f["mint"],
                "creator": f.get("creator") or f["user"],
                "created_ts": _ts_ns(tv, f.get("timestamp")),
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
                "graduated_ts": _ts_ns(tv, f.get("timestamp")),
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


def _pumpswap_event(
    tv: TxView, ev: _Event, dec: idl_mod.DecodedEvent, out: TxParse, per_outer: Counter
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
        _row(
            tv,
            _ts_ns(tv, f.get("timestamp")),
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


# ------------------------------------------------------- balance-delta AMMs
def _balance_delta_swaps(tv: TxView, out: TxParse, per_outer: Counter) -> None:
    signers = set(tv.keys[: max(tv.num_signers, 1)])
    seen_pairs: set[tuple[int, int]] = set()
    for ins in tv.instructions:
        spec = BALANCE_DELTA_VENUES.get(ins.program)
        if spec is None:
            continue
        venue, reserves_are_price = spec
        vaults = []
        for a in dict.fromkeys(ins.accounts):
            pre, post = tv.pre_tokens.get(a), tv.post_tokens.get(a)
            tb = post or pre
            if tb is None or tb.owner in signers:
                continue
            delta = (post.amount if post else 0) - (pre.amount if pre else 0)
            if delta:
                vaults.append((a, tb, delta, post.amount if post else 0))
        sol_vaults = [v for v in vaults if v[1].mint == WSOL]
        token_vaults = [v for v in vaults if v[1].mint != WSOL]
        if not vaults:
            continue
        if len(sol_vaults) != 1 or len({v[1].mint for v in token_vaults}) != 1:
            out.skipped["non_sol_pair" if not sol_vaults else "ambiguous_vaults"] += 1
            continue
        sv = sol_vaults[0]
        tvault = max(token_vaults, key=lambda v: abs(v[2]))
        pair = (sv[0], tvault[0])
        if pair in seen_pairs:
            continue
        seen_pairs.add(pair)
        sol_delta, tok_delta = sv[2], tvault[2]
        if (sol_delta > 0) != (tok_delta > 0):
            side = 1 if sol_delta > 0 else -1
        else:
            side = 0  # both vaults grew (add liquidity) or shrank (remove liquidity)
        dec = tvault[1].decimals
        row = _row(
            tv,
            _ts_ns(tv),
            ins.outer,
            per_outer,
            mint=tvault[1].mint,
            venue=venue,
            trader=tv.fee_payer,
            side=side,
            sol_amount=abs(sol_delta) / LAMPORTS_PER_SOL,
            token_amount=abs(tok_delta) / 10**dec,
        )
        if reserves_are_price:
            row["virtual_sol_reserves"] = sv[3] / LAMPORTS_PER_SOL
            row["virtual_token_reserves"] = tvault[3] / 10**dec
        out.swaps.append(row)


def _count_unknown_programs(tv: TxView, out: TxParse) -> None:
    """Top-level instructions of programs we do not read, with no known DEX inside them."""
    known = set(_EVENT_PROGRAMS) | set(BALANCE_DELTA_VENUES) | INFRASTRUCTURE_PROGRAMS
    inside: dict[int, bool] = {}
    for ins in tv.instructions:
        if ins.inner >= 0 and (
            ins.program in _EVENT_PROGRAMS or ins.program in BALANCE_DELTA_VENUES
        ):
            inside[ins.outer] = True
    for ins in tv.instructions:
        if ins.inner < 0 and ins.program not in known and not inside.get(ins.outer):
            out.skipped["unknown_program"] += 1
