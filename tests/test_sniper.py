"""Launch sniper: hand-checked entries and exits, filters, caps, look-ahead, null market."""

from __future__ import annotations

import numpy as np
import pytest
from launch_tape import LaunchTape, S, grown_equals_whole, random_launches
from memelab.engine import EngineConfig, backtest, check_lookahead
from memelab.engine.replay import ReplayContext, make_params
from memelab.engine.risk import KNOB_EQUITY, N_KNOBS
from memelab.strategies import get_strategy, sniper

LOOSE = EngineConfig(tier_spacing_s=(0.0,) * 4, tier_daily_cap=(1000,) * 4, max_open_positions=20)


def _requests(events, params=None, equity=100.0):
    """Drive ``on_event`` directly: {event index: returned value}."""
    p = make_params(sniper, params)
    n_m, n_w = int(events["mint"].max()) + 1, int(events["trader"].max()) + 1
    state = sniper.init_state(ReplayContext(n_m, n_w, np.full(n_m, -1, np.int32), 0), p)
    knobs = np.zeros(N_KNOBS)
    knobs[KNOB_EQUITY] = equity
    out = {}
    for i in range(len(events)):
        x = sniper.on_event(events[i], p, state, knobs)
        if x != 0.0:
            out[i] = x
    return out


def _scenario() -> LaunchTape:
    tape = LaunchTape()
    # mint 0: clean launch, bought at its first non-creator sell (t=3), closed when its creator
    # sells (t=20)
    tape.launch(0, 0, creator=7).buy(0.1, 0, 0.2, trader=7).buy(1, 0, 1.0, trader=3)
    tape.buy(2, 0, 0.5, trader=4).sell(3, 0, 1e6, trader=3).buy(4, 0, 0.3, trader=5)
    tape.sell(20, 0, 2e6, trader=7).buy(21, 0, 0.1, trader=6)
    # mint 1: the same creator again: per-creator cap (1 per day)
    tape.launch(30, 1, creator=7).buy(31, 1, 1.0).sell(32, 1, 1e6)
    # mint 2: the creator bought 3 SOL > 1 SOL
    tape.launch(100, 2, creator=8).buy(100.1, 2, 3.0, trader=8).buy(101, 2, 1.0).sell(102, 2, 1e6)
    # mint 3: bought, never sold by anyone: not sellable
    tape.launch(200, 3, creator=9).buy(201, 3, 1.0).buy(202, 3, 1.0, trader=4)
    # mint 4: the first sell comes 20 s after the launch: too late (window 15 s)
    tape.launch(300, 4, creator=10).buy(301, 4, 1.0).sell(320, 4, 1e6)
    # mint 5 (creator 11) is rugged (liquidity pulled); the creator's next mint 6 is refused
    tape.launch(400, 5, creator=11).buy(401, 5, 1.0).pull(410, 5)
    tape.launch(420, 6, creator=11).buy(421, 6, 1.0).sell(422, 6, 1e6)
    return tape


def test_sniper_is_registered_with_params_defaults_and_sweep():
    mod = get_strategy("sniper")
    assert set(mod.DEFAULTS) == set(mod.PARAMS_DTYPE.names)
    assert set(mod.SWEEP) <= set(mod.DEFAULTS)
    assert mod.DEFAULTS["sell_check_s"] == 60.0 and mod.DEFAULTS["max_impact"] == 0.01


def test_sniper_buys_only_the_clean_sellable_young_launch_and_closes_on_the_creator_sell():
    ev = _scenario().events()
    req = _requests(ev)
    i_buy = int(np.flatnonzero((ev["mint"] == 0) & (ev["side"] < 0) & (ev["trader"] == 3))[0])
    i_close = int(np.flatnonzero((ev["mint"] == 0) & (ev["trader"] == 7) & (ev["side"] < 0))[0])
    assert sorted(req) == [i_buy, i_close]
    # impact cap: 1% of the SOL reserve at the signal, over a 5 SOL base order (5% of 100)
    assert req[i_buy] == pytest.approx(0.01 * ev["vsol"][i_buy] / 5.0)
    assert req[i_close] == -1.0


def test_backtest_fills_the_sniped_mint_at_hand_checked_reserves():
    ev = _scenario().events()
    res = backtest(ev, sniper, config=LOOSE)
    assert len(res.trades) == 1
    t = res.trades.iloc[0]
    i_buy = int(np.flatnonzero((ev["mint"] == 0) & (ev["side"] < 0) & (ev["trader"] == 3))[0])
    vs, vt = ev["vsol"][i_buy], ev["vtok"][i_buy]  # the order lands at t=4 on these reserves
    sol = 0.01 * vs  # 5% of 100 SOL x the impact-capped multiple
    assert t["tokens"] == pytest.approx(vt - vs * vt / (vs + sol * 0.99), rel=1e-9)
    assert t["entry_sol"] == pytest.approx(sol + 0.0002, rel=1e-9)  # priority fee + tip
    assert t["exit_reason"] == "signal"
    assert t["exit_ts"] == ev["ts"][i_buy] + 18 * S  # the close lands at the next event (t=21)


def test_per_minute_cap_lets_two_entries_into_any_60s():
    tape = LaunchTape()
    for m, t in enumerate((0, 10, 20, 70)):
        tape.launch(t, m, creator=20 + m).buy(t + 1, m, 1.0).sell(t + 2, m, 1e6)
    ev = tape.events()
    entries = sorted({int(ev["mint"][i]) for i, x in _requests(ev).items() if x > 0})
    assert entries == [0, 1, 3]  # mint 2 came within 60 s of two entries; at 72 s mint 0's left
    assert sorted({int(ev["mint"][i]) for i in _requests(ev, {"max_per_minute": 3})}) == [
        0,
        1,
        2,
        3,
    ]


def test_without_the_creator_filters_the_refused_launches_are_bought():
    ev = _scenario().events()
    loose = {"max_per_creator": 10, "max_creator_buy_sol": 10.0, "max_history": 0}
    mints = {int(ev["mint"][i]) for i, x in _requests(ev, loose).items() if x > 0}
    assert mints == {0, 1, 2, 6}  # 3 never sellable, 4 too late, 5 pulled before any sell


def test_lookahead_guard_passes_for_the_sniper():
    ev = random_launches(120, seed=3)
    report = check_lookahead(ev, sniper, config=LOOSE)
    assert report.passed, report.first_difference
    assert report.orders_checked >= 5


def test_on_a_market_without_edge_the_sniper_loses_on_average():
    pnl = [backtest(random_launches(150, seed=s), sniper, config=LOOSE).trades["pnl_sol"].sum()
           for s in range(4)]  # fmt: skip
    assert np.mean(pnl) < 0.0


def test_a_sniper_replay_grown_chunk_by_chunk_equals_one_sized_for_the_whole():
    assert grown_equals_whole(sniper, random_launches(120, seed=3), config=LOOSE) >= 10
