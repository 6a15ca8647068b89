"""Reading the JSON documents a Solana file holds: one object, a JSON array, or JSON lines.

Nothing is held whole: JSON lines stream line by line and a JSON array element by element, so a
multi-gigabyte ``getBlock`` dump reads in the memory of its largest element. A document that does
not parse comes back with an error instead of stopping the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Read size of the array streamer, and the largest single element it buffers before refusing.
CHUNK_CHARS = 1 << 20
MAX_DOCUMENT_CHARS = 256 << 20
_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def loads(text: str) -> tuple[Any, str | None]:
    """(document, None) or (None, reason): also deep nesting and over-long integers are reasons."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} at column {exc.colno}"
    except (ValueError, RecursionError) as exc:  # int digits past the limit, nesting too deep
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"


def iter_documents(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(row, document, error)`` with 1-based rows; ``error`` names a JSON problem.

    JSON lines stream line by line (a broken line is reported, not fatal); a JSON array yields
    its elements as it reads them; any other file is one JSON document.
    """
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.read(CHUNK_CHARS)
        stripped = head.lstrip(_WS + "\ufeff")
        if not stripped:
            return
        if stripped.startswith("["):
            fh.seek(0)
            yield from _array_items(fh)
            return
        doc, _ = loads(stripped.split("\n", 1)[0])
        fh.seek(0)
        if isinstance(doc, dict):
            yield from _json_lines(fh)  # a complete object on its first line: JSON lines
            return
        text = fh.read(MAX_DOCUMENT_CHARS + 1)
    if len(text) > MAX_DOCUMENT_CHARS:
        yield (
            1,
            None,
            (
                f"json: one document over {MAX_DOCUMENT_CHARS >> 20} MB; write it as JSON lines "
                "(one transaction or message per line) or as a JSON array"
            ),
        )
        return
    doc, error = loads(text)
    if error is None:
        yield 1, doc, None
    else:  # e.g. JSON lines whose first line is broken
        yield from _json_lines(text.splitlines())


def _json_lines(lines: Any) -> Iterator[tuple[int, Any, str | None]]:
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        doc, error = loads(line)
        if error is None:
            yield i, doc, None
        else:
            yield i, line[:2000], f"json: line {i} does not parse: {error}"


def _array_items(fh: IO[str]) -> Iterator[tuple[int, Any, str | None]]:
    """The elements of a top-level JSON array, decoded one at a time from a sliding buffer.

    An element that does not parse stops the array (JSON has no way to find the next element
    for sure): it is reported with its position, and everything before it has been yielded.
    """
    buf, pos, eof, row = "", 0, False, 0

    def fill() -> bool:
        nonlocal buf, pos, eof
        chunk = fh.read(CHUNK_CHARS)
        eof = not chunk
        buf = buf[pos:] + chunk
        pos = 0
        return not eof

    fill()
    pos = buf.index("[") + 1
    expect_item = True
    while True:
        while True:  # skip whitespace (and one comma between elements)
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            if pos < len(buf) or not fill():
                break
        if pos >= len(buf):
            yield row + 1, None, "json: the array is not closed (file truncated?)"
            return
        ch = buf[pos]
        if ch == "]":
            return
        if ch == "," and not expect_item:
            pos += 1
            expect_item = True
            continue
        row += 1
        while True:
            error, final = None, False
            try:
                doc, end = _DECODER.raw_decode(buf, pos)
                if end < len(buf) or eof:  # a number cut by the buffer end would decode short
                    break
            except json.JSONDecodeError as exc:
                error = f"{exc.msg} at character {exc.pos}"
            except (ValueError, RecursionError) as exc:  # not a matter of reading more
                error, final = f"{type(exc).__name__}: {str(exc)[:200]}", True
            if final or eof or len(buf) - pos > MAX_DOCUMENT_CHARS:
                yield (
                    row,
                    buf[pos : pos + 2000],
                    (
                        f"json: array element {row} does not parse ({error}); the rest of the "
                        "array is not read: split the file into JSON lines (jq -c '.[]' FILE)"
                    ),
                )
                return
            fill()
        yield row, doc, None
        pos = end
        expect_item = False


def block_transactions(doc: Any) -> tuple[list[Any], Any] | None:
    """``(transactions, blockTime)`` when ``doc`` is a getBlock result (or its envelope)."""
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict) and "jsonrpc" in doc:
        doc = doc["result"]
    if isinstance(doc, dict) and isinstance(doc.get("transactions"), list):
        return doc["transactions"], doc.get("blockTime")
    return None
