"""Compiled kernels over Arrow string buffers: strict base58 lengths and 128-bit key hashes.

Both take an Arrow string array's ``offsets`` (int32, ``len + 1`` entries, already shifted by the
array's offset) and its ``data`` bytes, so a million signatures are checked and hashed without
one Python string being made. ``strings_buffers`` unpacks an array for them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B58_DIGIT = np.full(256, -1, dtype=np.int8)
for _i, _c in enumerate(_B58):
    B58_DIGIT[_c] = _i
_MAX_BYTES = 80  # past the 64 a signature needs; longer decodes report 99


def strings_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets int64 [n + 1], data uint8, valid bool [n]) of a string array."""
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1 + arr.offset)[arr.offset :]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return offsets.astype(np.int64), data, valid


def _pow256_digits(max_bytes: int = _MAX_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Base58 digits (most significant first) of 256**k for k = 0..max_bytes, and their counts."""
    rows = []
    for k in range(max_bytes + 1):
        n, digits = 256**k, []
        while n:
            n, r = divmod(n, 58)
            digits.append(r)
        rows.append(digits[::-1])
    width = max(len(r) for r in rows)
    table = np.zeros((len(rows), width), dtype=np.int8)
    for k, r in enumerate(rows):
        table[k, : len(r)] = r
    return table, np.array([len(r) for r in rows], dtype=np.int64)


POW256_DIGITS, POW256_LEN = _pow256_digits()


@njit(cache=True)
def base58_decoded_len_nb(
    offsets: np.ndarray,
    data: np.ndarray,
    valid: np.ndarray,
    digit: np.ndarray,
    pow_digits: np.ndarray,
    pow_len: np.ndarray,
) -> np.ndarray:
    """Bytes each base58 string decodes to (leading '1's count as zero bytes); -1 when a
    character is outside the alphabet or the string is empty, 99 past ``_MAX_BYTES``.

    No big-number arithmetic: the value N of the digits after the leading '1's takes k bytes
    exactly when 256**(k-1) <= N < 256**k, and digit strings without leading zeros compare as
    numbers do (longer is larger, then digit by digit), so N is compared with the base58 digits
    of the powers of 256. Linear in the string's length."""
    n = len(valid)
    out = np.full(n, -1, dtype=np.int16)
    kmax = len(pow_len)
    for i in range(n):
        if not valid[i]:
            continue
        start, end = offsets[i], offsets[i + 1]
        while start < end and (data[start] == 32 or 9 <= data[start] <= 13):
            start += 1  # surrounding whitespace is not part of the value
        while end > start and (data[end - 1] == 32 or 9 <= data[end - 1] <= 13):
            end -= 1
        if end <= start:
            continue
        bad = False
        for pos in range(start, end):
            if digit[data[pos]] < 0:
                bad = True
                break
        if bad:
            continue
        zeros = 0
        while start + zeros < end and data[start + zeros] == 49:  # '1' is the digit 0
            zeros += 1
        first = start + zeros
        length = end - first
        nbytes = 99
        for k in range(kmax):  # the first power of 256 above N gives N's byte count
            plen = pow_len[k]
            if length < plen:
                nbytes = k
                break
            if length > plen:
                continue
            less = False
            for j in range(length):
                a, b = digit[data[first + j]], pow_digits[k, j]
                if a != b:
                    less = a < b
                    break
            if less:
                nbytes = k
                break
        out[i] = min(zeros + nbytes, 99)
    return out


def base58_decoded_len(arr: pa.Array) -> np.ndarray:
    """``base58_decoded_len_nb`` for an Arrow string array (int16 per value)."""
    offsets, data, valid = strings_buffers(arr)
    return base58_decoded_len_nb(offsets, data, valid, B58_DIGIT, POW256_DIGITS, POW256_LEN)


# Words that mean "no value" in exports (compared after trimming whitespace).
NULL_WORDS = ("", "nan", "NaN", "NAN", "null", "NULL", "None", "none", "NA", "N/A")
_NULL_TABLE = np.zeros((len(NULL_WORDS), 4), dtype=np.uint8)
_NULL_LEN = np.array([len(w) for w in NULL_WORDS], dtype=np.int64)
for _k, _w in enumerate(NULL_WORDS):
    _NULL_TABLE[_k, : len(_w)] = np.frombuffer(_w.encode(), dtype=np.uint8)


@njit(cache=True)
def null_words_nb(
    offsets: np.ndarray, data: np.ndarray, valid: np.ndarray, words: np.ndarray, lens: np.ndarray
) -> tuple[np.ndarray, bool]:
    """(missing, any_edge_space): null, or a null word (``NULL_WORDS``) once trimmed; and
    whether any value has whitespace around it (then callers trim; usually none do)."""
    n = len(valid)
    missing = np.zeros(n, dtype=np.bool_)
    edge = False
    for i in range(n):
        if not valid[i]:
            missing[i] = True
            continue
        start, end = offsets[i], offsets[i + 1]
        a, b = start, end
        while a < b and (data[a] == 32 or 9 <= data[a] <= 13):
            a += 1
        while b > a and (data[b - 1] == 32 or 9 <= data[b - 1] <= 13):
            b -= 1
        if a != start or b != end:
            edge = True
        length = b - a
        if length > 4:
            continue
        for k in range(len(lens)):
            if lens[k] != length:
                continue
            same = True
            for j in range(length):
                if data[a + j] != words[k, j]:
                    same = False
                    break
            if same:
                missing[i] = True
                break
    return missing, edge


def null_words(arr: pa.Array) -> tuple[np.ndarray, bool]:
    """``null_words_nb`` for an Arrow string array."""
    offsets, data, valid = strings_buffers(arr)
    return null_words_nb(offsets, data, valid, _NULL_TABLE, _NULL_LEN)


@njit(cache=True)
def _mix64(x: np.uint64) -> np.uint64:
    """splitmix64's finaliser: a bijective avalanche of 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def hash128_nb(
    offsets: np.ndarray, data: np.ndarray, valid: np.ndarray, extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of each string's bytes and an int64 ``extra`` (the swap's
    ``ix_index``): a 128-bit key, so 20 M dedupe keys take 320 MB instead of 20 M strings.

    Collisions: with 128 bits the chance that any two of 10**12 keys collide is ~1e-15."""
    n = len(valid)
    hi = np.empty(n, dtype=np.uint64)
    lo = np.empty(n, dtype=np.uint64)
    for i in range(n):
        h1 = np.uint64(0x9E3779B97F4A7C15)
        h2 = np.uint64(0xC2B2AE3D27D4EB4F)
        if valid[i]:
            start, end = offsets[i], offsets[i + 1]
            h1 ^= np.uint64(end - start)
            pos = start
            while pos < end:
                word = np.uint64(0)
                stop = min(pos + 8, end)
                shift = np.uint64(0)
                while pos < stop:
                    word |= np.uint64(data[pos]) << shift
                    shift += np.uint64(8)
                    pos += 1
                h1 = _mix64(h1 ^ word)
                h2 = _mix64(h2 + word * np.uint64(0x9FB21C651E98DF25))
        else:
            h1 ^= np.uint64(0xFFFFFFFFFFFFFFFF)
        e = np.uint64(extra[i])
        hi[i] = _mix64(h1 ^ _mix64(e + np.uint64(0x632BE59BD9B4E019)))
        lo[i] = _mix64(h2 ^ _mix64(e ^ np.uint64(0x85EBCA77C2B2AE63)))
    return hi, lo


@njit(cache=True)
def member_sorted_nb(
    known_hi: np.ndarray, known_lo: np.ndarray, hi: np.ndarray, lo: np.ndarray
) -> np.ndarray:
    """True where ``(hi, lo)`` is among the known keys, which are sorted by (hi, lo)."""
    n = len(hi)
    out = np.zeros(n, dtype=np.bool_)
    m = len(known_hi)
    for i in range(n):
        a, b = 0, m
        while a < b:  # first known >= (hi[i], lo[i])
            mid = (a + b) // 2
            if known_hi[mid] < hi[i] or (known_hi[mid] == hi[i] and known_lo[mid] < lo[i]):
                a = mid + 1
            else:
                b = mid
        out[i] = a < m and known_hi[a] == hi[i] and known_lo[a] == lo[i]
    return out


@njit(cache=True)
def merge_sorted_nb(
    a_hi: np.ndarray, a_lo: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge two key arrays sorted by (hi, lo) into one, in linear time."""
    n, m = len(a_hi), len(b_hi)
    hi = np.empty(n + m, dtype=np.uint64)
    lo = np.empty(n + m, dtype=np.uint64)
    i = j = k = 0
    while i < n and j < m:
        if a_hi[i] < b_hi[j] or (a_hi[i] == b_hi[j] and a_lo[i] <= b_lo[j]):
            hi[k], lo[k] = a_hi[i], a_lo[i]
            i += 1
        else:
            hi[k], lo[k] = b_hi[j], b_lo[j]
            j += 1
        k += 1
    while i < n:
        hi[k], lo[k] = a_hi[i], a_lo[i]
        i += 1
        k += 1
    while j < m:
        hi[k], lo[k] = b_hi[j], b_lo[j]
        j += 1
        k += 1
    return hi, lo
