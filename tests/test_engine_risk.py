"""Risk manager: each rule blocks the right entry; sizing; the knobs strategies read."""

from __future__ import annotations

import numpy as np
import pytest
from engine_scenarios import SCRIPTED, Tape
from memelab.engine import EngineConfig
from memelab.engine.config import VenueConfig, default_venues
from memelab.engine.replay import run_replay
from memelab.engine.risk import (
    A_SUM_LOSS_R,
    A_SUM_R,
    A_SUM_R2,
    A_SUM_WIN_R,
    ACCEPTED,
    I_N_CLOSED,
    I_N_WIN,
    N_ACCT,
    N_IACCT,
    REJECT_COOLDOWN,
    REJECT_DAILY_CAP,
    REJECT_DAILY_DD,
    REJECT_IN_POSITION,
    REJECT_MAX_OPEN,
    REJECT_MIN_LIQUIDITY,
    REJECT_PORTFOLIO_STOP,
    REJECT_SPACING,
    REJECT_WEEKLY_DD,
)
from memelab.engine.risk_nb import kelly_fraction_nb

DAY = 86_400
CFG = EngineConfig(
    initial_equity=100.0,
    latency_s=0.0,
    priority_fee_sol=0.0,
    tip_sol=0.0,
    tier_spacing_s=(0, 0, 0, 0),
)


def entries(tape: Tape, config: EngineConfig):
    replay, out = run_replay(tape.events(), SCRIPTED, None, config)
    buys = out.orders[out.orders["side"] > 0]
    return list(buys["verdict"]), out, replay


def opened(n: int, t0: float = 0.0) -> Tape:
    tape = Tape()
    for m in range(12):
        tape.create(0, m)
    for m in range(n):
        tape.signal(t0 + 1 + m, m).tick(t0 + 1 + m, m)
    return tape


def crash(tape: Tape, mints, t: float, mult: float = 0.5) -> Tape:
    for m in mints:
        tape.price(t, m, mult).tick(t + 1, m)
    return tape


def test_max_open_positions_blocks_the_third_entry():
    verdicts, out, _ = entries(opened(3), CFG.replace(max_open_positions=2))
    assert verdicts == [ACCEPTED, ACCEPTED, REJECT_MAX_OPEN]
    assert out.rejects[REJECT_MAX_OPEN] == 1


def test_second_signal_in_the_same_mint_is_refused_while_in_position():
    verdicts, _, _ = entries(opened(1).signal(10, 0), CFG)
    assert verdicts == [ACCEPTED, REJECT_IN_POSITION]


def test_min_spacing_of_120s_at_normal_tier():
    tape = opened(1).signal(60, 1).signal(122, 2)
    verdicts, _, _ = entries(tape, CFG.replace(tier_spacing_s=(120, 180, 300, 600)))
    assert verdicts == [ACCEPTED, REJECT_SPACING, ACCEPTED]


def test_daily_trade_cap_blocks_until_the_next_utc_day():
    tape = opened(3).signal(DAY + 10, 3)
    verdicts, _, _ = entries(tape, CFG.replace(tier_daily_cap=(2, 2, 2, 2)))
    assert verdicts == [ACCEPTED, ACCEPTED, REJECT_DAILY_CAP, ACCEPTED]


SMALL = CFG.replace(position_fraction=0.01)  # losses small enough to stay clear of drawdown limits


def test_cooldown_of_30min_after_3_consecutive_losses():
    tape = crash(opened(3), [0, 1, 2], 20)  # three stops, the last booked at t=21
    tape.signal(21 + 1790, 5).signal(21 + 1801, 6)
    verdicts, out, _ = entries(tape, SMALL)
    assert [t["exit_reason"] for t in out.trades] == [1, 1, 1]
    assert verdicts[3:] == [REJECT_COOLDOWN, ACCEPTED]


def test_cooldown_of_60min_after_5_consecutive_losses():
    tape = crash(opened(5), range(5), 20)
    tape.signal(21 + 1900, 6).signal(21 + 3590, 7).signal(21 + 3601, 8).tick(21 + 3602, 8)
    verdicts, out, _ = entries(tape, SMALL)
    assert len(out.trades) == 5 + 1
    assert verdicts[5:] == [REJECT_COOLDOWN, REJECT_COOLDOWN, ACCEPTED]


BIG = CFG.replace(position_fraction=0.3, max_position_sol=100.0)


