"""Vectorised field parsing and validation shared by every tabular preset.

Each parser takes one column (Arrow array of strings or numbers, or ``None`` when the file has no
such column) and returns NumPy values plus a boolean mask of rows that are *bad* (present but
unusable). Missing values are reported separately so a required field can say "missing" and an
optional one can fall back to NaN. ``build_swaps`` turns canonical columns into a swaps table and
quarantine records, one reason per bad field, so no good row is ever held back by a bad one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from memelab.datasets.ingest import ParseResult
from memelab.datasets.text_nb import base58_decoded_len, hash128_nb, null_words, strings_buffers

_NULL_STRINGS = ("", "nan", "NaN", "NAN", "null", "NULL", "None", "none", "NA", "N/A")
_BASE58_RE = "^[1-9A-HJ-NP-Za-km-z]+$"

# Venue names as exports spell them -> the canonical names of ``schemas.VENUES``.
VENUE_ALIASES: dict[str, str] = {
    "pump.fun": "pumpfun",
    "pump": "pumpfun",
    "pumpfun": "pumpfun",
    "pump_fun": "pumpfun",
    "pump_amm": "pumpswap",
    "pump amm": "pumpswap",
    "pumpswap": "pumpswap",
    "pumpfun amm": "pumpswap",
    "raydium": "raydium",
    "raydium amm": "raydium",
    "raydium_amm": "raydium",
    "raydium cpmm": "raydium",
    "raydium clmm": "raydium",
    "raydium_launchlab": "launchlab",
    "launchlab": "launchlab",
    "meteora": "meteora",
    "meteora dlmm": "meteora",
    "meteora_dlmm": "meteora",
}
SOL_MINTS = frozenset(
    {"So11111111111111111111111111111111111111112", "11111111111111111111111111111111"}
)


def as_array(col: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array:
    """One contiguous array of length ``n`` (all-null strings when the column is absent).

    Dictionary-encoded, large and view strings (as Parquet writers of pandas, polars or Spark
    produce them) become plain strings, so every parser sees one string type.
    """
    if col is None:
        return pa.nulls(n, pa.string())
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], col.type)
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if (
        pa.types.is_large_string(col.type)
        or pa.types.is_string_view(col.type)
        or pa.types.is_binary(col.type)
        or pa.types.is_large_binary(col.type)
    ):
        col = col.cast(pa.string())
    if not _parseable(col.type):  # lists, maps, durations...: their text, to be refused
        col = pa.array([None if x is None else str(x) for x in col.to_pylist()], pa.string())
    return col


def _parseable(t: pa.DataType) -> bool:
    """Types the field parsers read directly (anything else is turned into text first)."""
    return (
        pa.types.is_string(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_date(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    )


def null_mask(col: pa.Array) -> np.ndarray:
    """Rows where the value is absent: null, or an empty / 'nan' / 'null' string."""
    if pa.types.is_string(col.type):
        return null_words(col)[0]  # one compiled pass over the string buffers
    # ``or_kleene``: null OR true is true. Plain ``or_`` gives null there (read as False below),
    # which lost every null of a float or large-string column.
    missing = pc.is_null(col)
    if pa.types.is_large_string(col.type):
        stripped = pc.utf8_trim_whitespace(col)
        missing = pc.or_kleene(missing, pc.is_in(stripped, value_set=pa.array(_NULL_STRINGS)))
    elif pa.types.is_floating(col.type):
        missing = pc.or_kleene(missing, pc.is_nan(col))
    return missing.fill_null(True).to_numpy(zero_copy_only=False).astype(bool)


def to_str(col: pa.Array) -> np.ndarray:
    """Values as a NumPy object array of str (None where null); for messages and raw records."""
    return col.cast(pa.string()).to_numpy(zero_copy_only=False)


def parse_float(col: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, missing, bad): float64 values, NaN where missing or bad."""
    missing = null_mask(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        values = (
            col.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False).astype(np.float64)
        )
        values[missing] = np.nan
        return values, missing, np.zeros(len(col), dtype=bool)
    if pa.types.is_boolean(col.type):
        return parse_float(col.cast(pa.int8()))
    if not missing.any():  # fast path: plain numbers, nothing to trim or strip
        try:
            values = col.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
            return values, missing, np.zeros(len(col), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    text = pc.replace_substring(pc.utf8_trim_whitespace(col.cast(pa.string())), ",", "")
    text = pc.if_else(pa.array(missing), pa.nulls(len(col), pa.string()), text)
    try:  # fast path: every present value is a number
        values = text.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        return values, missing, np.zeros(len(col), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = pd.to_numeric(pd.Series(to_str(text), dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~missing & np.isnan(values)
    return values, missing, bad


def parse_int(col: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, missing, bad) for integer fields; a fractional or huge value is bad."""
    if pa.types.is_integer(col.type):
        missing = null_mask(col)
        values = col.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False)
        return values.astype(np.int64), missing, np.zeros(len(col), dtype=bool)
    values, missing, bad = parse_float(col)
    ok = ~missing & ~bad
    frac = ok & ((values != np.floor(values)) | (np.abs(values) >= 2**62))
    bad = bad | frac
    out = np.zeros(len(col), dtype=np.int64)
    good = ok & ~frac
    out[good] = values[good].astype(np.int64)
    return out, missing, bad


def _epoch_to_ns(values: np.ndarray) -> np.ndarray:
    """Epoch numbers in s, ms, us or ns (by magnitude, per row) -> int64 ns.

    Whole and fractional parts are scaled apart, so 1700000000.25 s is exactly ...250000000 ns.
    """
    mag = np.abs(values)
    scale = np.select([mag < 1e11, mag < 1e14, mag < 1e17], [10**9, 10**6, 10**3], 1)
    whole = np.trunc(values)
    frac = values - whole
    return whole.astype(np.int64) * scale + np.round(frac * scale).astype(np.int64)


def _past_int64_ns(values: np.ndarray) -> np.ndarray:
    """Epoch numbers whose nanosecond value would not fit int64 (after year 2255)."""
    mag = np.abs(values)
    unit = np.select([mag < 1e11, mag < 1e14, mag < 1e17], [1e9, 1e6, 1e3], 1.0)
    return mag * unit >= 9e18


def parse_ts(col: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ns, missing, bad): ISO-8601 strings (naive = UTC), epoch s/ms/us/ns numbers or digits."""
    n = len(col)
    if pa.types.is_timestamp(col.type):
        missing = null_mask(col)
        if col.type.tz is None:
            col = pc.assume_timezone(col, "UTC")
        ns = col.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).fill_null(0)
        return ns.to_numpy(zero_copy_only=False), missing, np.zeros(n, dtype=bool)
    if pa.types.is_date(col.type):
        return parse_ts(col.cast(pa.timestamp("s")))
    missing = null_mask(col)
    out = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        v = np.nan_to_num(
            col.cast(pa.float64(), safe=False).fill_null(0).to_numpy(zero_copy_only=False)
        )
        bad = ~missing & _past_int64_ns(v)
        v[bad] = 0
        if pa.types.is_integer(col.type):  # exact integer arithmetic, no float rounding
            ints = col.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False).copy()
            ints[bad] = 0
            mag = np.abs(ints)
            scale = np.select([mag < 10**11, mag < 10**14, mag < 10**17], [10**9, 10**6, 10**3], 1)
            return ints * scale, missing, bad
        return _epoch_to_ns(v), missing, bad
    present = ~missing
    if present.all():  # the usual export: one ISO form throughout, parsed by Arrow in one pass
        fast = _iso_ns(col.cast(pa.string()))
        if fast is not None:
            return fast, missing, bad
    text_arr = pc.utf8_trim_whitespace(col.cast(pa.string()))
    numeric = present & pc.match_substring_regex(text_arr, r"^[+-]?\d+(\.\d*)?$").fill_null(
        False
    ).to_numpy(zero_copy_only=False).astype(bool)
    iso = present & ~numeric
    fast = _iso_ns(text_arr.filter(pa.array(iso))) if iso.any() else None
    if fast is not None:  # every ISO value parsed by Arrow's compiled parser
        out[iso] = fast
        iso = np.zeros(n, dtype=bool)
    if not (numeric.any() or iso.any()):
        return out, missing, bad
    text = pd.Series(to_str(text_arr), dtype=object)
    if numeric.any():
        overflow = np.flatnonzero(numeric)[_past_int64_ns(text[numeric].astype(float).to_numpy())]
        bad[overflow] = True
        numeric[overflow] = False
    if numeric.any():
        digits = text[numeric]
        is_int = ~digits.str.contains(".", regex=False).to_numpy()
        ints = digits[is_int].astype(np.int64).to_numpy()
        mag = np.abs(ints)
        scale = np.select([mag < 10**11, mag < 10**14, mag < 10**17], [10**9, 10**6, 10**3], 1)
        vals = np.empty(len(digits), dtype=np.int64)
        vals[is_int] = ints * scale
        vals[~is_int] = _epoch_to_ns(digits[~is_int].astype(float).to_numpy())
        out[numeric] = vals
    if iso.any():
        parsed = pd.to_datetime(text[iso], utc=True, errors="coerce", format="ISO8601")
        ok = parsed.notna().to_numpy()
        vals = np.zeros(int(iso.sum()), dtype=np.int64)
        vals[ok] = parsed[ok].dt.as_unit("ns").astype("int64").to_numpy()
        out[iso] = vals
        bad[np.flatnonzero(iso)[~ok]] = True
    return out, missing, bad


def _iso_ns(text: pa.Array) -> np.ndarray | None:
    """ISO-8601 strings -> int64 ns by Arrow's parser (naive = UTC, or all with an offset);
    None when any value needs the per-value path (mixed forms, garbage)."""
    for typ in (pa.timestamp("ns"), pa.timestamp("ns", tz="UTC")):
        try:
            return text.cast(typ).cast(pa.int64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


_SIDE_WORDS = {
    "buy": 1,
    "b": 1,
    "+1": 1,
    "1": 1,
    "1.0": 1,
    "sell": -1,
    "s": -1,
    "-1": -1,
    "-1.0": -1,
    # A liquidity event (pool created, migrated, liquidity pulled): no trade, real reserves.
    "0": 0,
    "0.0": 0,
    "liquidity": 0,
}


def parse_side(col: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(side, missing, bad): buy/sell, b/s, +1/-1 (any case) -> +1 / -1; 0/liquidity -> 0."""
    missing = null_mask(col)
    words = pc.utf8_lower(pc.utf8_trim_whitespace(col.cast(pa.string())))
    keys = pa.array(list(_SIDE_WORDS))
    idx = pc.index_in(words, value_set=keys)
    lut = np.array(list(_SIDE_WORDS.values()), dtype=np.int8)
    found = ~pc.is_null(idx).to_numpy(zero_copy_only=False)
    side = np.zeros(len(col), dtype=np.int8)
    side[found] = lut[idx.filter(pc.invert(pc.is_null(idx))).to_numpy().astype(np.int64)]
    bad = ~missing & ~found
    return side, missing, bad


def valid_base58(col: pa.Array, min_len: int, max_len: int) -> np.ndarray:
    """Strict charset + length check (vectorised regex); True where valid."""
    text = pc.utf8_trim_whitespace(col.cast(pa.string()))
    ok = pc.and_(
        pc.match_substring_regex(text, _BASE58_RE),
        pc.and_(
            pc.greater_equal(pc.utf8_length(text), min_len),
            pc.less_equal(pc.utf8_length(text), max_len),
        ),
    )
    return ok.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def valid_pubkey(col: pa.Array) -> np.ndarray:
    """True where the value is base58 that decodes to a 32-byte Solana address (compiled;
    whitespace around the value is ignored)."""
    return base58_decoded_len(col.cast(pa.string())) == 32


def valid_signature(col: pa.Array) -> np.ndarray:
    """True where the value is base58 that decodes to a 64-byte transaction signature."""
    return base58_decoded_len(col.cast(pa.string())) == 64


def trimmed(col: pa.Array) -> pa.Array:
    """String values without surrounding whitespace (a copy only when some value has any)."""
    col = col.cast(pa.string())
    return pc.utf8_trim_whitespace(col) if null_words(col)[1] else col


def normalize_venue(col: pa.Array, default: str) -> pa.Array:
    """Lower-case venue names mapped to ``schemas.VENUES`` spellings; ``default`` when absent."""
    missing = null_mask(col)
    encoded = pc.dictionary_encode(pc.utf8_lower(pc.utf8_trim_whitespace(col.cast(pa.string()))))
    names = [VENUE_ALIASES.get(v, v) if v else default for v in encoded.dictionary.to_pylist()]
    codes = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    values = np.array(names, dtype=object)[codes] if names else np.full(len(col), default, object)
    values[missing] = default
    return pa.array(values, pa.string())


@dataclass
class Canonical:
    """One batch of a file mapped to canonical field names (values not yet validated).

    ``columns`` holds raw arrays by canonical name (absent optional fields are simply left out);
    ``rows`` the 1-based data row number in the file of every entry; ``raw`` the original rows,
    for quarantine records.
    """

    columns: dict[str, pa.Array]
    rows: np.ndarray
    raw: pa.Table
    default_venue: str = "other"
    scale: dict[str, float] | None = None  # unit conversion per field, e.g. lamports -> SOL


_REQUIRED = ("ts", "slot", "signature", "mint", "trader", "side", "sol_amount", "token_amount")
_OPTIONAL_NUMBERS = ("price", "virtual_sol_reserves", "virtual_token_reserves", "fee")
_ALL_FIELDS = (*_REQUIRED, *_OPTIONAL_NUMBERS, "ix_index", "venue")


def build_swaps(canon: Canonical) -> ParseResult:
    """Validate canonical columns; good rows become a swaps table, bad rows quarantine records."""
    n = len(canon.rows)
    cols = {k: as_array(canon.columns.get(k), n) for k in _ALL_FIELDS}
    problems: list[tuple[str, np.ndarray, str, pa.Array | None]] = []  # field, mask, msg, values

    def check(name: str, missing: np.ndarray, bad: np.ndarray, what: str, required: bool) -> None:
        if required:
            problems.append((name, missing, "missing", None))
        problems.append((name, bad, what, cols[name]))

    ts, miss, bad = parse_ts(cols["ts"])
    check("ts", miss, bad, "not a timestamp", True)
    slot, miss, bad = parse_int(cols["slot"])
    check("slot", miss, bad | (slot < 0), "not a slot number", True)
    col = cols["signature"]
    miss = null_mask(col)
    check("signature", miss, ~miss & ~valid_signature(col), "not a base58 signature", True)
    for name in ("mint", "trader"):
        col = cols[name]
        miss = null_mask(col)
        check(name, miss, ~miss & ~valid_pubkey(col), "not a base58 address", True)
    side, miss, bad = parse_side(cols["side"])
    check("side", miss, bad, "unknown side", True)
    liquidity = (side == 0) & ~miss & ~bad  # amounts may be 0; price may come from reserves
    scale = canon.scale or {}
    numbers: dict[str, np.ndarray] = {}
    for name in ("sol_amount", "token_amount"):
        v, miss, bad = parse_float(cols[name])
        v = v * scale.get(name, 1.0)
        numbers[name] = v
        check(name, miss, bad, "not a number", True)
        valid = np.isfinite(v) & ((v > 0) | (liquidity & (v >= 0)))
        problems.append((name, ~miss & ~bad & ~valid, "must be > 0", cols[name]))
    for name in _OPTIONAL_NUMBERS:
        v, miss, bad = parse_float(cols[name])
        v = v * scale.get(name, 1.0)
        numbers[name] = v
        check(name, miss, bad, "not a number", False)
        ok = ~miss & ~bad
        positive = name != "fee"
        invalid = ok & ~(np.isfinite(v) & ((v > 0) if positive else (v >= 0)))
        problems.append((name, invalid, "must be > 0" if positive else "must be >= 0", cols[name]))
    ix, miss, bad = parse_int(cols["ix_index"])
    check("ix_index", miss, bad | (ix < 0) | (ix >= 2**31), "not an instruction index", False)
    price = numbers["price"]
    derive = np.isnan(price)
    with np.errstate(divide="ignore", invalid="ignore"):  # zeros only in refused rows
        traded = numbers["sol_amount"] / numbers["token_amount"]
        curve = numbers["virtual_sol_reserves"] / numbers["virtual_token_reserves"]
    price = np.where(derive, np.where(liquidity, curve, traded), price)
    no_price = liquidity & ~np.isfinite(price)
    problems.append(("price", no_price, "missing for a liquidity event without reserves", None))

    bad_any = np.zeros(n, dtype=bool)
    for _, mask, _, _ in problems:
        bad_any |= mask
    quarantined = _quarantine_records(canon, problems, bad_any)
    good = ~bad_any
    table = pa.table(
        {
            "ts": pa.array(ts[good], pa.int64()),
            "slot": pa.array(slot[good], pa.int64()),
            "signature": trimmed(cols["signature"].filter(good)),
            "ix_index": pa.array(ix[good], pa.int32()),
            "mint": trimmed(cols["mint"].filter(good)),
            "venue": normalize_venue(cols["venue"], canon.default_venue).filter(good),
            "trader": trimmed(cols["trader"].filter(good)),
            "side": pa.array(side[good], pa.int8()),
            "sol_amount": pa.array(numbers["sol_amount"][good]),
            "token_amount": pa.array(numbers["token_amount"][good]),
            "price": pa.array(price[good]),
            "virtual_sol_reserves": pa.array(numbers["virtual_sol_reserves"][good]),
            "virtual_token_reserves": pa.array(numbers["virtual_token_reserves"][good]),
            "fee": pa.array(numbers["fee"][good]),
        }
    )
    return ParseResult(swaps=table, quarantined=quarantined, rows_read=n)


def _quarantine_records(
    canon: Canonical,
    problems: list[tuple[str, np.ndarray, str, pa.Array | None]],
    bad_any: np.ndarray,
) -> list[dict[str, Any]]:
    """One record per bad row: 1-based file row, every reason (``field: problem 'value'``), raw."""
    idx = np.flatnonzero(bad_any)
    if not len(idx):
        return []
    reasons: dict[int, list[str]] = {int(i): [] for i in idx}
    for name, mask, msg, values in problems:
        hits = np.flatnonzero(mask)
        if not len(hits):
            continue
        shown = to_str(values.take(pa.array(hits))) if values is not None else [None] * len(hits)
        for i, v in zip(hits, shown, strict=True):
            reasons[int(i)].append(f"{name}: {msg}" + (f" {v!r}" if v is not None else ""))
    raw = canon.raw.take(pa.array(idx)).to_pylist()
    return [
        {"row": int(canon.rows[i]), "reason": "; ".join(reasons[int(i)]), "raw": r}
        for i, r in zip(idx, raw, strict=True)
    ]


def signature_ordinals(signatures: pa.Array, carry: dict[int, int]) -> np.ndarray:
    """Position of each row among the rows of its signature (0, 1, ...), for sources that give no
    instruction index: two swaps of one transaction then keep distinct dedupe keys.

    Rows are grouped by a compiled 64-bit hash of the signature (no Python strings). ``carry``
    holds the counts of the signatures in the last rows of the previous batch and is updated in
    place, so a transaction whose rows straddle two batches keeps counting (rows of one
    transaction are adjacent in every export we know; a small carry keeps memory flat).
    """
    n = len(signatures)
    offsets, data, valid = strings_buffers(signatures.cast(pa.string()))
    codes, _ = hash128_nb(offsets, data, valid, np.zeros(n, dtype=np.int64))
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1] if n else np.empty(0, np.int64)
    group_start = np.zeros(n, dtype=np.int64)
    if n:
        group_start[starts] = starts
        group_start = np.maximum.accumulate(group_start)
    ordinal = np.empty(n, dtype=np.int64)
    ordinal[order] = np.arange(n) - group_start
    if carry:
        ordinal += _carry_offsets(codes, carry)
    tail = np.unique(codes[max(0, n - CARRY_ROWS) :])
    counts = {
        int(c): int(k)
        for c, k in zip(*np.unique(codes[np.isin(codes, tail)], return_counts=True), strict=True)
    }
    new_carry = {c: counts[c] + carry.get(c, 0) for c in counts}
    carry.clear()
    carry.update(new_carry)
    return ordinal


def _carry_offsets(codes: np.ndarray, carry: dict[int, int]) -> np.ndarray:
    keys = np.fromiter(carry.keys(), dtype=np.uint64, count=len(carry))
    vals = np.fromiter(carry.values(), dtype=np.int64, count=len(carry))
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    pos = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return np.where(keys[pos] == codes, vals[pos], 0)


CARRY_ROWS = 1024  # rows at the end of a batch whose signatures may continue in the next one
