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
from memelab.engine.replay_nb import HEADROOM, M_PRICE, M_VSOL, M_VTOK, MARKET_FIELDS
from memelab.engine.risk import N_ACCT, N_IACCT, N_KNOBS, N_REJECT

# Record buffers, in kernel argument order.
RECORD_BUFFERS = ("orders", "fills", "trades", "equity")


@dataclass
class ReplayState:
    """Engine state arrays (a leading combination axis in a sweep batch).

    ``market``: per mint (``replay_nb.M_*`` columns); ``mint_slot``: the slot of a mint's
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
        cls, n_mints: int, capacity: int = 4096, batch: int | None = None, n_inputs: int = 0
    ) -> ReplayState:
        """Fresh state for ``n_mints`` mints; ``batch`` adds a leading axis of combinations."""
        lead = () if batch is None else (int(batch),)
        n = int(n_mints)
        cap = max(int(capacity), 2 * HEADROOM)
        market = np.zeros((*lead, n, MARKET_FIELDS))
        market[..., [M_VSOL, M_VTOK, M_PRICE]] = np.nan
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

    def grow_mints(self, n_mints: int) -> None:
        """Extend the per-mint arrays to ``n_mints`` rows (ids first seen mid-run)."""
        old = self.market.shape[-2]
        if n_mints <= old:
            return
        extra = ReplayState.new(n_mints - old, capacity=0, batch=None)
        lead = self.market.shape[:-2]
        market = np.broadcast_to(extra.market, (*lead, *extra.market.shape))
        self.market = np.concatenate([self.market, market], axis=-2)
        slot = np.broadcast_to(extra.mint_slot, (*lead, *extra.mint_slot.shape))
        self.mint_slot = np.concatenate([self.mint_slot, slot], axis=-1)
