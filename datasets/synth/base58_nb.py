"""Deterministic base58 addresses and signatures, generated in compiled code.

Millions of signatures must not go through a Python loop: keys are derived from ``splitmix64``
of (seed, stream, index), encoded to base58 in numba, and returned as one flat byte buffer plus
Arrow-style offsets, ready for ``pyarrow.StringArray.from_buffers``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

ALPHABET = np.frombuffer(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", np.uint8)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
# Streams keep the key spaces of wallets, mints and signatures apart.
STREAM_WALLET = 1
STREAM_MINT = 2
STREAM_SIGNATURE = 3
STREAM_POOL = 4


@njit(cache=True)
def splitmix64_nb(x: np.uint64) -> np.uint64:
    """One step of splitmix64: a fast, well-mixed 64-bit hash."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def key_seed_nb(seed: np.int64, stream: np.int64, a: np.int64, b: np.int64) -> np.uint64:
    """A 64-bit seed for one key from (seed, stream, a, b)."""
    h = splitmix64_nb(np.uint64(seed) ^ np.uint64(0x5EED))
    h = splitmix64_nb(h ^ np.uint64(stream))
    h = splitmix64_nb(h ^ np.uint64(a))
    return splitmix64_nb(h ^ (np.uint64(b) * np.uint64(0x9E3779B1)))


@njit(cache=True)
def _encode_limbs_nb(limbs: np.ndarray, nbytes: int, alphabet: np.ndarray, out: np.ndarray) -> int:
    """Base58 of a big-endian number held in 32-bit limbs; writes digits to ``out``, returns length.

    Divides by 58**5 per pass (fits in 32 bits), so a 64-byte signature needs ~18 passes over 16
    limbs rather than 88 passes over 64 bytes.
    """
    n = limbs.shape[0]
    # leading zero bytes become leading '1's
    zeros = 0
    for i in range(n):
        v = limbs[i]
        if v == 0:
            zeros += 4
            continue
        for sh in (24, 16, 8, 0):
            if (v >> sh) & 0xFF == 0:
                zeros += 1
            else:
                break
        break
    if zeros > nbytes:
        zeros = nbytes
    tmp = np.empty(nbytes * 2, dtype=np.uint8)
    nd = 0
    start = 0
    big = np.uint64(656356768)  # 58**5
    while start < n:
        rem = np.uint64(0)
        for i in range(start, n):
            cur = (rem << np.uint64(32)) | np.uint64(limbs[i])
            limbs[i] = np.uint32(cur // big)
            rem = cur % big
        while start < n and limbs[start] == 0:
            start += 1
        r = np.int64(rem)
        for _ in range(5):
            tmp[nd] = r % 58
            nd += 1
            r //= 58
    while nd > 0 and tmp[nd - 1] == 0:
        nd -= 1
    pos = 0
    for _ in range(zeros):
        out[pos] = alphabet[0]
        pos += 1
    for i in range(nd - 1, -1, -1):
        out[pos] = alphabet[tmp[i]]
        pos += 1
    return pos


@njit(cache=True)
def random_keys_b58_nb(
    seed: np.int64,
    stream: np.int64,
    a: np.ndarray,
    b: np.ndarray,
    nbytes: int,
    alphabet: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Base58 strings of ``nbytes``-byte pseudo-random keys, one per (a[i], b[i]).

    Returns (data bytes, int32 offsets) in Arrow's string layout.
    """
    n = a.shape[0]
    maxlen = nbytes * 138 // 100 + 2
    data = np.empty(n * maxlen, dtype=np.uint8)
    offsets = np.empty(n + 1, dtype=np.int32)
    offsets[0] = 0
    nlimbs = nbytes // 4
    limbs = np.empty(nlimbs, dtype=np.uint32)
    buf = np.empty(maxlen, dtype=np.uint8)
    pos = 0
    for i in range(n):
        h = key_seed_nb(seed, stream, a[i], b[i])
        for j in range(nlimbs):
            if j % 2 == 0:
                h = splitmix64_nb(h)
                limbs[j] = np.uint32(h >> np.uint64(32))
            else:
                limbs[j] = np.uint32(h & np.uint64(0xFFFFFFFF))
        ln = _encode_limbs_nb(limbs, nbytes, alphabet, buf)
        for j in range(ln):
            data[pos + j] = buf[j]
        pos += ln
        offsets[i + 1] = pos
    return data[:pos], offsets


def keys_b58(
    seed: int, stream: int, a: np.ndarray, b: np.ndarray | None = None, nbytes: int = 32
) -> pa.StringArray:
    """Arrow strings of deterministic base58 keys (32 bytes: wallets, mints; 64: signatures)."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.zeros_like(a) if b is None else np.ascontiguousarray(b, dtype=np.int64)
    data, offsets = random_keys_b58_nb(np.int64(seed), np.int64(stream), a, b, nbytes, ALPHABET)
    return pa.StringArray.from_buffers(len(a), pa.py_buffer(offsets), pa.py_buffer(data))


def pump_mints(seed: int, n: int) -> pa.StringArray:
    """``n`` distinct mint addresses ending in ``pump``, like vanity-ground pump.fun mints.

    The last four digits of a random 32-byte key are replaced; that moves the key by < 58**4, so
    the string still decodes to 32 bytes (the chance of overflow is ~1e-70).
    """
    a = np.arange(n, dtype=np.int64)
    data, offsets = random_keys_b58_nb(
        np.int64(seed), np.int64(STREAM_MINT), a, a * 0, 32, ALPHABET
    )
    ends = offsets[1:]
    for j, ch in enumerate(b"pump"):
        data[ends - 4 + j] = ch
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def b58decode(s: str) -> bytes:
    """Plain base58 decode (for tests and checks; not for bulk use)."""
    alphabet = ALPHABET.tobytes().decode()
    num = 0
    for ch in s:
        num = num * 58 + alphabet.index(ch)
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\x00" * pad + body