def test_daily_drawdown_limit_blocks_entries_for_the_rest_of_the_day():
    tape = crash(opened(1), [0], 20, mult=0.05).signal(100, 1).signal(DAY + 100, 2)
    verdicts, out, _ = entries(tape, BIG.replace(weekly_dd_limit=0.9))
    assert out.trades[0]["exit_sol"] - out.trades[0]["entry_sol"] < -8.0
    assert verdicts == [ACCEPTED, REJECT_DAILY_DD, ACCEPTED]


def test_weekly_drawdown_limit_blocks_until_monday():
    # T0 is Thursday 2026-01-01: Monday is 4 days later
    tape = crash(opened(1), [0], 20, mult=0.05).signal(DAY + 100, 1).signal(4 * DAY + 100, 2)
    verdicts, _, _ = entries(tape, BIG.replace(daily_dd_limit=0.9, weekly_dd_limit=0.1))
    assert verdicts == [ACCEPTED, REJECT_WEEKLY_DD, ACCEPTED]


def test_portfolio_stop_halts_entries_for_good():
    tape = crash(opened(1), [0], 20, mult=0.05).signal(DAY + 100, 1).signal(9 * DAY, 2)
    verdicts, _, _ = entries(
        tape, BIG.replace(daily_dd_limit=0.9, weekly_dd_limit=0.9, portfolio_stop=0.1)
    )
    assert verdicts == [ACCEPTED, REJECT_PORTFOLIO_STOP, REJECT_PORTFOLIO_STOP]


def test_losing_day_moves_to_tier_1_with_180s_spacing_and_publishes_knobs():
    cfg = CFG.replace(position_fraction=0.06, tier_spacing_s=(120, 180, 300, 600))
    tape = crash(opened(1), [0], 20).signal(150, 1).signal(185, 2)
    verdicts, out, replay = entries(tape, cfg)
    loss = (out.trades[0]["exit_sol"] - out.trades[0]["entry_sol"]) / 100.0
    assert -0.04 < loss <= -0.02
    assert verdicts == [ACCEPTED, REJECT_SPACING, ACCEPTED]  # 150 s would pass at tier 0
    tier_seen, min_score_seen = replay.sstate[0]
    assert tier_seen == 1 and min_score_seen == pytest.approx(0.60)


def test_min_liquidity_of_the_venue_refuses_thin_pools():
    venues = dict(default_venues(), pumpfun=VenueConfig(fee_bps=100, min_liquidity_sol=40.0))
    verdicts, out, _ = entries(opened(1), CFG.replace(venues=venues))
    assert verdicts == [REJECT_MIN_LIQUIDITY] and len(out.fills) == 0


def test_fixed_fraction_sizes_5pct_of_equity_capped_by_max_position():
    _, out, _ = entries(opened(2), CFG)
    assert out.orders[0]["sol"] == pytest.approx(5.0)
    _, out, _ = entries(opened(1), CFG.replace(max_position_sol=2.0))
    assert out.orders[0]["sol"] == pytest.approx(2.0)


def _kelly(n, wins, win_r, loss_r, **cfg_changes):
    cfg, _ = CFG.replace(sizing="kelly", **cfg_changes).pack()
    acct = np.zeros(N_ACCT)
    iacct = np.zeros(N_IACCT, dtype=np.int64)
    iacct[I_N_CLOSED], iacct[I_N_WIN] = n, wins
    rets = np.array([win_r] * wins + [loss_r] * (n - wins))
    acct[A_SUM_R], acct[A_SUM_R2] = rets.sum(), (rets**2).sum()
    acct[A_SUM_WIN_R], acct[A_SUM_LOSS_R] = win_r * wins, loss_r * (n - wins)
    return kelly_fraction_nb(acct, iacct, cfg)


def test_kelly_sizing_is_half_kelly_scaled_to_the_volatility_target():
    # p = 0.5, payoff 2: Kelly 0.25, half Kelly 0.125; trade-return sd = 0.3
    assert _kelly(40, 20, 0.4, -0.2) == pytest.approx(0.125)
    assert _kelly(40, 20, 0.4, -0.2, kelly_target_vol=0.15) == pytest.approx(0.0625)
    assert _kelly(40, 10, 0.2, -0.2) == 0.0  # no edge: no trade
    assert _kelly(10, 5, 0.4, -0.2) == pytest.approx(0.05)  # too few trades: fixed fraction
