"""The live ledger: one SQLite file in WAL mode, the single source of truth across restarts.

Tables, in the order an order lives through them:

- ``signals``: every strategy decision, skipped entries included with their reason;
- ``orders``: one row per order (client ``order_id``), its state machine
  ``decided -> signed -> sent -> landed|failed|expired|not_sent -> booked``;
- ``transactions``: the signed bytes, blockhash and ``last_valid_block_height`` of every signed
  transaction, written *before* its first send (the no-double-spend rule: after a crash only
  these bytes may be re-sent, and only while the blockhash is valid), its send count and outcome;
- ``fills``: the booked execution of a landed (or failed: fees paid) transaction, columns of the
  backtest's ``FILL_DTYPE`` plus the signature;
- ``positions``: open positions by mint; ``trades``: closed positions (``TRADE_DTYPE`` columns,
  exit reason by name); ``risk_snapshots``; ``quarantine`` (bad feed messages with reasons).

Each state change is one SQLite transaction (``with ledger.tx():``), so a ``kill -9`` leaves
either the old or the new state, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ORDER_STATES = ("decided", "signed", "sent", "landed", "failed", "expired", "not_sent", "booked")
FINAL_TX_STATES = ("landed", "failed", "expired")

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, event_index INTEGER, mint TEXT NOT NULL,
    signal REAL NOT NULL, decision TEXT NOT NULL, reason TEXT, order_id TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, signal_id INTEGER, ts INTEGER NOT NULL, mint TEXT NOT NULL,
    side INTEGER NOT NULL, sol REAL NOT NULL, tokens REAL NOT NULL, venue TEXT NOT NULL,
    slippage_bps INTEGER NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
    quote_price REAL, updated_ts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    signature TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(order_id),
    raw BLOB NOT NULL, blockhash TEXT NOT NULL, last_valid_block_height INTEGER NOT NULL,
    cu_limit INTEGER, cu_price INTEGER, state TEXT NOT NULL, sends INTEGER NOT NULL DEFAULT 0,
    first_sent_ts INTEGER, slot INTEGER, block_time INTEGER, err TEXT, updated_ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tx_by_order ON transactions(order_id);
CREATE TABLE IF NOT EXISTS fills (
    order_id TEXT PRIMARY KEY REFERENCES orders(order_id), signature TEXT, signal_id INTEGER,
    position INTEGER, sent_ts INTEGER, ts INTEGER, event INTEGER, mint TEXT, side INTEGER,
    status TEXT, reason TEXT, sol REAL, tokens REAL, price REAL, quote_price REAL,
    venue_fee REAL, tx_fee REAL
);
CREATE TABLE IF NOT EXISTS positions (
    mint TEXT PRIMARY KEY, position INTEGER NOT NULL, signal_id INTEGER, entry_ts INTEGER,
    tokens REAL NOT NULL, tokens0 REAL NOT NULL, cost REAL NOT NULL, proceeds REAL NOT NULL,
    fees REAL NOT NULL, n_sells INTEGER NOT NULL, peak_return REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trades (
    position INTEGER PRIMARY KEY, signal_id INTEGER, mint TEXT, exit_reason TEXT,
    entry_ts INTEGER, exit_ts INTEGER, entry_sol REAL, exit_sol REAL, tokens REAL,
    entry_price REAL, exit_price REAL, fees_sol REAL, peak_return REAL, n_sells INTEGER
);
CREATE TABLE IF NOT EXISTS risk_snapshots (
    id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, equity REAL, daily_pnl REAL,
    open_positions INTEGER, state TEXT
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, feed TEXT NOT NULL, reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
"""


class LedgerError(RuntimeError):
    """A ledger invariant was broken (e.g. a second transaction for a live order)."""


def now_ns() -> int:
    return time.time_ns()


