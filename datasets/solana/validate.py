"""The boundary between outside material (RPC answers, feed messages, files) and the parsers.

Every value the Solana parsers take from a document passes through one of these typed reads,
which return the value in the type the parser expects or raise ``Malformed`` naming the field.
Past this layer the parsers work on checked types and ranges, so a null, a wrong type or a huge
number anywhere in a document becomes a reason to quarantine it, never an exception elsewhere.
``check_swap`` / ``check_launch`` are the last gate: a row leaves an adapter only when every column
fits the lake (addresses of 32 bytes, a 64-byte signature, amounts finite and positive, times in
int64 nanoseconds).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature


class Malformed(ValueError):
    """Outside material that cannot be read; the message names the field at fault."""


U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1
NS = 1_000_000_000
# Unix seconds whose nanoseconds fit int64 (up to 2255); a block time is never negative.
MAX_UNIX_S = I64_MAX // NS


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def mapping(value: Any, where: str, optional: bool = False) -> dict[str, Any]:
    """A JSON object (``{}`` for an absent optional one)."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{where}: expected an object, got {type(value).__name__}")
    return value


def sequence(value: Any, where: str, optional: bool = False) -> list[Any]:
    """A JSON array (``[]`` for an absent optional one)."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{where}: expected an array, got {type(value).__name__}")
    return value


def integer(value: Any, where: str, lo: int = 0, hi: int = U64_MAX) -> int:
    """An integer in ``[lo, hi]``: a JSON int, an integral float, or a string of digits."""
    if isinstance(value, bool):
        raise Malformed(f"{where}: expected an integer, got {value!r}")
    if isinstance(value, int):
        out = value
    elif isinstance(value, float) and value.is_integer():
        out = int(value)
    elif isinstance(value, str) and 0 < len(value) <= 40 and value.lstrip("-").isdigit():
        out = int(value)
    else:
        raise Malformed(f"{where}: expected an integer, got {_show(value)}")
    if not lo <= out <= hi:
        raise Malformed(f"{where}: {_show(value)} is out of range [{lo}, {hi}]")
    return out


def optional_integer(value: Any, where: str, lo: int = 0, hi: int = U64_MAX) -> int | None:
    return None if value is None else integer(value, where, lo, hi)


def number(value: Any, where: str, positive: bool = False) -> float:
    """A finite number >= 0 (> 0 when ``positive``): a JSON number or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Malformed(f"{where}: expected a number, got {_show(value)}")
    try:
        out = float(value)
    except (ValueError, OverflowError):
        raise Malformed(f"{where}: not a number: {_show(value)}") from None
    if not math.isfinite(out) or out < 0 or (positive and out == 0):
        raise Malformed(
            f"{where}: must be finite and {'>' if positive else '>='} 0, got {_show(value)}"
        )
    return out


def text(value: Any, where: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise Malformed(f"{where}: expected a string, got {_show(value)}")
    return value


def optional_text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{where}: expected a string, got {_show(value)}")
    return value


@lru_cache(maxsize=1 << 16)
def _is_pubkey(value: str) -> bool:
    try:
        Pubkey.from_string(value)
    except ValueError:
        return False
    return True


def pubkey(value: Any, where: str) -> str:
    """A base58 address that decodes to 32 bytes."""
    if not isinstance(value, str) or not 32 <= len(value) <= 44 or not _is_pubkey(value):
        raise Malformed(f"{where}: not a base58 address: {_show(value)}")
    return value


_B58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def account_key(value: Any, where: str) -> str:
    """An account key of a transaction: base58 text of an address's length. Looser than
    ``pubkey``: some tools write the system program as 33 ones; rows still need ``pubkey``."""
    if not isinstance(value, str) or not 32 <= len(value) <= 44 or not _B58.issuperset(value):
        raise Malformed(f"{where}: not a base58 address: {_show(value)}")
    return value


def optional_account_key(value: Any, where: str) -> str | None:
    return None if value is None else account_key(value, where)


def optional_pubkey(value: Any, where: str) -> str | None:
    return None if value is None else pubkey(value, where)


def signature(value: Any, where: str) -> str:
    """A base58 transaction signature that decodes to 64 bytes."""
    if isinstance(value, str) and 64 <= len(value) <= 88:
        try:
            Signature.from_string(value)
            return value
        except ValueError:
            pass
    raise Malformed(f"{where}: not a base58 signature: {_show(value)}")


def unix_seconds(value: Any, where: str) -> int:
    """Seconds since the epoch whose nanoseconds fit int64."""
    return integer(value, where, 0, MAX_UNIX_S)


def time_ns(value: Any, where: str) -> int:
    """Seconds, milliseconds, microseconds or nanoseconds since the epoch (by magnitude) -> ns."""
    v = number(value, where)
    if v < 1e11:
        out = v * NS
    elif v < 1e14:
        out = v * 1e6
    elif v < 1e17:
        out = v * 1e3
    else:
        out = v
    if out >= 9.2e18:
        raise Malformed(f"{where}: time {_show(value)} is past year 2255")
    return int(out)


# ---------------------------------------------------------------------------------- rows
_SWAP_FLOATS = ("virtual_sol_reserves", "virtual_token_reserves", "fee")


def check_swap(row: dict[str, Any]) -> dict[str, Any]:
    """Raise ``Malformed`` unless every column of a swaps row fits the lake's rules."""
    integer(row["ts"], "ts", 0, I64_MAX)
    integer(row["slot"], "slot", -1, I64_MAX)
    signature(row["signature"], "signature")
    integer(row["ix_index"], "ix_index", -(2**31), 2**31 - 1)
    pubkey(row["mint"], "mint")
    pubkey(row["trader"], "trader")
    text(row["venue"], "venue")
    side = row["side"]
    if side not in (-1, 0, 1) or isinstance(side, bool):
        raise Malformed(f"side: expected -1, 0 or +1, got {_show(side)}")
    trade = side != 0
    for name in ("sol_amount", "token_amount"):
        number(row[name], name, positive=trade)
    price = row["price"]
    if trade or not math.isnan(price):
        number(price, "price", positive=True)
    for name in _SWAP_FLOATS:
        v = row[name]
        if not (isinstance(v, float) and math.isnan(v)):
            number(v, name, positive=name != "fee")
    return row


def check_launch(row: dict[str, Any]) -> dict[str, Any]:
    """Raise ``Malformed`` unless a launches row fits the lake's rules."""
    pubkey(row["mint"], "mint")
    pubkey(row["creator"], "creator")
    integer(row["created_ts"], "created_ts", 0, I64_MAX)
    optional_text(row.get("name"), "name")
    optional_text(row.get("symbol"), "symbol")
    number(row["supply"], "supply", positive=True)
    if row.get("graduated_ts") is not None:
        integer(row["graduated_ts"], "graduated_ts", 0, I64_MAX)
    if row.get("signature") is not None:
        signature(row["signature"], "signature")
    return row
