"""Compiled risk manager: sizing, entry verdicts, P&L tiers, cooldowns and the knobs it publishes.

All state lives in the ``acct`` (float) and ``iacct`` (int) arrays laid out in ``engine.risk``, so
a replay can stop after any chunk and resume, and the live runner can persist it.
"""

from __future__ import annotations

import math

from memelab.engine.risk import (
    A_CASH,
    A_DAY_START_EQ,
    A_MARK,
    A_SUM_LOSS_R,
    A_SUM_R,
    A_SUM_R2,
    A_SUM_WIN_R,
    A_WEEK_START_EQ,
    ACCEPTED,
    I_CONSEC_LOSS,
    I_COOLDOWN_UNTIL,
    I_DAY_TRADES,
    I_HALTED,
    I_LAST_ENTRY_TS,
    I_N_CLOSED,
    I_N_WIN,
    I_NEXT_DAY_TS,
    I_NEXT_WEEK_TS,
    I_OPEN,
    KNOB_DAILY_PNL,
    KNOB_ENTRIES_LEFT,
    KNOB_EQUITY,
    KNOB_MIN_SCORE,
    KNOB_OPEN,
    KNOB_SPACING_S,
    KNOB_TIER,
    REJECT_COOLDOWN,
    REJECT_DAILY_CAP,
    REJECT_DAILY_DD,
    REJECT_MAX_OPEN,
    REJECT_PORTFOLIO_STOP,
    REJECT_SIZE,
    REJECT_SPACING,
    REJECT_WEEKLY_DD,
)
from numba import njit

NS_PER_DAY = 86_400 * 1_000_000_000
NS_PER_WEEK = 7 * NS_PER_DAY
_WEEK_OFFSET = 3 * NS_PER_DAY  # the Unix epoch was a Thursday: weeks start on Monday 00:00 UTC


@njit(cache=True)
def equity_nb(acct) -> float:
    return acct[A_CASH] + acct[A_MARK]


