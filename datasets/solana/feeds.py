"""Feed adapters: one message in, canonical rows out (pure functions; the live runner reuses them).

- PumpPortal websocket (``wss://pumpportal.fun/api/data``): ``create`` / ``buy`` / ``sell``
  messages with ``vSolInBondingCurve`` / ``vTokensInBondingCurve`` (reserves after the trade).
  When a message has no ``solAmount`` the SOL that moved is recovered from the curve invariant
  (``k = vS * vT`` is constant across the trade, so ``vS_before = k / vT_before``).
  PumpPortal messages carry no time: the caller passes ``received_ts`` (the live runner stamps
  arrival); a recorded message may carry ``timestamp``/``received_ts`` itself.
- Solana RPC ``logsSubscribe`` notifications for the pump.fun program: the ``Program data:``
  lines decoded exactly as in a full transaction (``parse``), the event's own clock as time.
- Substreams ``sf.solana.dex.trades.v1`` output: one row per swap; amounts there are the pool's
  signed vault changes, so the SOL side's sign gives the trade side (pool gained SOL: a buy).

Every adapter raises ``MalformedMessage`` (a ``ValueError``) naming the field at fault.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from memelab.datasets.solana import validate as v
from memelab.datasets.solana.parse import IX_STRIDE, NS, TxParse, parse_view
from memelab.datasets.solana.programs import PUMP_SUPPLY_TOKENS, VENUE_OF_PROGRAM, WSOL
from memelab.datasets.solana.tx import MalformedTransaction, TxView

_PUMPPORTAL_POOLS = {"pump": "pumpfun", "pump-amm": "pumpswap", "raydium": "raydium"}


class MalformedMessage(v.Malformed):
    """A feed message that cannot become a row; the message names the field."""


def _read(read: Any, value: Any, where: str, *args: Any) -> Any:
    """``read(value, where, *args)`` from ``validate``, its failure as a ``MalformedMessage``."""
    try:
        return read(value, where, *args)
    except MalformedMessage:
        raise
    except v.Malformed as exc:
        raise MalformedMessage(str(exc)) from None


def _num(msg: dict[str, Any], key: str, required: bool = True) -> float | None:
    value = msg.get(key)
    if value is None:
        if required:
            raise MalformedMessage(f"{key}: missing")
        return None
    return _read(v.number, value, key)


def _str(msg: dict[str, Any], key: str) -> str:
    value = msg.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"{key}: missing or not a string")
    return value


def _time_ns(value: Any, field: str) -> int:
    """Seconds, milliseconds or nanoseconds since the epoch -> ns."""
    try:
        return v.time_ns(value, field)
    except v.Malformed:
        raise MalformedMessage(f"{field}: not a time: {value!r}") from None


def pumpportal_rows(
    msg: dict[str, Any], received_ts: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(swaps rows, launches rows) for one PumpPortal message. Subscription acks give ([], [])."""
    if not isinstance(msg, dict):
        raise MalformedMessage(f"message is {type(msg).__name__}, not an object")
    if "txType" not in msg:
        if "message" in msg or "errors" in msg:  # {"message": "Successfully subscribed..."}
            return [], []
        raise MalformedMessage("txType: missing")
    kind = msg["txType"]
    if kind not in ("create", "buy", "sell"):
        raise MalformedMessage(f"txType: unknown {kind!r}")
    for key in ("timestamp", "received_ts", "ts"):
        if msg.get(key) is not None:
            ts = _time_ns(msg[key], key)
            break
    else:
        if received_ts is None:
            raise MalformedMessage(
                "timestamp: PumpPortal messages carry no time; record received_ts on capture"
            )
        ts = _read(v.integer, received_ts, "received_ts", 0, v.I64_MAX)
    signature = _read(v.signature, msg.get("signature"), "signature")
    mint = _read(v.pubkey, msg.get("mint"), "mint")
    trader = _read(v.pubkey, msg.get("traderPublicKey"), "traderPublicKey")
    vsol, vtok = _num(msg, "vSolInBondingCurve"), _num(msg, "vTokensInBondingCurve")
    if vtok <= 0 or vsol <= 0:
        raise MalformedMessage("vSolInBondingCurve/vTokensInBondingCurve: must be > 0")
    pool = msg.get("pool") or "pump"
    venue = _PUMPPORTAL_POOLS.get(pool, "other") if isinstance(pool, str) else "other"
    slot = _read(v.integer, msg.get("slot") or -1, "slot", -1, v.I64_MAX)
    launches: list[dict[str, Any]] = []
    if kind == "create":
        launches.append(
            {
                "mint": mint,
                "creator": trader,
                "created_ts": ts,
                "name": _read(v.optional_text, msg.get("name"), "name"),
                "symbol": _read(v.optional_text, msg.get("symbol"), "symbol"),
                "supply": PUMP_SUPPLY_TOKENS,
                "venue": venue,
                "graduated_ts": None,
                "signature": signature,
            }
        )
        tokens = _num(msg, "initialBuy", required=False) or 0.0
        if tokens == 0:
            return _checked([], launches)
        side = 1
    else:
        tokens = _num(msg, "tokenAmount")
        side = 1 if kind == "buy" else -1
    sol = _num(msg, "solAmount", required=False)
    if sol is None:
        if venue != "pumpfun":
            raise MalformedMessage("solAmount: missing (needed outside the bonding curve)")
        k = vsol * vtok
        vtok_before = vtok + tokens if side > 0 else vtok - tokens
        if vtok_before <= 0:
            raise MalformedMessage("tokenAmount: larger than the curve's tokens")
        sol = abs(vsol - k / vtok_before)
    row = {
        "ts": ts,
        "slot": slot,
        "signature": signature,
        "ix_index": 0,
        "mint": mint,
        "venue": venue,
        "trader": trader,
        "side": side,
        "sol_amount": sol,
        "token_amount": tokens,
        "price": sol / tokens if tokens > 0 else math.nan,
        "virtual_sol_reserves": vsol,
        "virtual_token_reserves": vtok,
        "fee": math.nan,
    }
    return _checked([row], launches)


