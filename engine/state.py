"""The replay state: every array the compiled phases read and write, built by one constructor.

A backtest (:class:`memelab.engine.replay.Replay`), a sweep batch (one row per parameter
combination: ``ReplayState.new(..., batch=b)``) and the live runner hold the same arrays. All
state is in these arrays (plus the strategy's own state tuple), so a replay resumes across
chunks, and the whole of it can be saved and restored.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from memelab.engine import records
from memelab.engine.config import MAX_SLOTS
from memelab.engine.replay_nb import (
    HEADROOM,
    M_CREATOR,
    M_LAST_FREE_SELL,
    M_MINT,
    M_PRICE,
    M_VSOL,
    M_VTOK,
    MARKET_FIELDS,
)
from memelab.engine.risk import N_ACCT, N_IACCT, N_KNOBS, N_REJECT

# Record buffers, in kernel argument order.
RECORD_BUFFERS = ("orders", "fills", "trades", "equity")


@dataclass
class ReplayState:
    """Engine state arrays (a leading combination axis in a sweep batch).

    ``market``: per pool (``replay_nb.M_*`` columns); ``mint_slot``: the slot of a mint's
    position or -1; ``slots``: positions open or in flight (``records.POS_DTYPE``); ``acct`` /
    ``iacct``: account and schedule (``risk.A_*`` / ``risk.I_*``); ``rejects``: entry verdict
    counts; ``knobs``: what the strategy reads (``risk.KNOB_*``, then external inputs); the
    record buffers hold what was written since they were last drained.
    """

    market: np.ndarray
    mint_slot: np.ndarray
    slots: np.ndarray
    acct: np.ndarray
    iacct: np.ndarray
    rejects: np.ndarray
    knobs: np.ndarray
    orders: np.ndarray
    fills: np.ndarray
    trades: np.ndarray
    equity: np.ndarray

    @classmethod
    def new(
        cls,
        n_mints: int,
        capacity: int = 4096,
        batch: int | None = None,
        n_inputs: int = 0,
        n_pools: int | None = None,
    ) -> ReplayState:
        """Fresh state for ``n_mints`` mints and ``n_pools`` pools (default: one per mint);
        ``batch`` adds a leading axis of combinations."""
        lead = () if batch is None else (int(batch),)
        n = int(n_mints)
        n_pools = n if n_pools is None else int(n_pools)
        cap = max(int(capacity), 2 * HEADROOM)
        market = np.zeros((*lead, n_pools, MARKET_FIELDS))
        market[..., [M_VSOL, M_VTOK, M_PRICE]] = np.nan
        market[..., [M_MINT, M_CREATOR]] = -1.0
        market[..., M_LAST_FREE_SELL] = np.nan
        return cls(
            market=market,
            mint_slot=np.full((*lead, n), -1, dtype=np.int64),
            slots=np.zeros((*lead, MAX_SLOTS), dtype=records.POS_DTYPE),
            acct=np.zeros((*lead, N_ACCT)),
            iacct=np.zeros((*lead, N_IACCT), dtype=np.int64),
            rejects=np.zeros((*lead, N_REJECT), dtype=np.int64),
            knobs=np.zeros((*lead, N_KNOBS + int(n_inputs))),
            orders=np.zeros((*lead, cap), dtype=records.ORDER_DTYPE),
            fills=np.zeros((*lead, cap), dtype=records.FILL_DTYPE),
            trades=np.zeros((*lead, cap), dtype=records.TRADE_DTYPE),
            equity=np.zeros((*lead, cap), dtype=records.EQUITY_DTYPE),
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in the replay kernel's argument order (after the strategy's)."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def grow(self, n_mints: int, n_pools: int) -> None:
        """Extend the per-mint and per-pool arrays (ids first seen mid-run); new rows start
        as a fresh state's do, existing rows keep their values."""
        lead = self.market.shape[:-2]
        fresh = ReplayState.new(max(n_mints, 1), capacity=0, n_pools=max(n_pools, 1))
        old_pools = self.market.shape[-2]
        if n_pools > old_pools:
            extra = np.broadcast_to(
                fresh.market[old_pools:], (*lead, n_pools - old_pools, MARKET_FIELDS)
            )
            self.market = np.concatenate([self.market, extra], axis=-2)
        old_mints = self.mint_slot.shape[-1]
        if n_mints > old_mints:
            extra = np.broadcast_to(fresh.mint_slot[old_mints:], (*lead, n_mints - old_mints))
            self.mint_slot = np.concatenate([self.mint_slot, extra], axis=-1)
