"""Metrics follow the field's convention (daily returns, 365-day year, empyrical's definitions)
and say so; short runs get an hourly, labelled figure with its probabilistic Sharpe ratio."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from memelab.engine.metrics import (
    DAY_NS,
    MIN_DAYS,
    format_metric,
    label,
    probabilistic_sharpe,
    return_metrics,
)


def _equity_path(days: int, seed: int):
    """Irregular samples over ``days`` days, with whole quiet days (no sample) in between."""
    rng = np.random.default_rng(seed)
    t0 = 1_735_689_600 * 10**9  # 2025-01-01 UTC
    ts = np.sort(rng.integers(t0, t0 + days * DAY_NS, 40 * days))
    quiet = (ts - t0) // DAY_NS
    ts = ts[(quiet % 7) != 3]  # every 7th day has no sample at all
    eq = 100.0 * np.cumprod(1.0 + rng.normal(0.0005, 0.01, len(ts)))
    return ts, eq


def _reference(ts, eq, init):
    """An independent computation with pandas, empyrical's formulas, annualization=365."""
    s = pd.Series(eq, index=pd.to_datetime(ts, unit="ns"))
    daily = s.resample("1D").last().ffill()
    r = pd.concat([pd.Series([init]), daily.reset_index(drop=True)]).pct_change().dropna()
    r = r.to_numpy()
    sharpe = r.mean() / r.std(ddof=1) * math.sqrt(365)
    downside = math.sqrt(np.mean(np.clip(r, None, 0.0) ** 2)) * math.sqrt(365)
    return r, sharpe, r.mean() * 365 / downside, -np.percentile(r, 5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_daily_sharpe_sortino_and_var_match_empyrical_definitions(seed):
    ts, eq = _equity_path(60, seed)
    m = return_metrics(ts, eq, 100.0)
    r, sharpe, sortino, var = _reference(ts, eq, 100.0)
    assert m["days"] == len(r) >= MIN_DAYS
    assert m["sharpe"] == pytest.approx(sharpe, rel=1e-10)
    assert m["sortino"] == pytest.approx(sortino, rel=1e-10)
    assert m["var_95_daily"] == pytest.approx(var, rel=1e-10) and m["var_95_daily"] > 0
    assert m["psr_grid"] == "1d" and "365" in m["returns_convention"]


def test_probabilistic_sharpe_equals_the_research_gates_formula():
    from memelab.research.validation.gates import probabilistic_sharpe_ratio, sharpe_ratio
    from scipy.stats import kurtosis, skew

    r = np.random.default_rng(4).normal(0.001, 0.02, 200)
    expected = probabilistic_sharpe_ratio(
        sharpe_ratio(r), 0.0, len(r), float(skew(r)), float(kurtosis(r, fisher=False))
    )
    assert probabilistic_sharpe(r) == pytest.approx(expected, rel=1e-12)
    assert probabilistic_sharpe(np.zeros(50)) is None  # no variation, no probability


def test_a_run_shorter_than_the_daily_minimum_reports_hourly_figures_with_psr():
    ts, eq = _equity_path(2, 9)
    m = return_metrics(ts, eq, 100.0)
    assert m["days"] == 2 < MIN_DAYS
    assert m["sharpe"] is None and m["sortino"] is None and m["var_95_daily"] is None
    assert m["psr_grid"] == "1h" and 0.0 <= m["psr"] <= 1.0 and m["sharpe_hourly"] != 0.0
    assert (
        format_metric("sharpe", None, m) == f"n/a (2 day(s) < {MIN_DAYS}: see the hourly figures)"
    )
    assert label("psr", m) == "PSR (P(SR>0), hourly)"
    assert label("sharpe_hourly") == "sharpe (hourly, not ann.)"


def test_fractions_are_shown_as_percent_and_percent_keys_keep_their_unit():
    assert format_metric("total_return", 1.2255) == "122.55%"
    assert format_metric("max_drawdown", 0.0135) == "1.35%"
    assert format_metric("avg_winner_pct", 12.5) == "12.50%"
    assert format_metric("pnl_sol", 1.5) == "1.5000"


def test_backtest_cli_states_the_convention_and_never_prints_an_annualised_minute_sharpe(tmp_path):
    from engine_scenarios import random_market
    from memelab.engine import backtest
    from memelab.strategies import get_strategy

    res = backtest(random_market(20_000, 20, seed=3), get_strategy("momentum"))
    m = res.metrics
    assert m["sharpe"] is None and m["psr_grid"] == "1h" and "var_95" not in m
    import typer
    from memelab.cli.backtest import print_headline
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(lambda: print_headline(m))
    out = CliRunner().invoke(app, []).output
    assert "sharpe (daily, ann.)" in out and "n/a (" in out
    assert "PSR (P(SR>0), hourly)" in out and "returns: daily returns (UTC days)" in out
    assert f"{m['total_return'] * 100:,.2f}%" in out
