"""Momentum strategy: signals exactly when return, flow and trade-count thresholds are all met."""

from __future__ import annotations

from engine_scenarios import T0, Tape
from memelab.engine.replay import run_replay
from memelab.strategies import get_strategy, momentum

S = 1_000_000_000


def entry_requests(tape: Tape, params=None):
    _, out = run_replay(tape.events(), momentum, params)
    return out.orders[out.orders["side"] > 0]


def test_signals_on_the_sixth_buy_of_a_burst_and_not_before():
    tape = Tape().create(0, 0)
    for k in range(1, 9):
        tape.buy(k, 0, 0.8)  # +27% over the window by the 6th buy, 4.8 SOL all on the buy side
    orders = entry_requests(tape)
    assert len(orders) == 1  # then the per-mint cooldown holds
    assert orders[0]["ts"] == T0 + 6 * S and orders[0]["signal"] == 1.0


def test_no_signal_when_the_flow_is_not_buy_dominated():
    tape = Tape().create(0, 0)
    for k in range(1, 9):
        tape.buy(k, 0, 1.6)
        tape.sell(k + 0.5, 0, 40_000_000.0)  # sells ~as much SOL as is bought
    assert len(entry_requests(tape, {"min_return": 0.0})) == 0


def test_no_signal_once_the_window_has_rolled_over():
    tape = Tape().create(0, 0)
    for k in range(1, 6):
        tape.buy(k, 0, 0.8)
    tape.buy(40, 0, 0.8)  # 6th trade, but in a new 30 s window: the count restarts
    assert len(entry_requests(tape)) == 0


def test_module_follows_the_strategy_contract():
    mod = get_strategy("momentum")
    assert set(mod.DEFAULTS) == set(mod.PARAMS_DTYPE.names)
    assert set(mod.SWEEP) <= set(mod.PARAMS_DTYPE.names)
    assert mod.NAME == "momentum" and "breakout" in mod.__doc__
