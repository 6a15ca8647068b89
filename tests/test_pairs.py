"""Statistical pairs (long-only): hand-checked entry on the laggard and exit on convergence,
causal bar statistics, bounded state, look-ahead, null market."""

from __future__ import annotations

import math

import numpy as np
from launch_tape import T0, LaunchTape, S, grown_equals_whole
from memelab.engine import EngineConfig, backtest, check_lookahead
from memelab.engine.replay import ReplayContext, make_params
from memelab.strategies import get_strategy, pairs

P = {"bar_s": 60.0, "lookback_s": 600.0, "top_n": 4}  # w = 10 bar returns
LOOSE = EngineConfig(tier_spacing_s=(0.0,) * 4, tier_daily_cap=(1000,) * 4, max_hold_s=7200.0)
JUMP, CATCH_UP, BARS = 20, 25, 30


def _paths():
    """Log-price multiples per bar: mints 0 and 1 share a zig-zag factor (plus a little noise),
    mint 2 walks on its own; in bar 20 mint 1 jumps 15%, from bar 25 mint 0 has caught up (its
    spread to mint 1 back at its mean before the jump)."""
    rng = np.random.default_rng(5)
    f = np.cumsum(np.where(np.arange(BARS) % 2 == 0, 0.02, -0.015))
    a = f + rng.normal(0, 0.002, BARS)
    b = f + rng.normal(0, 0.002, BARS)
    b[JUMP:] += 0.15
    a[CATCH_UP:] = b[CATCH_UP:] + (a - b)[JUMP - 10 : JUMP].mean()
    c = np.cumsum(rng.normal(0, 0.03, BARS))
    return np.stack([a, b, c])


def _tape() -> LaunchTape:
    tape = LaunchTape()
    for m in range(3):
        tape.launch(1 + m, m, creator=50 + m)
    lp = _paths()
    for k in range(1, BARS):
        for m in range(3):
            t = k * 60 + 5 + m
            tape.buy(t, m, 0.5 + m, trader=100 + m)  # volume (and a trade: the mint is alive)
            tape.price(t + 0.5, m, math.exp(lp[m, k]))
    return tape


def _requests(events, params):
    p = make_params(pairs, params)
    n = int(events["mint"].max()) + 1
    state = pairs.init_state(ReplayContext(n, 500, np.full(n, -1, np.int32), 0), p)
    knobs = np.zeros(16)
    out = []
    for i in range(len(events)):
        knobs[10] = -1.0  # KNOB_REQ_POOL: the engine clears the request slot before each call
        pairs.on_event(events[i], p, state, knobs)
        if knobs[10] >= 0:
            out.append((i, int(knobs[10]), float(knobs[11])))
    return out


def _z_at(bar: int) -> tuple[float, float]:
    """The statistics recomputed by hand: log prices at bar boundaries (the last price before
    each), w = 10 returns and spreads before ``bar``, the spread at ``bar`` scored on them."""
    lp = _paths()
    x = lp[0, :bar]  # the price set in bar k-1 is the one seen at boundary k
    y = lp[1, :bar]
    ra, rb = np.diff(x[-12:-1]), np.diff(y[-12:-1])
    s = (x - y)[-11:-1]
    return float(np.corrcoef(ra, rb)[0, 1]), float(((x - y)[-1] - s.mean()) / s.std())


def test_pairs_is_registered_with_params_defaults_and_sweep():
    mod = get_strategy("pairs")
    assert set(mod.DEFAULTS) == set(mod.PARAMS_DTYPE.names) and set(mod.SWEEP) <= set(mod.DEFAULTS)
    assert mod.DEFAULTS["entry_z"] == 2.5 and mod.DEFAULTS["min_corr"] == 0.7
    assert len(mod.SWEEP["lookback_s"]) >= 3


def test_buys_the_laggard_after_the_jump_and_sells_it_on_convergence():
    ev = _tape().events()
    req = _requests(ev, P)
    corr, z = _z_at(JUMP + 1)
    assert corr >= 0.7 and z <= -2.5  # measured on bars before the jump: a strong, correlated pair
    assert abs(_z_at(JUMP)[1]) < 2.5
    (i_in, pool_in, size_in), (i_out, pool_out, size_out) = req
    assert pool_in == 0 and size_in == 1.0 and pool_out == 0 and size_out == -1.0
    # the first event at or after the boundary that closes the jump's bar; then convergence
    assert ev["ts"][i_in] == T0 + (JUMP + 1) * 60 * S + 5 * S
    assert ev["ts"][i_out] == T0 + (CATCH_UP + 1) * 60 * S + 5 * S


def test_no_trade_when_the_pair_is_not_correlated_enough_or_the_bar_is_coarser():
    ev = _tape().events()
    assert _requests(ev, {**P, "min_corr": 0.999}) == []
    assert _requests(ev, {**P, "lookback_s": 3600.0}) == []  # never a full lookback of bars


def test_backtest_trades_mint_0_through_the_request_api():
    ev = _tape().events()
    res = backtest(ev, pairs, params=P, config=LOOSE)
    assert len(res.trades) == 1
    t = res.trades.iloc[0]
    assert t["exit_reason"] == "signal" and t["pnl_sol"] > 0.0  # the laggard caught up 15%
    # sent at the bar-closing event (its signal id), landed at the next event 0.5 s later
    i_in = _requests(ev, P)[0][0]
    assert t["signal_id"] == i_in and t["entry_ts"] == ev["ts"][i_in] + S // 2


def test_state_is_sized_by_top_n_and_lookback_not_by_pairs_of_mints():
    p = make_params(pairs, P)
    st = pairs.init_state(ReplayContext(100_000, 10, np.full(1, -1, np.int32), 0), p)
    per_mint = sum(a.nbytes for a in st[:2])
    assert sum(a.nbytes for a in st) - per_mint < 4 * 12 * 8 + 4096
    assert per_mint == 100_000 * (3 + 6) * 8


def test_lookahead_guard_passes_for_pairs():
    ev = _tape().events()
    cut = T0 + (JUMP + 2) * 60 * S
    report = check_lookahead(ev, pairs, params=P, config=LOOSE, cut=cut)
    assert report.passed, report.first_difference
    assert report.orders_checked >= 1


def _null_walks(n_mints: int, hours: float, seed: int) -> np.ndarray:
    """Independent martingale prices (log returns N(-sd^2/2, sd) every ~10 s) with a small
    trade beside each move: no mint leads another, nothing to converge to."""
    rng = np.random.default_rng(seed)
    tape = LaunchTape()
    for m in range(n_mints):
        tape.launch(m, m, creator=50)
        t, lp, sd = float(m), 0.0, 0.02
        while t < hours * 3600:
            t += float(rng.exponential(10.0))
            lp += rng.normal(-sd * sd / 2, sd)
            tape.buy(t, m, 0.5, trader=100 + m)
            tape.price(t + 0.1, m, math.exp(lp))
    return tape.events()


def test_on_independent_martingale_prices_pairs_loses_on_average():
    pnl, n = [], 0
    for seed in range(3):
        ev = _null_walks(8, 4.0, seed)
        res = backtest(ev, pairs, params={**P, "top_n": 8, "entry_z": 2.0}, config=LOOSE)
        pnl.append(res.trades["pnl_sol"].sum())
        n += len(res.trades)
    assert n >= 10 and np.mean(pnl) < 0.0


def test_a_pairs_replay_grown_chunk_by_chunk_equals_one_sized_for_the_whole():
    assert grown_equals_whole(pairs, _tape().events(), P, LOOSE, chunk=40) == 2
