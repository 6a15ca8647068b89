"""The one place that declares memelab's tables: Arrow schemas for the lake, NumPy dtypes for replay.

Everything else refers to these names. A change of a table's columns bumps ``SCHEMA_VERSION``.

Conventions
-----------
- ``ts`` is int64 nanoseconds since the Unix epoch, UTC.
- Mints and wallets are full base58 strings in Parquet (never truncated) *and* dense int32 ids
  (``mint_id``, ``trader_id``) from the lake's dictionary, so replay reads only numeric columns.
- ``side``: +1 buy, -1 sell, 0 a liquidity event (pool created, migrated, liquidity pulled): no
  trade, but the reserves after it are real (a rug is a liquidity event whose SOL collapses).
- ``pool``: the pool / bonding-curve account a swap traded against, when the producer knows it
  (null otherwise). A mint can trade on several pools at once, even on one venue. The lake keys
  every row to a pool: the address when given, else ``"<mint>:<venue>"`` (one pool per mint and
  venue, all a producer without pool addresses can say); ``pool_id`` is its dense id in the
  ``pools`` dictionary.
- Replay events carry a ``kind`` (``KIND_*``): trade, create, liquidity, migrate or tick. Kinds
  are derived when events are read (side +-1: trade; side 0: liquidity, or create when it is the
  mint's launch); a tick is a clock event the engine makes, with no market content.
- ``sol_amount`` is SOL (not lamports), ``token_amount`` whole tokens (6 decimals applied),
  ``price`` SOL per token; reserves are *after* the trade, as pump.fun's TradeEvent reports them.
  NaN means unknown (a plain price feed has no reserves).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SCHEMA_VERSION = 2  # 2: swaps gained ``pool`` / ``pool_id``; events gained ``kind`` / ``pool``

# Venues are small integers in replay arrays; the engine's venue config is indexed by them.
VENUES: tuple[str, ...] = ("pumpfun", "pumpswap", "raydium", "meteora", "launchlab", "other")
VENUE_ID: dict[str, int] = {name: i for i, name in enumerate(VENUES)}

SIDE_BUY = 1
SIDE_SELL = -1
SIDE_LIQUIDITY = 0

# Event kinds (``EVENT_DTYPE["kind"]``). A zeroed event is a trade.
KIND_TRADE = 0
KIND_LIQUIDITY = 1  # reserves changed without a swap (added, removed: a rug pulls the SOL)
KIND_CREATE = 2  # a mint's launch: its pool's first reserves
KIND_MIGRATE = 3  # liquidity moved to another pool (graduation)
KIND_TICK = 4  # the clock: no market content, lets landings and max-hold fire on time
EVENT_KINDS: tuple[str, ...] = ("trade", "liquidity", "create", "migrate", "tick")

SWAPS_SCHEMA = pa.schema(
    [
        pa.field("ts", pa.int64(), nullable=False),
        pa.field("slot", pa.int64(), nullable=False),
        pa.field("signature", pa.string(), nullable=False),
        pa.field("ix_index", pa.int32(), nullable=False),
        pa.field("mint", pa.string(), nullable=False),
        pa.field("mint_id", pa.int32(), nullable=False),
        pa.field("venue", pa.string(), nullable=False),
        pa.field("trader", pa.string(), nullable=False),
        pa.field("trader_id", pa.int32(), nullable=False),
        pa.field("side", pa.int8(), nullable=False),
        pa.field("sol_amount", pa.float64(), nullable=False),
        pa.field("token_amount", pa.float64(), nullable=False),
        pa.field("price", pa.float64(), nullable=False),
        pa.field("virtual_sol_reserves", pa.float64()),
        pa.field("virtual_token_reserves", pa.float64()),
        pa.field("fee", pa.float64()),
    ],
    metadata={"memelab.table": "swaps", "memelab.schema_version": str(SCHEMA_VERSION)},
)
# The swaps table as stored: what producers write (``SWAPS_SCHEMA``, unchanged for them) plus the
# pool columns. ``pool`` may be given by a producer that knows the pool account; ``pool_id`` is
# always assigned by the lake (from ``pool``, or the derived ``"<mint>:<venue>"`` key).
SWAPS_POOL_FIELDS = (
    pa.field("pool", pa.string()),  # pool / curve account; null: the lake derives a key
    pa.field("pool_id", pa.int32(), nullable=False),  # id in the ``pools`` dictionary
)
SWAPS_TABLE_SCHEMA = pa.schema([*SWAPS_SCHEMA, *SWAPS_POOL_FIELDS], metadata=SWAPS_SCHEMA.metadata)

LAUNCHES_SCHEMA = pa.schema(
    [
        pa.field("mint", pa.string(), nullable=False),
        pa.field("mint_id", pa.int32(), nullable=False),
        pa.field("creator", pa.string()),
        pa.field("created_ts", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("symbol", pa.string()),
        pa.field("supply", pa.float64()),
        pa.field("venue", pa.string()),
        pa.field("graduated_ts", pa.int64()),  # null: never graduated
        pa.field("signature", pa.string()),
    ],
    metadata={"memelab.table": "launches", "memelab.schema_version": str(SCHEMA_VERSION)},
)

# Synthetic ground truth: saved beside generated data so research tools can be scored.
WALLET_KINDS: tuple[str, ...] = ("retail", "alpha", "insider", "sniper", "sybil")
WALLET_KIND_ID: dict[str, int] = {k: i for i, k in enumerate(WALLET_KINDS)}
TOKEN_FATES: tuple[str, ...] = ("died", "graduated", "rug", "honeypot")
TOKEN_FATE_ID: dict[str, int] = {k: i for i, k in enumerate(TOKEN_FATES)}

WALLETS_TRUTH_SCHEMA = pa.schema(
    [
        pa.field("wallet", pa.string(), nullable=False),
        pa.field("wallet_id", pa.int32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("cluster", pa.int32(), nullable=False),  # sybil cluster id, -1 when none
        pa.field("skill", pa.float64(), nullable=False),  # generator's latent edge
    ],
    metadata={"memelab.table": "wallets_truth", "memelab.schema_version": str(SCHEMA_VERSION)},
)

TOKENS_TRUTH_SCHEMA = pa.schema(
    [
        pa.field("mint", pa.string(), nullable=False),
        pa.field("mint_id", pa.int32(), nullable=False),
        pa.field("fate", pa.string(), nullable=False),
        pa.field("honeypot", pa.bool_(), nullable=False),  # only the creator can sell
        pa.field("rug_ts", pa.int64()),  # null: never rugged
        pa.field("quality", pa.float64(), nullable=False),  # generator's latent appeal
    ],
    metadata={"memelab.table": "tokens_truth", "memelab.schema_version": str(SCHEMA_VERSION)},
)

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "swaps": SWAPS_TABLE_SCHEMA,
    "launches": LAUNCHES_SCHEMA,
    "wallets_truth": WALLETS_TRUTH_SCHEMA,
    "tokens_truth": TOKENS_TRUTH_SCHEMA,
}

# The oldest schema version of each table this code reads (older: ``lake.migrate_lake``).
MIN_SCHEMA_VERSION: dict[str, int] = {"swaps": 2}

# Tables partitioned by date of ``ts``-like column; the others are small single files.
PARTITION_COLUMN: dict[str, str] = {"swaps": "ts", "launches": "created_ts"}

# Dedupe keys: re-ingesting the same rows adds nothing.
DEDUPE_KEYS: dict[str, tuple[str, ...]] = {
    "swaps": ("signature", "ix_index"),
    "launches": ("mint",),
    "wallets_truth": ("wallet",),
    "tokens_truth": ("mint",),
}

# One replay event: the row the compiled engine loop reads. Numeric only, ids instead of strings.
EVENT_DTYPE = np.dtype(
    [
        ("ts", np.int64),
        ("slot", np.int64),
        ("mint", np.int32),
        ("trader", np.int32),
        ("side", np.int8),
        ("venue", np.int8),
        ("kind", np.int8),  # KIND_*: derived on read, not stored in swaps
        ("pool", np.int32),  # pool id (``pools`` dictionary); market state is per pool
        ("sol", np.float64),
        ("tokens", np.float64),
        ("price", np.float64),
        ("vsol", np.float64),
        ("vtok", np.float64),
        ("fee", np.float64),
    ],
    align=True,
)

# Swaps columns read for replay, in EVENT_DTYPE field order (``kind`` is derived, not read).
EVENT_SOURCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ts", "ts"),
    ("slot", "slot"),
    ("mint", "mint_id"),
    ("trader", "trader_id"),
    ("side", "side"),
    ("venue", "venue"),
    ("pool", "pool_id"),
    ("sol", "sol_amount"),
    ("tokens", "token_amount"),
    ("price", "price"),
    ("vsol", "virtual_sol_reserves"),
    ("vtok", "virtual_token_reserves"),
    ("fee", "fee"),
)


def pool_key(mint: str, venue: str) -> str:
    """The pool key the lake derives for a row whose producer gave no pool address."""
    return f"{mint}:{venue}"


def empty_table(name: str) -> pa.Table:
    """An empty table with the declared schema of ``name``."""
    return TABLE_SCHEMAS[name].empty_table()
