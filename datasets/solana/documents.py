"""Reading the JSON documents a Solana file holds: one object, a JSON array, or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_documents(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(row, document, error)`` with 1-based rows; ``error`` names a JSON problem.

    A file whose whole text is one JSON value yields that value (or each element of a top-level
    array); anything else is read as JSON lines, where a broken line is reported, not fatal.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        return
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError:
        doc = None
        whole = False
    else:
        whole = True
    if whole:
        if isinstance(doc, list):
            for i, item in enumerate(doc, start=1):
                yield i, item, None
        else:
            yield 1, doc, None
        return
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield i, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield i, line[:2000], f"json: line {i} does not parse: {exc.msg} at column {exc.colno}"


def block_transactions(doc: Any) -> tuple[list[Any], int | None] | None:
    """``(transactions, blockTime)`` when ``doc`` is a getBlock result (or its envelope)."""
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict) and "jsonrpc" in doc:
        doc = doc["result"]
    if isinstance(doc, dict) and isinstance(doc.get("transactions"), list):
        return doc["transactions"], doc.get("blockTime")
    return None
