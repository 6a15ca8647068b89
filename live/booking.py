"""Book a final execution report into the ledger: the fill, the position, the closed trade.

Shared by paper and live (the report is the only thing that differs). Columns follow the
backtest's ``FILL_DTYPE`` / ``TRADE_DTYPE`` so the Parquet export reads like a backtest's.
Booking is idempotent per order: a report booked twice (a crash after booking, then recovery)
books once.
"""

from __future__ import annotations

import math
from typing import Any

from memelab.live.ledger import Ledger, now_ns
from memelab.live.orders import FAILED, LANDED, ExecutionReport, crash_point

DUST_TOKENS = 1e-9  # a position with fewer tokens left is closed


def book_report(ledger: Ledger, report: ExecutionReport) -> bool:
    """Book a landed or failed report; returns False when there is nothing (new) to book."""
    if report.status not in (LANDED, FAILED):
        return False
    order = ledger.order(report.order_id)
    if order is None:
        raise KeyError(f"order {report.order_id} not in the ledger")
    mint, side = order["mint"], int(order["side"])
    pos = ledger.position(mint)
    tx_fee = report.network_fee + report.tip
    if report.landed_ts is not None:
        ts = report.landed_ts
    else:
        ts = report.block_time * 10**9 if report.block_time is not None else now_ns()
    venue_fee = 0.0 if math.isnan(report.venue_fee) else report.venue_fee
    update: dict[str, Any] | None = None
    trade = None
    close = None
    if pos is None and side > 0 and report.status == LANDED:
        pos = {
            "mint": mint, "position": ledger.next_position_number(),
            "signal_id": order["signal_id"], "entry_ts": ts, "tokens": 0.0, "tokens0": 0.0,
            "cost": 0.0, "proceeds": 0.0, "fees": 0.0, "n_sells": 0, "peak_return": 0.0,
        }  # fmt: skip
    if pos is not None:
        update = dict(pos)
        update["fees"] += venue_fee + tx_fee
        if side > 0:
            update["cost"] += report.sol + tx_fee
            update["tokens"] += report.tokens
            update["tokens0"] += report.tokens
        else:
            update["proceeds"] += report.sol - tx_fee
            update["tokens"] -= report.tokens
            update["n_sells"] += int(report.status == LANDED)
        if side < 0 and update["tokens"] <= DUST_TOKENS:
            trade = {
                "position": update["position"], "signal_id": update["signal_id"], "mint": mint,
                "exit_reason": order["reason"], "entry_ts": update["entry_ts"], "exit_ts": ts,
                "entry_sol": update["cost"], "exit_sol": update["proceeds"],
                "tokens": update["tokens0"],
                "entry_price": update["cost"] / update["tokens0"] if update["tokens0"] else math.nan,
                "exit_price": update["proceeds"] / update["tokens0"] if update["tokens0"] else math.nan,
                "fees_sol": update["fees"], "peak_return": update["peak_return"],
                "n_sells": update["n_sells"],
            }  # fmt: skip
            update, close = None, mint
    fill = {
        "order_id": report.order_id, "signature": report.signature,
        "signal_id": order["signal_id"], "position": -1 if pos is None else pos["position"],
        "sent_ts": order["ts"], "ts": ts, "event": -1, "mint": mint, "side": side,
        "status": "ok" if report.status == LANDED else "failed", "reason": order["reason"],
        "sol": report.sol, "tokens": report.tokens,
        "price": report.sol / report.tokens if report.tokens > 0 else math.nan,
        "quote_price": order["quote_price"], "venue_fee": venue_fee, "tx_fee": tx_fee,
    }  # fmt: skip
    booked = ledger.book_fill(fill, update, trade, close)
    if booked:
        crash_point("after_booking")
    return booked
