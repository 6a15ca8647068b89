"""Exit rules: each fires at the right event with the right size (prices scripted exactly)."""

from __future__ import annotations

import pytest
from engine_scenarios import SCRIPTED, T0, Tape
from memelab.engine import EngineConfig
from memelab.engine.config import VenueConfig, default_venues
from memelab.engine.replay import run_replay

S = 1_000_000_000
# 0.01 SOL positions, no fees, no latency: entry price = spot x (1 + 0.01/30), so levels are exact.
NOFEE = {k: VenueConfig(fee_bps=0.0, curve=v.curve) for k, v in default_venues().items()}
CFG = EngineConfig(
    initial_equity=1000.0,
    position_fraction=0.00001,
    priority_fee_sol=0.0,
    tip_sol=0.0,
    latency_s=0.0,
    venues=NOFEE,
)
NO_TP = CFG.replace(tp_levels=(5.0, 6.0, 7.0))


def run_path(path, config=CFG, extra=None):
    """Enter mint 0 at t=0, then move its price through ``path`` [(t, multiple of start)]."""
    tape = Tape().create(0, 0).create(0, 1).signal(0, 0).tick(0, 0)
    for t, mult in path:
        tape.price(t, 0, mult)
    if extra:
        extra(tape)
    _, out = run_replay(tape.events(), SCRIPTED, None, config)
    sells = out.orders[out.orders["side"] < 0]
    return out, sells


def at(seconds: float) -> int:
    return T0 + int(seconds * S)


def test_hard_stop_fires_at_the_first_mark_20pct_below_entry_and_sells_everything():
    out, sells = run_path([(10, 0.9), (20, 0.81), (30, 0.79), (40, 0.5)])
    assert len(sells) == 1
    assert sells[0]["ts"] == at(30)
    assert sells[0]["reason"] == 1  # stop_loss
    assert sells[0]["tokens"] == out.trades[0]["tokens"]
    assert out.trades[0]["exit_reason"] == 1


@pytest.mark.parametrize(("t", "fraction"), [(30, 0.12), (100, 0.20), (200, 0.30)])
def test_tp1_size_depends_on_time_to_tp1(t, fraction):
    out, sells = run_path([(t, 1.32)])
    tp1 = sells[sells["reason"] == 2]
    assert len(tp1) == 1 and tp1[0]["ts"] == at(t)
    assert tp1[0]["tokens"] == pytest.approx(fraction * out.trades[0]["tokens"], rel=1e-12)


def test_tp_ladder_sells_tp2_and_tp3_slices_of_the_initial_size():
    out, sells = run_path([(30, 1.32), (40, 1.62), (50, 2.25)], extra=lambda t: t.tick(51, 0))
    tokens0 = out.trades[0]["tokens"]
    steps = sells[sells["reason"] >= 2][:3]
    assert list(steps["reason"]) == [2, 3, 4]
    assert list(steps["ts"]) == [at(30), at(40), at(50)]
    assert steps["tokens"] / tokens0 == pytest.approx([0.12, 0.30, 0.30], rel=1e-12)
    # what is left (28%) is liquidated at the end of data
    assert out.trades[0]["exit_reason"] == 10 and out.trades[0]["n_sells"] == 4


def test_peak_of_30pct_within_two_minutes_trails_at_85pct_of_peak():
    _, sells = run_path([(30, 1.35), (60, 1.20), (90, 1.14)], NO_TP)
    assert len(sells) == 1 and sells[0]["ts"] == at(90) and sells[0]["reason"] == 5


def test_peak_of_30pct_after_two_minutes_does_not_arm_the_fast_trail():
    _, sells = run_path([(150, 1.35), (180, 1.14), (215, 1.14)], NO_TP)
    # no exit at 180 s; at 215 s the break-even window (armed at 150 s) is over: peak trailing
    assert len(sells) == 1 and sells[0]["ts"] == at(215) and sells[0]["reason"] == 5


def test_peak_of_60pct_trails_looser_at_82pct_of_peak():
    _, sells = run_path([(30, 1.7), (60, 1.42), (90, 1.38)], NO_TP)
    assert len(sells) == 1 and sells[0]["ts"] == at(90) and sells[0]["reason"] == 5


def test_breakeven_stop_arms_at_8pct_and_stops_at_entry_within_60s():
    _, sells = run_path([(10, 1.10), (40, 0.99)], NO_TP)
    assert len(sells) == 1 and sells[0]["ts"] == at(40) and sells[0]["reason"] == 6


def test_breakeven_stop_expires_after_60s_then_peak_trailing_takes_over():
    _, sells = run_path([(10, 1.10), (80, 1.0), (100, 0.93)], NO_TP)
    assert len(sells) == 1 and sells[0]["ts"] == at(100) and sells[0]["reason"] == 5


def test_max_hold_closes_a_quiet_position_after_900s_on_any_event():
    def other_mint(tape):
        tape.tick(899, 1).tick(905, 1).tick(906, 1)

    out, sells = run_path([(10, 1.02)], NO_TP, extra=other_mint)
    assert len(sells) == 1 and sells[0]["ts"] == at(905) and sells[0]["reason"] == 7
    assert out.trades[0]["exit_reason"] == 7 and out.trades[0]["exit_ts"] == at(906)


def test_strategy_close_request_sells_the_whole_position():
    out, sells = run_path([], NO_TP, extra=lambda tape: tape.close_signal(50, 0).tick(51, 0))
    assert len(sells) == 1 and sells[0]["reason"] == 0 and sells[0]["ts"] == at(50)
    assert out.trades[0]["exit_reason"] == 0
