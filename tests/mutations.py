"""Hypothesis strategies that damage real documents the way a network or an export does.

``mutated(doc)`` draws 1-3 mutations of a JSON document (a real fixture from ../shared/data):
values set to null, wrong types, truncated strings, flipped base58 characters, huge or
non-finite numbers, deleted keys, nested junk, and, on ``Program data:`` log lines, a wrong
discriminator or short event data. ``mutated_text(text)`` damages a file's bytes (truncation,
flipped characters, stray quotes, newlines, NUL and invalid UTF-8). Shrinking works: every choice
is an integer or a sampled element.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from hypothesis import strategies as st

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Characters a flip may write: base58 ones (a valid-looking but wrong address) and others.
FLIP_CHARS = B58 + "0OIl+/=-_ \x00é\n\"'{"
WRONG_TYPES: list[Any] = [0, -1, 1.5, "x", "", [], {}, True, False, [1, 2], {"a": 1}, "0x1f"]
HUGE: list[Any] = [2**64, 2**63, -(2**63) - 1, 10**30, 10**400, 1e308, -1e308, -1, -0.0]
HUGE += [float("inf"), float("-inf"), float("nan"), "1e400", "-5", "9" * 60]
JUNK: list[Any] = [{"a": [None, {"b": [[]]}], "": 1}, [[[[None]]]], {"result": {"meta": []}}]
# Discriminators of real events of the bundled IDLs: a payload with another event's tag.
EVENT_TAGS = [
    bytes.fromhex("bddb7fd34ee661ee"),  # pump.fun TradeEvent
    bytes.fromhex("1b72a94ddeeb6376"),  # pump.fun CreateEvent
    bytes.fromhex("5f72619cd42e9808"),  # pump.fun CompleteEvent
    bytes.fromhex("67f4521f2cf57777"),  # PumpSwap BuyEvent
    bytes.fromhex("3e2f370aa503dc2a"),  # PumpSwap SellEvent
    bytes.fromhex("e445a52e51cb9a1d"),  # emit_cpi tag
    b"\0" * 8,
    b"\xff" * 8,
]
KINDS = ("null", "type", "truncate", "flip", "huge", "delete", "junk", "discriminator", "short")


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node's path below the root (keys and list indices), depth-first."""
    out: list[tuple] = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for k, v in items:
        out.append((*prefix, k))
        out.extend(paths(v, (*prefix, k)))
    return out


def _get(doc: Any, path: tuple) -> tuple[Any, Any] | None:
    """(parent, key) of ``path`` in ``doc``, or None when an earlier mutation removed it."""
    node = doc
    for k in path[:-1]:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return None
    try:
        node[path[-1]]
    except (KeyError, IndexError, TypeError):
        return None
    return node, path[-1]


def _event_lines(doc: Any, all_paths: list[tuple]) -> list[tuple]:
    out = []
    for p in all_paths:
        hit = _get(doc, p)
        if hit and isinstance(hit[0][hit[1]], str) and hit[0][hit[1]].startswith("Program data: "):
            out.append(p)
    return out


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """A deep copy of ``doc`` with 1-3 mutations (see the module docstring)."""
    doc = copy.deepcopy(doc)
    all_paths = paths(doc)
    strings = [p for p in all_paths if isinstance(_get(doc, p)[0][p[-1]], str)]
    events = _event_lines(doc, all_paths)
    if not all_paths:
        return draw(st.sampled_from([None, [], "x", 1, *JUNK]))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(KINDS))
        pool = {"truncate": strings, "flip": strings, "discriminator": events, "short": events}
        candidates = pool.get(kind, all_paths) or all_paths
        path = candidates[draw(st.integers(0, len(candidates) - 1))]
        hit = _get(doc, path)
        if hit is None:
            continue
        parent, key = hit
        value = parent[key]
        if kind == "null":
            parent[key] = None
        elif kind == "type":
            parent[key] = draw(st.sampled_from(WRONG_TYPES))
        elif kind == "huge":
            parent[key] = draw(st.sampled_from(HUGE))
        elif kind == "junk":
            parent[key] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif kind == "delete":
            del parent[key]
        elif kind in ("truncate", "flip") and isinstance(value, str) and value:
            i = draw(st.integers(0, len(value) - 1))
            if kind == "truncate":
                parent[key] = value[:i]
            else:
                parent[key] = value[:i] + draw(st.sampled_from(FLIP_CHARS)) + value[i + 1 :]
        elif kind in ("discriminator", "short") and isinstance(value, str):
            try:
                data = base64.b64decode(value[len("Program data: ") :])
            except ValueError:
                continue
            if kind == "discriminator":
                data = draw(st.sampled_from(EVENT_TAGS)) + data[8:]
            else:
                data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
            parent[key] = "Program data: " + base64.b64encode(data).decode()
    return doc


@st.composite
def mutated_text(draw: st.DrawFn, text: bytes) -> bytes:
    """``text`` with 1-3 byte-level mutations: truncation, flips, quotes, newlines, bad bytes."""
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        kind = draw(st.sampled_from(("truncate", "flip", "insert", "delete")))
        if kind == "truncate":
            text = text[:i]
        elif kind == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            new = draw(st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xc3", b"9"]))
            text = text[:i] + new + text[i + (kind == "flip") :]
    return text
