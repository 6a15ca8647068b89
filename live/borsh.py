"""Borsh encoding of IDL-typed values: instruction arguments (and, in tests, events).

The inverse of ``memelab.datasets.solana.idl``'s decoder, for the types pump.fun's instructions
use: integers, bool, pubkey, string/bytes, vec/array/option and defined structs (a struct whose
fields are bare types, like ``OptionBool``, takes a tuple or a single value).
"""

from __future__ import annotations

import struct
from typing import Any

from memelab.datasets.solana.idl import Idl
from solders.pubkey import Pubkey

_INTS = {
    "u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I", "i32": "<i",
    "u64": "<Q", "i64": "<q", "f32": "<f", "f64": "<d",
}  # fmt: skip


class BorshEncodeError(ValueError):
    """A value that does not fit its IDL type; the message names the field."""


def encode(idl: Idl, typ: Any, value: Any, where: str = "value") -> bytes:
    """``value`` serialised as IDL type ``typ``."""
    try:
        if isinstance(typ, str):
            if typ in _INTS:
                return struct.pack(_INTS[typ], value)
            if typ in ("u128", "i128"):
                return int(value).to_bytes(16, "little", signed=typ == "i128")
            if typ == "bool":
                return b"\x01" if value else b"\x00"
            if typ in ("pubkey", "publicKey"):
                key = value if isinstance(value, Pubkey) else Pubkey.from_string(str(value))
                return bytes(key)
            if typ in ("string", "bytes"):
                raw = value.encode() if typ == "string" else bytes(value)
                return struct.pack("<I", len(raw)) + raw
        elif "vec" in typ:
            items = list(value)
            body = b"".join(
                encode(idl, typ["vec"], v, f"{where}[{i}]") for i, v in enumerate(items)
            )
            return struct.pack("<I", len(items)) + body
        elif "array" in typ:
            inner, n = typ["array"]
            if len(value) != n:
                raise BorshEncodeError(f"{where}: expected {n} items, got {len(value)}")
            return b"".join(encode(idl, inner, v, f"{where}[{i}]") for i, v in enumerate(value))
        elif "option" in typ:
            return b"\x00" if value is None else b"\x01" + encode(idl, typ["option"], value, where)
        elif "defined" in typ:
            ref = typ["defined"]
            name = ref["name"] if isinstance(ref, dict) else ref
            body = idl.types[name]["type"]
            if body["kind"] == "struct":
                fields = body.get("fields") or []
                if fields and not isinstance(fields[0], dict):  # tuple struct, e.g. OptionBool
                    vals = value if isinstance(value, tuple | list) else (value,)
                    return b"".join(
                        encode(idl, f, v, where) for f, v in zip(fields, vals, strict=True)
                    )
                return b"".join(
                    encode(idl, f["type"], value[f["name"]], f"{where}.{f['name']}") for f in fields
                )
    except (struct.error, TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, BorshEncodeError):
            raise
        raise BorshEncodeError(f"{where}: {value!r} does not fit {typ!r} ({exc})") from None
    raise BorshEncodeError(f"{where}: unsupported IDL type {typ!r}")


def instruction_data(idl: Idl, name: str, args: dict[str, Any]) -> bytes:
    """Discriminator + Borsh-encoded arguments of instruction ``name``, in the IDL's order."""
    ix = next((i for i in idl.doc["instructions"] if i["name"] == name), None)
    if ix is None:
        raise BorshEncodeError(f"instruction {name!r} not in IDL {idl.name}")
    missing = [a["name"] for a in ix["args"] if a["name"] not in args]
    if missing:
        raise BorshEncodeError(f"instruction {name}: missing arguments {missing}")
    out = bytes(ix["discriminator"])
    for a in ix["args"]:
        out += encode(idl, a["type"], args[a["name"]], f"{name}.{a['name']}")
    return out
