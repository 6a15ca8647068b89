"""Reading the JSON documents a Solana file holds: one object, a JSON array, or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_documents(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(row, document, error)`` with 1-based rows; ``error`` names a JSON problem.

    JSON lines stream line by line (a broken line is reported, not fatal); a JSON array yields
    its elements; any other file is read as one JSON document, and as JSON lines if it is not one.
    """
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = ""
        for first in fh:
            if first.strip():
                break
        if not first.strip():
            return
        if not first.lstrip().startswith("["):
            try:
                doc = json.loads(first)
            except json.JSONDecodeError:
                doc = None
            if isinstance(doc, dict):  # a complete object on its own line: JSON lines
                fh.seek(0)
                yield from _json_lines(fh)
                return
        fh.seek(0)
        text = fh.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:  # e.g. JSON lines whose first line is broken
        yield from _json_lines(text.splitlines())
        return
    if isinstance(doc, list):
        for i, item in enumerate(doc, start=1):
            yield i, item, None
    else:
        yield 1, doc, None


def _json_lines(fh: Any) -> Iterator[tuple[int, Any, str | None]]:
    for i, line in enumerate(fh, start=1):
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