class Ledger:
    """The SQLite ledger. One writer (the runner process); readers may attach any time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise LedgerError(f"ledger {self.path}: SQLite refused WAL mode ({mode})")
        self.db.execute("PRAGMA synchronous=FULL")  # a booked fill survives power loss too
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_DDL)
        with self.tx():
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic state change."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------- signals
    def record_signal(
        self,
        ts: int,
        mint: str,
        signal: float,
        decision: str,
        reason: str | None = None,
        event_index: int | None = None,
        order_id: str | None = None,
    ) -> int:
        """A strategy decision: ``entry``/``exit`` (with its order) or ``skip`` with a reason."""
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO signals (ts, event_index, mint, signal, decision, reason, order_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts, event_index, mint, float(signal), decision, reason, order_id),
            )
            return int(cur.lastrowid)

    # -------------------------------------------------------------- orders
    def record_order(self, order: Any) -> bool:
        """Insert an order in state ``decided``; False when the order id already exists (a
        restarted process re-deciding the same order must not create a second one)."""
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO orders (order_id, signal_id, ts, mint, side, sol, tokens, "
                "venue, slippage_bps, reason, state, quote_price, updated_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'decided', ?, ?)",
                (order.order_id, order.signal_id, order.ts, order.mint, order.side, order.sol,
                 order.tokens, order.venue, order.slippage_bps, order.reason,
                 order.quote_price, now_ns()),
            )  # fmt: skip
            return cur.rowcount == 1

    def order(self, order_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return dict(row) if row else None

    def orders(self, states: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        if states is None:
            rows = self.db.execute("SELECT * FROM orders ORDER BY ts, order_id").fetchall()
        else:
            marks = ",".join("?" * len(states))
            rows = self.db.execute(
                f"SELECT * FROM orders WHERE state IN ({marks}) ORDER BY ts, order_id", states
            ).fetchall()
        return [dict(r) for r in rows]

    def set_order_state(self, order_id: str, state: str, quote_price: float | None = None) -> None:
        if state not in ORDER_STATES:
            raise ValueError(f"order state {state!r} unknown")
        with self.tx() as db:
            db.execute(
                "UPDATE orders SET state = ?, updated_ts = ?, "
                "quote_price = COALESCE(?, quote_price) WHERE order_id = ?",
                (state, now_ns(), quote_price, order_id),
            )

    # -------------------------------------------------------- transactions
    def record_signed(
        self,
        order_id: str,
        signature: str,
        raw: bytes,
        blockhash: str,
        last_valid_block_height: int,
        cu_limit: int,
        cu_price: int,
    ) -> None:
        """The signed transaction, before its first send. Refuses a second transaction while
        another one of the same order may still land."""
        with self.tx() as db:
            live = db.execute(
                "SELECT signature FROM transactions WHERE order_id = ? AND state NOT IN "
                "('expired', 'failed')",
                (order_id,),
            ).fetchone()
            if live is not None:
                raise LedgerError(
                    f"order {order_id}: transaction {live[0]} may still land; not signing another"
                )
            db.execute(
                "INSERT INTO transactions (signature, order_id, raw, blockhash, "
                "last_valid_block_height, cu_limit, cu_price, state, updated_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'signed', ?)",
                (signature, order_id, raw, blockhash, last_valid_block_height, cu_limit,
                 cu_price, now_ns()),
            )  # fmt: skip
            db.execute(
                "UPDATE orders SET state = 'signed', updated_ts = ? WHERE order_id = ?",
                (now_ns(), order_id),
            )

    def record_send(self, signature: str) -> None:
        with self.tx() as db:
            t = now_ns()
            db.execute(
                "UPDATE transactions SET sends = sends + 1, state = CASE WHEN state = 'signed' "
                "THEN 'sent' ELSE state END, first_sent_ts = COALESCE(first_sent_ts, ?), "
                "updated_ts = ? WHERE signature = ?",
                (t, t, signature),
            )
            db.execute(
                "UPDATE orders SET state = 'sent', updated_ts = ? WHERE state = 'signed' AND "
                "order_id = (SELECT order_id FROM transactions WHERE signature = ?)",
                (t, signature),
            )

    def record_outcome(
        self,
        signature: str,
        state: str,
        slot: int | None = None,
        block_time: int | None = None,
        err: Any = None,
    ) -> None:
        """landed / failed / expired, for the transaction and its order."""
        if state not in FINAL_TX_STATES:
            raise ValueError(f"transaction outcome {state!r} unknown")
        with self.tx() as db:
            db.execute(
                "UPDATE transactions SET state = ?, slot = ?, block_time = ?, err = ?, "
                "updated_ts = ? WHERE signature = ?",
                (state, slot, block_time, None if err is None else json.dumps(err), now_ns(),
                 signature),
            )  # fmt: skip
            db.execute(
                "UPDATE orders SET state = ?, updated_ts = ? WHERE state != 'booked' AND "
                "order_id = (SELECT order_id FROM transactions WHERE signature = ?)",
                (state, now_ns(), signature),
            )

    def transactions(self, order_id: str | None = None) -> list[dict[str, Any]]:
        if order_id is None:
            rows = self.db.execute("SELECT * FROM transactions ORDER BY updated_ts").fetchall()
        else:
            rows = self.db.execute(
                "SELECT * FROM transactions WHERE order_id = ? ORDER BY updated_ts", (order_id,)
            ).fetchall()
        return [dict(r) for r in rows]

    def pending_transactions(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM transactions WHERE state IN ('signed', 'sent') ORDER BY updated_ts"
        ).fetchall()
        return [dict(r) for r in rows]

    # --------------------------------------------------------------- fills
    def book_fill(self, fill: dict[str, Any], position_update: dict[str, Any] | None,
                  trade: dict[str, Any] | None = None, close_mint: str | None = None) -> bool:  # fmt: skip
        """Book one execution atomically: the fill, the position change, a closed trade, and
        the order's state ``booked``. Idempotent: a fill already booked returns False."""
        with self.tx() as db:
            if db.execute("SELECT 1 FROM fills WHERE order_id = ?", (fill["order_id"],)).fetchone():
                return False
            cols = ",".join(fill)
            db.execute(
                f"INSERT INTO fills ({cols}) VALUES ({','.join('?' * len(fill))})",
                tuple(fill.values()),
            )
            if position_update is not None:
                cols = ",".join(position_update)
                db.execute(
                    f"INSERT OR REPLACE INTO positions ({cols}) VALUES "
                    f"({','.join('?' * len(position_update))})",
                    tuple(position_update.values()),
                )
            if trade is not None:
                cols = ",".join(trade)
                db.execute(
                    f"INSERT INTO trades ({cols}) VALUES ({','.join('?' * len(trade))})",
                    tuple(trade.values()),
                )
            if close_mint is not None:
                db.execute("DELETE FROM positions WHERE mint = ?", (close_mint,))
            db.execute(
                "UPDATE orders SET state = 'booked', updated_ts = ? WHERE order_id = ?",
                (now_ns(), fill["order_id"]),
            )
            return True

    def fills(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM fills ORDER BY ts, order_id")]

    def positions(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM positions ORDER BY position")]

    def position(self, mint: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM positions WHERE mint = ?", (mint,)).fetchone()
        return dict(row) if row else None

    def trades(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM trades ORDER BY position")]

    def next_position_number(self) -> int:
        row = self.db.execute(
            "SELECT MAX(p) FROM (SELECT MAX(position) AS p FROM positions "
            "UNION ALL SELECT MAX(position) FROM trades)"
        ).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    # ------------------------------------------------------- risk, feed
    def record_risk(self, ts: int, equity: float, daily_pnl: float, open_positions: int,
                    state: dict[str, Any]) -> None:  # fmt: skip
        with self.tx() as db:
            db.execute(
                "INSERT INTO risk_snapshots (ts, equity, daily_pnl, open_positions, state) "
                "VALUES (?, ?, ?, ?, ?)",
                (ts, equity, daily_pnl, open_positions, json.dumps(state, sort_keys=True)),
            )

    def quarantine(self, ts: int, feed: str, reason: str, raw: str) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO quarantine (ts, feed, reason, raw) VALUES (?, ?, ?, ?)",
                (ts, feed, reason, raw[:100_000]),
            )

    def count(self, table: str) -> int:
        if table not in ("signals", "orders", "transactions", "fills", "positions", "trades",
                         "risk_snapshots", "quarantine"):  # fmt: skip
            raise ValueError(f"no table {table!r}")
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