@njit(cache=True)
def roll_periods_nb(ts: int, acct, iacct) -> bool:
    """Start a new day/week when ``ts`` crosses midnight UTC; True when anything rolled."""
    if ts < iacct[I_NEXT_DAY_TS]:
        return False
    eq = equity_nb(acct)
    acct[A_DAY_START_EQ] = eq
    iacct[I_DAY_TRADES] = 0
    iacct[I_NEXT_DAY_TS] = (ts // NS_PER_DAY + 1) * NS_PER_DAY
    if ts >= iacct[I_NEXT_WEEK_TS]:
        acct[A_WEEK_START_EQ] = eq
        iacct[I_NEXT_WEEK_TS] = (
            (ts + _WEEK_OFFSET) // NS_PER_WEEK + 1
        ) * NS_PER_WEEK - _WEEK_OFFSET
    return True


@njit(cache=True)
def tier_nb(daily_pnl: float, cfg) -> int:
    """Daily P&L tier: 0 normal, 1 at <= -2%, 2 at <= -4%, 3 at <= -6% (configurable)."""
    if daily_pnl <= cfg["tier_pnl_3"]:
        return 3
    if daily_pnl <= cfg["tier_pnl_2"]:
        return 2
    if daily_pnl <= cfg["tier_pnl_1"]:
        return 1
    return 0


@njit(cache=True)
def tier_limits_nb(tier: int, cfg) -> tuple[float, float, float]:
    """(daily trade cap, minimum spacing ns, minimum wallet score) for a tier."""
    if tier == 0:
        return cfg["tier_cap_0"], cfg["tier_spacing_ns_0"], cfg["tier_min_score_0"]
    if tier == 1:
        return cfg["tier_cap_1"], cfg["tier_spacing_ns_1"], cfg["tier_min_score_1"]
    if tier == 2:
        return cfg["tier_cap_2"], cfg["tier_spacing_ns_2"], cfg["tier_min_score_2"]
    return cfg["tier_cap_3"], cfg["tier_spacing_ns_3"], cfg["tier_min_score_3"]


@njit(cache=True)
def daily_pnl_nb(acct) -> float:
    start = acct[A_DAY_START_EQ]
    return equity_nb(acct) / start - 1.0 if start > 0.0 else 0.0


@njit(cache=True)
def update_knobs_nb(knobs, acct, iacct, cfg) -> None:
    """Publish the risk state strategies may adapt to (see ``engine.risk.KNOB_*``)."""
    pnl = daily_pnl_nb(acct)
    tier = tier_nb(pnl, cfg)
    cap, spacing, score = tier_limits_nb(tier, cfg)
    knobs[KNOB_TIER] = tier
    knobs[KNOB_MIN_SCORE] = score
    knobs[KNOB_DAILY_PNL] = pnl
    knobs[KNOB_SPACING_S] = spacing / 1e9
    knobs[KNOB_ENTRIES_LEFT] = max(0.0, cap - iacct[I_DAY_TRADES])
    knobs[KNOB_EQUITY] = equity_nb(acct)
    knobs[KNOB_OPEN] = iacct[I_OPEN]


@njit(cache=True)
def kelly_fraction_nb(acct, iacct, cfg) -> float:
    """Kelly fraction from closed trades (win rate, payoff), scaled down to a volatility target.

    Fixed fraction until ``kelly_min_trades`` trades have closed; 0 when there is no edge.
    """
    n = iacct[I_N_CLOSED]
    if n < cfg["kelly_min_trades"]:
        return cfg["position_fraction"]
    wins = iacct[I_N_WIN]
    losses = n - wins
    p = wins / n
    if wins == 0:
        return 0.0
    if losses == 0:
        f = cfg["kelly_fraction"]
    else:
        avg_win = acct[A_SUM_WIN_R] / wins
        avg_loss = -acct[A_SUM_LOSS_R] / losses
        b = avg_win / avg_loss if avg_loss > 0.0 else 1e9
        f = cfg["kelly_fraction"] * (p - (1.0 - p) / b)
    mean = acct[A_SUM_R] / n
    var = acct[A_SUM_R2] / n - mean * mean
    sd = math.sqrt(var) if var > 0.0 else 0.0
    if sd > cfg["kelly_target_vol"]:
        f *= cfg["kelly_target_vol"] / sd
    return min(max(f, 0.0), 0.25)


@njit(cache=True)
def entry_verdict_nb(ts: int, strength: float, acct, iacct, cfg) -> tuple[int, float]:
    """Decide an entry request of ``strength`` x base size at ``ts``: (verdict, SOL to swap).

    Checks, first refusal wins: portfolio stop, weekly and daily drawdown, cooldown, max open
    positions, daily cap and spacing of the current P&L tier, then sizing. Per-mint checks
    (already in position, rugged, liquidity) are the caller's.
    """
    eq = equity_nb(acct)
    if iacct[I_HALTED] != 0 or eq <= cfg["initial_equity"] * (1.0 - cfg["portfolio_stop"]):
        iacct[I_HALTED] = 1
        return REJECT_PORTFOLIO_STOP, 0.0
    if acct[A_WEEK_START_EQ] > 0.0 and eq / acct[A_WEEK_START_EQ] - 1.0 <= -cfg["weekly_dd_limit"]:
        return REJECT_WEEKLY_DD, 0.0
    pnl = daily_pnl_nb(acct)
    if pnl <= -cfg["daily_dd_limit"]:
        return REJECT_DAILY_DD, 0.0
    if ts < iacct[I_COOLDOWN_UNTIL]:
        return REJECT_COOLDOWN, 0.0
    if iacct[I_OPEN] >= cfg["max_open"]:
        return REJECT_MAX_OPEN, 0.0
    cap, spacing, _ = tier_limits_nb(tier_nb(pnl, cfg), cfg)
    if iacct[I_DAY_TRADES] >= cap:
        return REJECT_DAILY_CAP, 0.0
    if iacct[I_LAST_ENTRY_TS] > 0 and ts - iacct[I_LAST_ENTRY_TS] < spacing:
        return REJECT_SPACING, 0.0
    frac = kelly_fraction_nb(acct, iacct, cfg) if cfg["kelly"] > 0.0 else cfg["position_fraction"]
    size = frac * strength * eq
    size = min(size, cfg["max_position_sol"])
    size = min(size, acct[A_CASH] - 2.0 * (cfg["priority_fee"] + cfg["tip"]))
    if not size > 0.0:
        return REJECT_SIZE, 0.0
    return ACCEPTED, size


@njit(cache=True)
def record_entry_nb(ts: int, iacct) -> None:
    iacct[I_DAY_TRADES] += 1
    iacct[I_LAST_ENTRY_TS] = ts
    iacct[I_OPEN] += 1


@njit(cache=True)
def record_close_nb(ts: int, pnl: float, ret: float, acct, iacct, cfg) -> None:
    """Book a closed trade: win/loss streak, cooldowns (30 min after 3 losses, 60 after 5), Kelly."""
    iacct[I_N_CLOSED] += 1
    acct[A_SUM_R] += ret
    acct[A_SUM_R2] += ret * ret
    if pnl > 0.0:
        iacct[I_N_WIN] += 1
        acct[A_SUM_WIN_R] += ret
        iacct[I_CONSEC_LOSS] = 0
    else:
        acct[A_SUM_LOSS_R] += ret
        iacct[I_CONSEC_LOSS] += 1
        streak = iacct[I_CONSEC_LOSS]
        until = 0
        if streak >= cfg["cooldown_losses_2"]:
            until = ts + int(cfg["cooldown_2_ns"])
        elif streak == cfg["cooldown_losses_1"]:
            until = ts + int(cfg["cooldown_1_ns"])
        if until > iacct[I_COOLDOWN_UNTIL]:
            iacct[I_COOLDOWN_UNTIL] = until
