"""The engine as the runner's step: feed rows with addresses grow dense ids, the timer's ticks
move the engine's clock (orders land and max-hold exits fire on a quiet feed), the CLI refuses
what it must."""

from __future__ import annotations

import types

import numpy as np
from memelab.cli.main import app
from memelab.engine import EngineConfig
from memelab.live.engine_step import EngineDriver, EngineStep
from numba import njit
from typer.testing import CliRunner

S = 10**9
T0 = 1_735_689_600 * S  # 2025-01-01


@njit(cache=False)
def _buy_first_trade(ev, params, state, knobs):
    if ev["kind"] == 0 and state[0][0] == 0:  # KIND_TRADE
        state[0][0] = 1
        return 1.0
    return 0.0


def _init(ctx, params):
    return (np.zeros(1, dtype=np.int64),)


BUY_ONCE = types.SimpleNamespace(
    NAME="buy_once", PARAMS_DTYPE=np.dtype([("x", np.float64)]), DEFAULTS={"x": 0.0}, SWEEP={},
    init_state=_init, on_event=_buy_first_trade,
)  # fmt: skip


def _row(ts, mint, trader, side=1, sol=1.0, vsol=40.0):
    vtok = 1.073e9 * 30.0 / vsol
    return {"ts": ts, "mint": mint, "trader": trader, "side": side, "venue": "pumpfun",
            "sol_amount": sol, "token_amount": sol / (vsol / vtok), "price": vsol / vtok,
            "virtual_sol_reserves": vsol, "virtual_token_reserves": vtok, "slot": 1}  # fmt: skip


def test_new_addresses_get_dense_ids_in_order_of_first_appearance_and_grow_the_replay():
    d = EngineDriver(BUY_ONCE, None, EngineConfig())
    d.step_row(_row(T0, "MintA", "W1"), [{"mint": "MintA", "creator": "W0", "created_ts": T0}])
    d.step_row(_row(T0 + S, "MintB", "W2"))
    d.step_row(_row(T0 + 2 * S, "MintA", "W2"))
    assert d.book.names["mints"] == ["MintA", "MintB"]
    assert d.book.names["wallets"] == ["W0", "W1", "W2"]  # the launch's creator came first
    assert d.book.names["pools"] == ["MintA:pumpfun", "MintB:pumpfun"]
    assert d.replay.ctx.n_mints >= 2 and d.replay.ctx.creator[0] == 0


def test_timer_ticks_land_the_order_and_fire_max_hold_on_a_quiet_feed():
    cfg = EngineConfig(latency_s=0.4, max_hold_s=60.0)
    step = EngineStep(EngineDriver(BUY_ONCE, None, cfg))
    decided = step(_row(T0, "MintA", "W1"), 0)
    assert [x.kind for x in decided] == ["entry"] and decided[0].mint == "MintA"
    assert step.driver.tick(T0 - S) == []  # never backwards
    step.tick(T0 + S)  # the buy lands at the tick, not at a later event
    exits = step.tick(T0 + 62 * S)  # nothing traded: the timer alone closes it
    assert [(x.kind, x.reason) for x in exits] == [("exit", "max_hold")]
    step.tick(T0 + 63 * S)  # the sell lands on the next tick
    res = step.driver.result()
    assert len(res.trades) == 1 and res.trades["exit_reason"][0] == "max_hold"
    assert res.trades["mint"][0] == "MintA"
    assert res.fills["ts"].tolist() == [T0 + S, T0 + 63 * S]
    # a late row (its ts before the engine's clock) is fed at the clock, never back in time
    d = EngineDriver(BUY_ONCE, None, cfg)
    d.step_row(_row(T0, "MintA", "W1"))
    d.tick(T0 + 5 * S)
    d.step_row(_row(T0 + 2 * S, "MintA", "W2"))
    assert d.clock() == T0 + 5 * S


def test_live_mode_refuses_a_forced_manifest_and_ml_backtest_needs_a_model(tmp_path):
    from memelab.datasets.synth import synthesize

    lake = tmp_path / "lake"
    synthesize(lake, tokens=5, wallets=60, days=1, seed=1)
    cli = CliRunner()
    bt = tmp_path / "bt"
    res = cli.invoke(app, ["backtest", "--lake", str(lake), "--out", str(bt), "--json"])
    assert res.exit_code == 0, res.output
    m = tmp_path / "m.json"
    res = cli.invoke(app, ["promote", str(bt), "--name", "m", "--force", "--out", str(m)])
    assert res.exit_code == 0, res.output
    res = cli.invoke(app, ["live", "--manifest", str(m), "--mode", "live", "--replay", str(lake)])
    assert res.exit_code == 2 and "forced" in res.output
    res = cli.invoke(app, ["live", "--manifest", str(m), "--mode", "paper"])
    assert res.exit_code == 2 and "--feed" in res.output
    res = cli.invoke(app, ["backtest", "--lake", str(lake), "--strategy", "ml", "--out",
                           str(tmp_path / "ml")])  # fmt: skip
    assert res.exit_code == 2 and "--model" in res.output
