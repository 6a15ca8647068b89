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

from collections import Counter
from typing import Any

from memelab.datasets.solana.amm import balance_delta_swaps
from memelab.datasets.solana.events import EVENT_PROGRAMS, collect_events, decode_event
from memelab.datasets.solana.programs import BALANCE_DELTA_VENUES, INFRASTRUCTURE_PROGRAMS, PUMPFUN
from memelab.datasets.solana.pump import pumpfun_event, pumpswap_event
from memelab.datasets.solana.rows import IX_STRIDE, NS, TxParse
from memelab.datasets.solana.tx import MalformedTransaction, TxView, tx_view
from memelab.datasets.solana.validate import (
    I64_MAX,
    Malformed,
    check_launch,
    check_swap,
    integer,
    pubkey,
    unix_seconds,
)

__all__ = ["IX_STRIDE", "NS", "TxParse", "parse_transaction", "parse_view"]


def parse_transaction(obj: Any, block_time: int | None = None) -> TxParse:
    """Rows from one transaction in any accepted form (see ``tx``). ``block_time`` (unix s) is
    used when the form carries none (getBlock-embedded, geyser). Raises ``MalformedTransaction``."""
    tv = tx_view(obj)
    if tv.block_time is None and block_time is not None:
        try:
            tv.block_time = unix_seconds(block_time, "blockTime")
        except Malformed as exc:
            raise MalformedTransaction(str(exc)) from None
    return parse_view(tv)


def parse_view(tv: TxView) -> TxParse:
    out = TxParse()
    if tv.failed:
        out.skipped["failed_transaction"] += 1
        return out
    per_outer: Counter = Counter()
    for ev in collect_events(tv):
        decoded = decode_event(ev)
        if decoded is None:
            out.skipped["unknown_event"] += 1
            continue
        if ev.program == PUMPFUN:
            pumpfun_event(tv, ev, decoded, out, per_outer)
        else:
            pumpswap_event(tv, ev, decoded, out, per_outer)
    balance_delta_swaps(tv, out, per_outer)
    _count_unknown_programs(tv, out)
    return checked(out)


def checked(out: TxParse) -> TxParse:
    """``out`` when every row fits the lake (``validate``); else ``MalformedTransaction`` naming
    the row and field, so the whole transaction is quarantined rather than half written."""
    what = "swap"
    try:
        for row in out.swaps:
            what = f"{row.get('venue')} swap ix_index {row.get('ix_index')}"
            check_swap(row)
        what = "launch"
        for row in out.launches:
            check_launch(row)
        what = "graduation"
        for grad in out.graduations:
            pubkey(grad["mint"], "mint")
            integer(grad["graduated_ts"], "graduated_ts", 0, I64_MAX)
    except Malformed as exc:
        raise MalformedTransaction(f"{what}: {exc}") from None
    return out


def _count_unknown_programs(tv: TxView, out: TxParse) -> None:
    """Top-level instructions of programs we do not read, with no known DEX inside them."""
    known = set(EVENT_PROGRAMS) | set(BALANCE_DELTA_VENUES) | INFRASTRUCTURE_PROGRAMS
    inside: dict[int, bool] = {}
    for ins in tv.instructions:
        if ins.inner >= 0 and (
            ins.program in EVENT_PROGRAMS or ins.program in BALANCE_DELTA_VENUES
        ):
            inside[ins.outer] = True
    for ins in tv.instructions:
        if ins.inner < 0 and ins.program not in known and not inside.get(ins.outer):
            out.skipped["unknown_program"] += 1
