"""Compiled exit rules: which exit fires for an open position at a new mark, and how much it sells.

Checked in this order on every event of the position's mint (the first that fires wins):
hard stop -> max hold -> break-even stop (inside its window) -> peak trailing -> take-profit ladder.
Returns are the mark (the position's liquidation price per token) against its effective entry
price, both with venue fee and own impact included, so a position starts slightly below zero.
"""

from __future__ import annotations

from memelab.engine.records import (
    EXIT_BREAKEVEN,
    EXIT_MAX_HOLD,
    EXIT_STOP,
    EXIT_TP1,
    EXIT_TRAIL,
)
from numba import njit

NO_EXIT = -1


@njit(cache=True)
def tp1_fraction_nb(age_ns: float, cfg) -> float:
    """Dynamic TP1 size: the faster TP1 is reached, the less is sold (let fast runners run)."""
    if age_ns < cfg["tp1_fast_ns"]:
        return cfg["tp1_size_fast"]
    if age_ns < cfg["tp1_mid_ns"]:
        return cfg["tp1_size_mid"]
    return cfg["tp1_size_slow"]


@njit(cache=True)
def trail_ratio_nb(pos, ts: int, cfg) -> float:
    """The active peak-trailing ratio (0: none): +60% peak -> 82%; fast +30% -> 85%; after BE."""
    peak_r = pos["peak"] / pos["entry_price"] - 1.0
    if peak_r >= cfg["trail_big_gain"]:
        return cfg["trail_big_ratio"]
    if pos["fast_trail"] != 0:
        return cfg["trail_fast_ratio"]
    armed = pos["be_armed_ts"]
    if armed >= 0 and ts - armed > cfg["be_window_ns"]:
        return cfg["be_trail_ratio"]
    return 0.0


@njit(cache=True)
def exit_decision_nb(pos, price: float, ts: int, cfg) -> tuple[int, float]:
    """Update the position's peak/arming state at mark ``price``; return (reason, tokens to sell).

    ``reason`` is ``NO_EXIT`` when nothing fires. Partial sells come only from the TP ladder.
    """
    entry = pos["entry_price"]
    if price > pos["peak"]:
        pos["peak"] = price
    r = price / entry - 1.0
    age = ts - pos["entry_ts"]
    held = pos["tokens"]
    if r <= -cfg["stop_loss"]:
        return EXIT_STOP, held
    if age >= cfg["max_hold_ns"]:
        return EXIT_MAX_HOLD, held
    peak_r = pos["peak"] / entry - 1.0
    if (
        pos["fast_trail"] == 0
        and peak_r >= cfg["trail_fast_gain"]
        and age <= cfg["trail_fast_window_ns"]
    ):
        pos["fast_trail"] = 1
    if pos["be_armed_ts"] < 0 and r >= cfg["be_arm"]:
        pos["be_armed_ts"] = ts
    armed = pos["be_armed_ts"]
    if armed >= 0 and ts - armed <= cfg["be_window_ns"] and price <= entry:
        return EXIT_BREAKEVEN, held
    ratio = trail_ratio_nb(pos, ts, cfg)
    if ratio > 0.0 and price <= ratio * pos["peak"]:
        return EXIT_TRAIL, held
    step = pos["tp_hit"]
    if step < 3:
        level = cfg["tp1"] if step == 0 else (cfg["tp2"] if step == 1 else cfg["tp3"])
        if r >= level:
            if step == 0:
                frac = tp1_fraction_nb(age, cfg)
            elif step == 1:
                frac = cfg["tp2_size"]
            else:
                frac = cfg["tp3_size"]
            pos["tp_hit"] = step + 1
            qty = frac * pos["tokens0"]
            if qty >= held * 0.999999:
                qty = held
            return EXIT_TP1 + step, qty
    return NO_EXIT, 0.0
