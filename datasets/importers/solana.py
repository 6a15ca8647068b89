"""Readers for Solana material: ``rpc-json``, ``geyser``, ``pumpportal``, ``substreams``.

Each file may hold one document, a JSON array of them, or JSON lines. Transactions are parsed by
``memelab.datasets.solana.parse``; a transaction or message that cannot be read is quarantined
with its reason (row = its 1-based position in the file), never dropped; failed transactions,
unknown programs and non-SOL pairs are counted in ``skipped``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from memelab.datasets.ingest import ParseResult, register_reader
from memelab.datasets.solana.convert import launches_table, merge_graduations, swaps_table
from memelab.datasets.solana.documents import block_transactions, iter_documents
from memelab.datasets.solana.feeds import (
    logs_notification_rows,
    pumpportal_rows,
    substreams_rows,
)
from memelab.datasets.solana.parse import TxParse, parse_transaction
from memelab.datasets.solana.tx import MalformedTransaction
from memelab.datasets.solana.validate import Malformed, unix_seconds

BATCH_DOCUMENTS = 20_000


def _result(parsed: TxParse, bad: list[dict[str, Any]], seen: int) -> ParseResult:
    launches = merge_graduations(parsed.launches, parsed.graduations, parsed.skipped)
    return ParseResult(
        swaps=swaps_table(parsed.swaps),
        launches=launches_table(launches) if launches else None,
        quarantined=bad,
        skipped=dict(parsed.skipped),
        rows_read=seen,
    )


def _unexpected(exc: Exception) -> str:
    """The quarantine reason for an error no check foresaw: the last line of defence, so one
    document never stops a file (the property tests assert it is never reached)."""
    return f"unexpected {type(exc).__name__}: {str(exc)[:300]}"


def read_transactions(path: Path, preset: str | None = None) -> Iterator[ParseResult]:
    """RPC ``getTransaction``/``getBlock`` results (json, jsonParsed, base64) or geyser messages;
    ``logsNotification`` messages are accepted too."""
    parsed, bad, seen = TxParse(), [], 0
    for row, doc, error in iter_documents(path):
        seen += 1
        if error is not None:
            bad.append({"row": row, "reason": error, "raw": doc})
            continue
        try:
            parsed.extend(document_rows(doc))
        except Malformed as exc:
            bad.append({"row": row, "reason": f"transaction: {exc}", "raw": doc})
        except Exception as exc:  # noqa: BLE001 (see _unexpected)
            bad.append({"row": row, "reason": _unexpected(exc), "raw": doc})
        if seen % BATCH_DOCUMENTS == 0:
            yield _result(parsed, bad, seen)
            parsed, bad, seen = TxParse(), [], 0
    yield _result(parsed, bad, seen)


def document_rows(doc: Any) -> TxParse:
    """Rows of one document: a transaction, a getBlock result (all its transactions or none) or
    a ``logsNotification``. Raises ``Malformed`` with the reason."""
    block = block_transactions(doc)
    if block is not None:
        txs, block_time = block
        if block_time is not None:
            block_time = unix_seconds(block_time, "blockTime")
        out = TxParse()
        for i, tx in enumerate(txs):
            try:
                out.extend(parse_transaction(tx, block_time=block_time))
            except MalformedTransaction as exc:
                raise MalformedTransaction(f"transactions[{i}]: {exc}") from None
        return out
    if isinstance(doc, dict) and doc.get("method") == "logsNotification":
        return logs_notification_rows(doc)
    return parse_transaction(doc)


def read_pumpportal(path: Path, preset: str | None = None) -> Iterator[ParseResult]:
    """PumpPortal websocket messages as recorded (one per line or a JSON array)."""
    swaps: list[dict[str, Any]] = []
    launches: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    seen = 0
    for row, doc, error in iter_documents(path):
        seen += 1
        if error is not None:
            bad.append({"row": row, "reason": error, "raw": doc})
            continue
        try:
            s, launch = pumpportal_rows(doc)
        except Malformed as exc:
            bad.append({"row": row, "reason": str(exc), "raw": doc})
            continue
        except Exception as exc:  # noqa: BLE001 (see _unexpected)
            bad.append({"row": row, "reason": _unexpected(exc), "raw": doc})
            continue
        if not s and not launch:
            skipped["control_message"] += 1
        swaps.extend(s)
        launches.extend(launch)
        if seen % BATCH_DOCUMENTS == 0:
            yield _rows_result(swaps, launches, bad, skipped, seen)
            swaps, launches, bad, skipped, seen = [], [], [], Counter(), 0
    yield _rows_result(swaps, launches, bad, skipped, seen)


def _rows_result(
    swaps: list[dict[str, Any]],
    launches: list[dict[str, Any]],
    bad: list[dict[str, Any]],
    skipped: Counter,
    seen: int,
) -> ParseResult:
    return ParseResult(
        swaps=swaps_table(swaps),
        launches=launches_table(launches) if launches else None,
        quarantined=bad,
        skipped=dict(skipped),
        rows_read=seen,
    )


def read_substreams(path: Path, preset: str | None = None) -> Iterator[ParseResult]:
    """Substreams ``sf.solana.dex.trades.v1`` outputs (one block per document); every trade of a
    block counts as a row, and a bad trade is quarantined alone."""
    rows: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    seen = 0
    for row, doc, error in iter_documents(path):
        if error is not None:
            seen += 1
            bad.append({"row": row, "reason": error, "raw": doc})
            continue
        try:
            r, b, s = substreams_rows(doc)
        except Malformed as exc:
            seen += 1
            bad.append({"row": row, "reason": str(exc), "raw": doc})
            continue
        except Exception as exc:  # noqa: BLE001 (see _unexpected)
            seen += 1
            bad.append({"row": row, "reason": _unexpected(exc), "raw": doc})
            continue
        seen += len(r) + len(b) + sum(s.values())
        rows.extend(r)
        bad.extend(b)
        skipped.update(s)
        if len(rows) >= BATCH_DOCUMENTS:
            yield _rows_result(rows, [], bad, skipped, seen)
            rows, bad, skipped, seen = [], [], Counter(), 0
    yield _rows_result(rows, [], bad, skipped, seen)


register_reader("rpc-json", read_transactions)
register_reader("geyser", read_transactions)
register_reader("pumpportal", read_pumpportal)
register_reader("substreams", read_substreams)

__all__ = ["read_pumpportal", "read_substreams", "read_transactions"]
