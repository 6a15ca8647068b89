"""SPRT verdicts explain themselves: why a test continues, and a P&L effect size taken from the
control's own backtest whose alpha and beta hold by Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


def _pnl_draw(rng, n):
    """Memecoin-like per-trade P&L in SOL: many small losses, a right-skewed tail."""
    return 0.4 * (rng.lognormal(0.0, 1.0, n) - np.exp(0.5))


def _run(dir_, pnl, seed=0):
    n = len(pnl)
    dir_.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"signal_id": np.arange(n), "entry_ts": np.arange(n) * 10, "exit_ts": np.arange(n) * 10 + 5,
         "pnl_sol": pnl, "win": pnl > 0}
    ).to_parquet(dir_ / "trades.parquet")  # fmt: skip
    return dir_


def _sprt(tmp_path, control, treatment, *extra):
    return runner.invoke(
        app,
        ["sprt", "--control", str(control), "--treatment", str(treatment), "--metric", "pnl",
         "--sims", "200", *extra],
    )  # fmt: skip


def test_continue_below_min_n_says_so(tmp_path):
    rng = np.random.default_rng(1)
    c = _run(tmp_path / "c", _pnl_draw(rng, 12))
    t = _run(tmp_path / "t", _pnl_draw(rng, 12) - 5.0)  # far worse, yet too few units
    res = _sprt(tmp_path, c, t, "--paired")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("delta1 = ") or "delta1 = " in res.output
    assert "continue" in res.output
    assert "why continue: only 12 units: the test decides nothing before min_n=30" in res.output


def test_continue_without_variation_says_so(tmp_path):
    pnl = np.random.default_rng(2).integers(-8, 8, 40) * 0.25  # exact binary fractions
    c = _run(tmp_path / "c", pnl)
    t = _run(tmp_path / "t", pnl + 0.0625)  # every paired score is exactly 0.0625
    res = _sprt(tmp_path, c, t, "--paired", "--delta1", "0.125", "--json")
    assert res.exit_code == 0, res.output
    import json

    s = json.loads(res.output)
    assert s["decision"] == "continue"
    assert s["reason"] == "no variation in the 40 scores (all equal): the test cannot weigh them"


def test_default_pnl_delta1_comes_from_the_control_only():
    from memelab.research.sprt.analysis import DELTA1_SD_FRACTION, default_pnl_delta1

    pnl = _pnl_draw(np.random.default_rng(3), 300)
    control = pd.DataFrame({"pnl_sol": pnl})
    assert default_pnl_delta1(control) == pytest.approx(DELTA1_SD_FRACTION * np.std(pnl, ddof=1))
    from memelab.research.sprt.wald import SPRTError

    with pytest.raises(SPRTError, match="give --delta1"):
        default_pnl_delta1(pd.DataFrame({"pnl_sol": [0.1]}))


def test_unpaired_pnl_test_at_the_default_delta1_keeps_alpha_and_beta_by_monte_carlo():
    from memelab.research.sprt.analysis import default_pnl_delta1
    from memelab.research.sprt.twoarm import TwoArmSPRT

    rng = np.random.default_rng(7)
    d1 = default_pnl_delta1(pd.DataFrame({"pnl_sol": _pnl_draw(rng, 400)}))
    test = TwoArmSPRT(delta0=0.0, delta1=d1, alpha=0.05, beta=0.20, min_n=30)
    reps, max_n = 600, 4000
    out = {}
    for name, shift in (("h0", 0.0), ("h1", d1)):
        decisions, ns = [], []
        for _ in range(reps):
            scores = (_pnl_draw(rng, max_n) + shift) - _pnl_draw(rng, max_n)  # unpaired units
            st = test.update(scores)
            decisions.append(st.decision)
            ns.append(st.n)
        out[name] = (np.array(decisions), np.array(ns))
    h0, h1 = out["h0"][0], out["h1"][0]
    se = lambda p: 3 * np.sqrt(p * (1 - p) / reps)  # noqa: E731
    assert np.mean(h0 == "accept_h1") <= 0.05 + se(0.05)  # alpha
    assert np.mean(h1 == "accept_h0") <= 0.20 + se(0.20)  # beta
    assert np.mean(h0 == "continue") < 0.01 and np.mean(h1 == "continue") < 0.01
    assert np.median(out["h1"][1]) < 1000  # hundreds of trades, not ~10^6
