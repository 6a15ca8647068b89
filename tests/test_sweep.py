"""The sweep kernel against one-at-a-time backtests, and the gates on noise vs planted-edge markets."""

from __future__ import annotations

import numpy as np
import pytest
from memelab.engine.replay import run_replay
from memelab.research.sweeps.sweep import run_sweep, space_for
from memelab.strategies import get_strategy, momentum
from sweep_markets import CONFIG, GRID, make_market


@pytest.fixture(scope="module")
def noise():
    return make_market(1)


@pytest.fixture(scope="module")
def sweep_noise(noise):
    return run_sweep(noise, momentum, space_for(momentum, GRID), config=CONFIG, batch_size=5)


def _reference(events, params):
    """One-at-a-time replay; metrics folded with plain Python in record order."""
    _, out = run_replay(events, momentum, params, CONFIG)
    pnl = [float(t["exit_sol"] - t["entry_sol"]) for t in out.trades]
    total = 0.0
    for x in pnl:
        total += x
    peak, mdd = 100.0, 0.0
    for e in out.equity["equity"]:
        peak = max(peak, e)
        mdd = max(mdd, 1.0 - e / peak)
    fees = 0.0
    for f in out.fills:
        fees += f["venue_fee"] + f["tx_fee"]
    return {
        "n_trades": len(pnl),
        "wins": sum(x > 0 for x in pnl),
        "pnl_sol": total,
        "final_equity": out.acct[0] + out.acct[1],
        "max_drawdown": mdd,
        "fees_sol": fees,
        "fills": len(out.fills),
        "rejects": out.rejects,
    }


def test_sweep_metrics_equal_one_at_a_time_backtests_bit_for_bit(noise, sweep_noise):
    table = sweep_noise.table
    assert len(table) == 24 and table["combo"].tolist() == list(range(24))
    assert table["n_trades"].sum() > 0
    for k in (0, 7, 13, 23):
        row = table.iloc[k]
        params = {name: row[name] for name in GRID}
        ref = _reference(noise, params)
        assert row["n_trades"] == ref["n_trades"]
        assert row["win_rate"] * max(ref["n_trades"], 1) == pytest.approx(ref["wins"], abs=1e-9)
        assert row["pnl_sol"] == ref["pnl_sol"]
        assert row["final_equity"] == ref["final_equity"]
        assert row["max_drawdown"] == ref["max_drawdown"]
        assert row["fees_sol"] == ref["fees_sol"]
        assert row["fills"] == ref["fills"]
        assert row["rejected_max_open_positions"] == ref["rejects"][2]
        assert row["entries_accepted"] == ref["rejects"][0]


def test_sweep_is_independent_of_batch_and_tile_size_and_deterministic(noise, sweep_noise):
    again = run_sweep(
        noise, momentum, space_for(momentum, GRID), config=CONFIG, batch_size=24,
        tile_events=777,
    )  # fmt: skip
    assert again.table.equals(sweep_noise.table)
    assert np.array_equal(again.bucket_returns, sweep_noise.bucket_returns)


def test_bucket_returns_compound_to_the_total_return(sweep_noise):
    growth = np.prod(1.0 + sweep_noise.bucket_returns, axis=0) - 1.0
    np.testing.assert_allclose(growth, sweep_noise.table["total_return"], rtol=1e-9, atol=1e-12)


def test_constraint_and_random_draw_select_rows_of_the_grid():
    s = space_for(momentum, GRID, n_random=10, constraint="min_trades * min_return < 0.5", seed=3)
    assert len(s) <= 10 and np.all(s["min_trades"] * s["min_return"] < 0.5)
    mod = get_strategy("momentum")
    assert s.dtype == mod.PARAMS_DTYPE


def test_gates_catch_the_best_of_a_noise_market(sweep_noise):
    g = sweep_noise.gates()
    assert g["dsr"]["dsr"] < 0.95
    assert g["pbo"]["pbo"] >= 0.5
    assert not g["passed"]


def test_gates_pass_the_best_of_a_planted_edge_market():
    res = run_sweep(make_market(1, pump=True), momentum, space_for(momentum, GRID), config=CONFIG)
    g = res.gates()
    assert res.best()["total_return"] > 0
    assert g["dsr"]["dsr"] >= 0.95
    assert g["pbo"]["pbo"] < 0.5
    assert g["passed"]


def test_sweep_rejects_a_space_of_another_strategy(noise):
    from memelab.research.sweeps.sweep import SweepError

    with pytest.raises(SweepError, match="PARAMS_DTYPE"):
        run_sweep(noise, momentum, np.zeros(2, dtype=[("x", "f8")]))


def test_top_trades_are_each_combinations_best_trades_of_its_backtest(noise):
    space = space_for(momentum, GRID)[[0, 5]]
    res = run_sweep(noise, momentum, space, config=CONFIG, top_k=3)
    for j in range(2):
        _, out = run_replay(noise, momentum, {n: space[j][n] for n in GRID}, CONFIG)
        pnl = out.trades["exit_sol"] - out.trades["entry_sol"]
        want = out.trades[np.argsort(-pnl, kind="stable")[:3]]
        got = res.top_trades[res.top_trades["combo"] == j]
        assert got["signal_id"].tolist() == want["signal_id"].tolist()
        assert got["pnl_sol"].tolist() == (want["exit_sol"] - want["entry_sol"]).tolist()


def test_sweep_metrics_match_the_engines_backtest_metrics():
    """Same names, same values: exact where the engine's number is not a float sum; sums are
    folded in trade order here and by numpy there, so they agree to the last ulps."""
    from memelab.engine import backtest

    events = make_market(1, n_mints=24, pump=True)
    space = space_for(momentum, GRID)[[0, 9, 17]]
    res = run_sweep(events, momentum, space, config=CONFIG)
    for j in range(len(space)):
        m = backtest(events, momentum, {n: space[j][n] for n in GRID}, CONFIG).metrics
        row = res.table.iloc[j]
        assert row["n_trades"] == m["trades"] > 0
        for key in ("win_rate", "total_return", "final_equity", "max_drawdown", "exposure"):
            assert row[key] == m[key], key
        for key in ("max_consecutive_wins", "max_consecutive_losses", "fills"):
            assert row[key] == m[key], key
        for key in ("pnl_sol", "ev_per_trade_sol", "avg_winner_sol", "avg_loser_sol", "fees_sol"):
            assert row[key] == pytest.approx(m[key], rel=1e-12, abs=1e-12), key