def _checked(
    swaps: list[dict[str, Any]], launches: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows, once every one fits the lake (``validate.check_swap`` / ``check_launch``)."""
    try:
        for row in swaps:
            v.check_swap(row)
        for launch in launches:
            v.check_launch(launch)
    except v.Malformed as exc:
        raise MalformedMessage(str(exc)) from None
    return swaps, launches


def logs_notification_rows(msg: dict[str, Any]) -> TxParse:
    """Rows from one ``logsNotification`` (or its ``params.result`` / ``value``)."""
    if not isinstance(msg, dict):
        raise MalformedMessage(f"message is {type(msg).__name__}, not an object")
    if "params" in msg:
        result = _read(v.mapping, msg["params"], "params").get("result", msg)
    else:
        result = msg
    value = result.get("value", result) if isinstance(result, dict) else None
    if not isinstance(value, dict):
        raise MalformedMessage("params.result.value: missing")
    logs = value.get("logs")
    if not isinstance(logs, list):
        raise MalformedMessage("logs: missing")
    if not all(isinstance(line, str) for line in logs):
        raise MalformedMessage("logs: a log line is not a string")
    context = _read(v.mapping, result.get("context"), "context", True)
    tv = TxView(
        signature=_read(v.signature, value.get("signature"), "signature"),
        slot=_read(v.optional_integer, context.get("slot"), "context.slot", 0, v.I64_MAX),
        block_time=None,
        keys=[],
        num_signers=0,
        instructions=[],
        logs=logs,
        pre_lamports=[],
        post_lamports=[],
        err=value.get("err"),
    )
    try:
        return parse_view(tv)
    except MalformedTransaction as exc:
        raise MalformedMessage(str(exc)) from exc


def substreams_rows(
    output: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter]:
    """(rows, quarantined, skipped) for one ``sf.solana.dex.trades.v1.Output`` document."""
    data = output.get("@data", output) if isinstance(output, dict) else None
    trades = data.get("data") if isinstance(data, dict) else None
    if not isinstance(trades, list):
        raise MalformedMessage("@data.data: missing (not a sf.solana.dex.trades.v1 output)")
    rows: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    ordinal: Counter = Counter()
    for i, trade in enumerate(trades, start=1):
        try:
            row = substreams_trade_row(trade, ordinal)
        except MalformedMessage as exc:
            bad.append({"row": i, "reason": str(exc), "raw": trade})
            continue
        if row is None:
            skipped["non_sol_pair"] += 1
        else:
            rows.append(row)
    return rows, bad, skipped


def substreams_trade_row(trade: dict[str, Any], ordinal: Counter) -> dict[str, Any] | None:
    """One Substreams trade -> a swaps row (None for a pair without SOL). ``ordinal`` numbers the
    swaps inside one top-level instruction, shared across a block's trades."""
    if not isinstance(trade, dict):
        raise MalformedMessage("trade: not an object")
    base = _read(v.pubkey, trade.get("baseMint"), "baseMint")
    quote = _read(v.pubkey, trade.get("quoteMint"), "quoteMint")
    base_amt = _read(_signed, trade.get("baseAmount"), "baseAmount")
    quote_amt = _read(_signed, trade.get("quoteAmount"), "quoteAmount")
    if WSOL == quote:
        sol, tok, mint = quote_amt, base_amt, base
    elif WSOL == base:
        sol, tok, mint = base_amt, quote_amt, quote
    else:
        return None
    if sol == 0 or tok == 0 or (sol > 0) == (tok > 0):
        raise MalformedMessage(f"baseAmount/quoteAmount: {base_amt}, {quote_amt} is not a swap")
    signature = _read(v.signature, trade.get("txId"), "txId")
    program = trade.get("innerProgram") or _str(trade, "outerProgram")
    if "instructionIndex" in trade:
        outer = _read(v.integer, trade["instructionIndex"], "instructionIndex", 0, 2**21)
        key = (signature, outer)
        ix_index = outer * IX_STRIDE + ordinal[key]
        ordinal[key] += 1
    else:  # routed inner swap without its outer index: number it below zero, still unique
        inner = trade.get("innerInstruxtionIndex", trade.get("innerInstructionIndex", 0))
        ix_index = -1 - _read(v.integer, inner, "innerInstructionIndex", 0, 2**30)
    sol_abs, tok_abs = abs(sol), abs(tok)
    row = {
        "ts": _read(v.unix_seconds, trade.get("blockTime"), "blockTime") * NS,
        "slot": _read(v.integer, trade.get("blockSlot"), "blockSlot", 0, v.I64_MAX),
        "signature": signature,
        "ix_index": ix_index,
        "mint": mint,
        "venue": VENUE_OF_PROGRAM.get(program, "other") if isinstance(program, str) else "other",
        "trader": _read(v.pubkey, trade.get("signer"), "signer"),
        "side": 1 if sol > 0 else -1,  # the pool gained SOL: the trader bought the token
        "sol_amount": sol_abs,
        "token_amount": tok_abs,
        "price": sol_abs / tok_abs,
        "virtual_sol_reserves": math.nan,
        "virtual_token_reserves": math.nan,
        "fee": math.nan,
    }
    return _checked([row], [])[0][0]


def _signed(value: Any, where: str) -> float:
    """A finite number of either sign (Substreams amounts are signed vault changes)."""
    if isinstance(value, str) and value.startswith("-"):
        return -v.number(value[1:], where)
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return -v.number(-value, where)
    return v.number(value, where)


FEED_KINDS = ("pumpportal", "logs", "geyser", "rpc", "substreams")


def message_rows(kind: str, msg: Any, received_ts: int | None = None) -> TxParse:
    """One live message of feed ``kind`` -> rows: the single entry point for the live runner.

    ``received_ts`` (ns) is the arrival time, used where the message has no clock of its own
    (PumpPortal; geyser updates of AMM swaps, whose block time is unknown). Raises
    ``MalformedMessage`` (or ``MalformedTransaction``, also a ``ValueError``) with the reason.
    """
    if kind == "pumpportal":
        swaps, launches = pumpportal_rows(msg, received_ts)
        return TxParse(swaps=swaps, launches=launches)
    if kind == "logs":
        return logs_notification_rows(msg)
    if kind in ("geyser", "rpc"):
        from memelab.datasets.solana.parse import parse_transaction

        block_time = None if received_ts is None else received_ts // NS
        return parse_transaction(msg, block_time=block_time)
    if kind == "substreams":
        rows, bad, skipped = substreams_rows(msg)
        if bad:
            raise MalformedMessage(f"trade {bad[0]['row']}: {bad[0]['reason']}")
        return TxParse(swaps=rows, skipped=skipped)
    raise ValueError(f"unknown feed kind {kind!r}; expected one of {FEED_KINDS}")
