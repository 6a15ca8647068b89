"""The backtest tear sheet: its figures reconcile with the metrics, and the page holds every
section (benchmark, daily P&L, rolling Sharpe, drawdowns, costs, trade log, provenance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from memelab.engine import EngineConfig, backtest
from memelab.engine import tearsheet as ts_


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from memelab.datasets.synth import synthesize
    from memelab.strategies import get_strategy

    lake = synthesize(
        tmp_path_factory.mktemp("tear") / "lake",
        tokens=120,
        wallets=400,
        days=2,
        seed=17,
        scenario="planted",
    )  # fmt: skip  (the market it was written on)
    res = backtest(lake, get_strategy("momentum"), {"min_return": 0.05, "min_buy_sol": 0.5},
                   EngineConfig(latency_s=2.0, slippage_tol=0.03))  # fmt: skip
    assert res.metrics["trades"] > 3 and res.metrics["failed_tx"] > 0
    return lake, res


def test_the_deepest_drawdown_is_the_max_drawdown(run):
    _, res = run
    eq = res.equity
    dds = ts_.drawdown_periods(eq["ts"].to_numpy(), eq["equity"].to_numpy(), 100.0)
    assert dds["depth"].iloc[0] == pytest.approx(res.metrics["max_drawdown"], rel=1e-12)
    assert (np.diff(dds["depth"].to_numpy()) <= 0).all()
    assert (dds["trough"] >= dds["peak"]).all()


def test_costs_add_up_to_the_fees_and_daily_pnl_to_the_pnl(run):
    _, res = run
    c = ts_.cost_breakdown(res.raw.fills)
    total = c["venue_fees"] + c["priority_fees_and_tips"] + c["failed_tx_fees"]
    assert total == pytest.approx(res.metrics["fees_sol"], rel=1e-9)
    assert c["failed_tx"] == res.metrics["failed_tx"]
    eq = res.equity
    daily = ts_.daily_pnl(eq["ts"].to_numpy(), eq["equity"].to_numpy(), 100.0)
    assert len(daily) == res.metrics["days"] == 2
    assert daily.sum() == pytest.approx(res.metrics["pnl_sol"], rel=1e-9)


def test_benchmark_is_equal_weight_buy_and_hold_of_the_traded_mints(run):
    lake, res = run
    eq = res.equity
    bench = ts_.benchmark_curve(res, eq["ts"].to_numpy())
    swaps = lake.read("swaps").to_pandas()[["mint", "ts", "price"]].sort_values("ts", kind="stable")
    end = int(eq["ts"].iloc[-1])
    rel = []
    for mint, entry in res.trades.groupby("mint")["entry_ts"].min().items():
        p = swaps[(swaps["mint"] == mint) & (swaps["ts"] >= entry) & (swaps["ts"] <= end)]
        rel.append(p["price"].iloc[-1] / p["price"].iloc[0])
    assert bench.iloc[-1] == pytest.approx(100.0 * np.mean(rel), rel=1e-9)
    assert bench.iloc[0] == pytest.approx(100.0)  # before the first entry it is all cash


def test_the_report_has_every_section_and_the_provenance(run, tmp_path):
    lake, res = run
    paths = res.save(tmp_path / "out")
    page = paths["report"].read_text()
    for heading in ("Equity, drawdown, exposure", "Daily P&amp;L and rolling Sharpe", "Trades",
                    "Worst drawdowns", "Costs", "Trade log", "benchmark return (buy &amp; hold)"):  # fmt: skip
        assert heading in page, heading
    assert lake.manifest("swaps")["content_hash"] in page
    from memelab.datasets.numba_cache import source_hash

    assert source_hash() in page
    assert page.count("<tr>") >= len(res.trades) + 10  # every trade in the log
    assert page.count('src="https://cdn.plot.ly') == 0  # plotly inlined once, works offline
    assert isinstance(ts_.rolling_sharpe(res.equity["ts"].to_numpy(),
                                         res.equity["equity"].to_numpy(), 100.0), pd.Series)  # fmt: skip
