"""Program ids we recognise, the venue each one trades on, and small address/encoding helpers."""

from __future__ import annotations

WSOL = "So11111111111111111111111111111111111111112"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
LAMPORTS_PER_SOL = 1_000_000_000
PUMP_DECIMALS = 6  # every pump.fun mint has 6 decimals
PUMP_SUPPLY_TOKENS = 1_000_000_000.0  # pump.fun mints exactly 1e9 tokens at create

PUMPFUN = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMPSWAP = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
RAYDIUM_AMM_V4 = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
RAYDIUM_CPMM = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"
RAYDIUM_CLMM = "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK"
RAYDIUM_LAUNCHLAB = "LanMV9sAd7wArD4vJFi2qDdfnVhFxYSUg6eADduJ3uj"
METEORA_DLMM = "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"
METEORA_POOLS = "Eo7WjKq67rjJQSZxS6z3YkapzY3eMj6Xy8X5EQVn5UaB"
METEORA_DAMM_V2 = "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"

# Programs whose swaps we read from the pool vaults' token-balance deltas (no event to decode).
# The flag says whether the vault balances *are* the price-setting reserves (constant product).
BALANCE_DELTA_VENUES: dict[str, tuple[str, bool]] = {
    RAYDIUM_AMM_V4: ("raydium", True),
    RAYDIUM_CPMM: ("raydium", True),
    RAYDIUM_CLMM: ("raydium", False),
    RAYDIUM_LAUNCHLAB: ("launchlab", False),
    METEORA_DLMM: ("meteora", False),
    METEORA_POOLS: ("meteora", True),
    METEORA_DAMM_V2: ("meteora", False),
}

# Every DEX program id -> venue name (used for feeds that name the executing program).
VENUE_OF_PROGRAM: dict[str, str] = {
    PUMPFUN: "pumpfun",
    PUMPSWAP: "pumpswap",
    **{pid: venue for pid, (venue, _) in BALANCE_DELTA_VENUES.items()},
}

# Programs that appear in swap transactions but never trade by themselves.
INFRASTRUCTURE_PROGRAMS = frozenset(
    {
        SYSTEM_PROGRAM,
        "ComputeBudget111111111111111111111111111111",
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
        "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
        "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
        "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",
        "SysvarRent111111111111111111111111111111111",
        "AddressLookupTab1e1111111111111111111111111",
    }
)

PROGRAM_OF_NAME: dict[str, str] = {
    "pumpfun": PUMPFUN,
    "pumpswap": PUMPSWAP,
    "raydium": RAYDIUM_AMM_V4,
    "raydium-cpmm": RAYDIUM_CPMM,
    "launchlab": RAYDIUM_LAUNCHLAB,
    "meteora": METEORA_DLMM,
}

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58decode(text: str) -> bytes:
    """Base58 (Bitcoin alphabet) to bytes; instruction data in RPC "json" encoding uses it.

    Digits are folded ten at a time into small ints first, so the big-int work is a tenth of
    the naive loop (event payloads are ~400 characters)."""
    n = 0
    try:
        for start in range(0, len(text), 10):
            chunk = text[start : start + 10]
            small = 0
            for ch in chunk:
                small = small * 58 + _B58_INDEX[ch]
            n = n * _B58_POW[len(chunk)] + small
    except KeyError as exc:
        raise ValueError(f"invalid base58 character {exc.args[0]!r}") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + body


_B58_POW = [58**i for i in range(11)]
