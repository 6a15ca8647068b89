"""The request API: a strategy's entries and exits on any pool, from inside ``on_event``.

``on_event``'s return value acts on the current event's mint and pool. To act elsewhere -- the
other pool of a pair, a mint whose own events are quiet, a cross-venue gap -- it writes one
request into the knobs with these functions; the engine reads it right after ``on_event``
returns, runs it through the same risk checks and sizing (phase 6), then clears it. One request
per event besides the return value; the order's ``signal_id`` is the current event's index.
Pool ids are those of ``EVENT_DTYPE["pool"]``; a pool the replay has not seen yet is ignored
(its mint is unknown), and an exit on a pool whose mint holds no position does nothing.
"""

from __future__ import annotations

from memelab.engine.risk import KNOB_REQ_POOL, KNOB_REQ_POOL2, KNOB_REQ_SIZE
from numba import njit


@njit(cache=True)
def request_entry_nb(knobs, pool: int, size: float) -> None:
    """Ask to buy the mint of ``pool`` on that pool at ``size`` x the base position size."""
    knobs[KNOB_REQ_POOL] = pool
    knobs[KNOB_REQ_SIZE] = size
    knobs[KNOB_REQ_POOL2] = -1.0


@njit(cache=True)
def request_exit_nb(knobs, pool: int) -> None:
    """Ask to close the position in the mint of ``pool`` (sold on the pool it was bought on)."""
    knobs[KNOB_REQ_POOL] = pool
    knobs[KNOB_REQ_SIZE] = -1.0
    knobs[KNOB_REQ_POOL2] = -1.0


@njit(cache=True)
def request_arb_nb(knobs, buy_pool: int, sell_pool: int, size: float) -> None:
    """Ask for an atomic arbitrage: buy the mint on ``buy_pool`` at ``size`` x the base size and
    sell every token it gives on ``sell_pool`` (same mint) in one transaction. Both legs are
    priced at landing; the transaction reverts whole, paying only its priority fee, unless it
    ends in profit net of venue fees, priority fee and tip. No position stays open. Each leg
    is a fill record; a successful one is a trade with exit reason ``arbitrage``."""
    knobs[KNOB_REQ_POOL] = buy_pool
    knobs[KNOB_REQ_SIZE] = size
    knobs[KNOB_REQ_POOL2] = sell_pool
