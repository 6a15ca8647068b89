"""Anchor IDLs read as data: Borsh decoding of events and instruction accounts driven by the IDL.

The official IDL files ship in ``idl/`` (see ``idl/PROVENANCE.md``). Nothing about a layout is
hand-coded here: fields, types and discriminators come from the JSON. Decoding tolerates
*truncated* payloads (older program versions emitted prefixes of today's events, e.g. pump.fun's
2024 TradeEvent is the first 10 of the current 34 fields), so a field that is not in the bytes is
simply absent from the result and ``complete`` is False.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

IDL_DIR = Path(__file__).resolve().parent / "idl"
# Anchor's `emit_cpi!` wraps an event in a self-invocation whose data starts with this tag.
EVENT_IX_TAG = bytes.fromhex("e445a52e51cb9a1d")

_INTS = {
    "u8": ("<B", 1),
    "i8": ("<b", 1),
    "u16": ("<H", 2),
    "i16": ("<h", 2),
    "u32": ("<I", 4),
    "i32": ("<i", 4),
    "u64": ("<Q", 8),
    "i64": ("<q", 8),
    "f32": ("<f", 4),
    "f64": ("<d", 8),
}


class IdlDecodeError(ValueError):
    """Bytes that do not fit the IDL type (beyond plain truncation)."""


class _Truncated(Exception):
    """The payload ended before this field: an older, shorter layout."""


@dataclass(frozen=True)
class DecodedEvent:
    name: str
    fields: dict[str, Any]
    complete: bool  # False when the payload is a truncated (older) layout
    payload_len: int


class Idl:
    """One program's IDL: events by discriminator, instructions by discriminator."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.address: str = doc.get("address") or doc.get("metadata", {}).get("address", "")
        self.name: str = doc.get("metadata", {}).get("name") or doc.get("name", "")
        self.types: dict[str, dict[str, Any]] = {t["name"]: t for t in doc.get("types", [])}
        self.events: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
        for ev in doc.get("events", []):
            disc = bytes(ev["discriminator"])
            fields = ev.get("fields") or self.types[ev["name"]]["type"]["fields"]
            self.events[disc] = (ev["name"], fields)
        self.instructions: dict[bytes, tuple[str, list[str]]] = {}
        for ix in doc.get("instructions", []):
            if "discriminator" in ix:
                names = [a["name"] for a in ix.get("accounts", [])]
                self.instructions[bytes(ix["discriminator"])] = (ix["name"], names)

    @classmethod
    def load(cls, path: str | Path) -> Idl:
        return cls(json.loads(Path(path).read_text()))

    def decode_event(self, data: bytes) -> DecodedEvent | None:
        """Decode ``discriminator + payload``; None when the discriminator is not an event here."""
        spec = self.events.get(bytes(data[:8]))
        if spec is None:
            return None
        name, fields = spec
        out: dict[str, Any] = {}
        complete = _decode_fields(self, fields, memoryview(data), 8, out) == len(data)
        return DecodedEvent(name, out, complete and len(out) == len(fields), len(data) - 8)

    def instruction(self, data: bytes) -> tuple[str, list[str]] | None:
        """(name, account names) of the instruction whose discriminator starts ``data``."""
        return self.instructions.get(bytes(data[:8]))


def _decode_fields(
    idl: Idl, fields: list[dict[str, Any]], buf: memoryview, pos: int, out: dict[str, Any]
) -> int:
    """Decode fields in order into ``out``; stop quietly at the end of ``buf`` (truncation)."""
    for field in fields:
        try:
            value, pos = _decode(idl, field["type"], buf, pos)
        except _Truncated:
            break
        out[field["name"]] = value
    return pos


def _need(buf: memoryview, pos: int, n: int) -> None:
    if pos + n > len(buf):
        raise _Truncated


def _decode(idl: Idl, typ: Any, buf: memoryview, pos: int) -> tuple[Any, int]:
    if isinstance(typ, str):
        if typ in _INTS:
            fmt, n = _INTS[typ]
            _need(buf, pos, n)
            return struct.unpack_from(fmt, buf, pos)[0], pos + n
        if typ in ("pubkey", "publicKey"):
            _need(buf, pos, 32)
            return str(Pubkey.from_bytes(bytes(buf[pos : pos + 32]))), pos + 32
        if typ == "bool":
            _need(buf, pos, 1)
            if buf[pos] > 1:
                raise IdlDecodeError(f"bool byte {buf[pos]} at offset {pos}")
            return bool(buf[pos]), pos + 1
        if typ in ("u128", "i128"):
            _need(buf, pos, 16)
            return int.from_bytes(buf[pos : pos + 16], "little", signed=typ == "i128"), pos + 16
        if typ in ("string", "bytes"):
            _need(buf, pos, 4)
            (n,) = struct.unpack_from("<I", buf, pos)
            _need(buf, pos + 4, n)
            raw = bytes(buf[pos + 4 : pos + 4 + n])
            if typ == "bytes":
                return raw, pos + 4 + n
            try:
                return raw.decode("utf-8"), pos + 4 + n
            except UnicodeDecodeError as exc:
                raise IdlDecodeError(f"string at offset {pos} is not UTF-8") from exc
        raise IdlDecodeError(f"unsupported IDL type {typ!r}")
    if "vec" in typ:
        _need(buf, pos, 4)
        (n,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        items = []
        for _ in range(n):
            item, pos = _decode(idl, typ["vec"], buf, pos)
            items.append(item)
        return items, pos
    if "array" in typ:
        inner, n = typ["array"]
        items = []
        for _ in range(n):
            item, pos = _decode(idl, inner, buf, pos)
            items.append(item)
        return items, pos
    if "option" in typ:
        _need(buf, pos, 1)
        if buf[pos] == 0:
            return None, pos + 1
        return _decode(idl, typ["option"], buf, pos + 1)
    if "defined" in typ:
        ref = typ["defined"]
        name = ref["name"] if isinstance(ref, dict) else ref
        spec = idl.types.get(name)
        if spec is None:
            raise IdlDecodeError(f"IDL type {name!r} is not defined")
        body = spec["type"]
        if body["kind"] == "struct":
            out: dict[str, Any] = {}
            for field in body.get("fields", []):
                out[field["name"]], pos = _decode(idl, field["type"], buf, pos)
            return out, pos
        if body["kind"] == "enum":
            _need(buf, pos, 1)
            variants = body["variants"]
            k = buf[pos]
            if k >= len(variants):
                raise IdlDecodeError(f"enum {name} variant {k} out of range")
            variant = variants[k]
            pos += 1
            fields = variant.get("fields") or []
            values = []
            for f in fields:
                v, pos = _decode(idl, f["type"] if isinstance(f, dict) else f, buf, pos)
                values.append(v)
            return (variant["name"], values) if values else variant["name"], pos
    raise IdlDecodeError(f"unsupported IDL type {typ!r}")


@cache
def bundled(name: str) -> Idl:
    """A bundled IDL by file stem: ``pump`` (current), ``pump_amm`` (PumpSwap), ``pump_2024``."""
    path = IDL_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no bundled IDL {name!r} in {IDL_DIR}")
    return Idl.load(path)
