"""The user guide's worked strategy is the shipped file, backtests and passes the look-ahead check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def module():
    spec = importlib.util.spec_from_file_location(
        "big_first_buy", REPO / "examples" / "big_first_buy.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["big_first_buy"] = mod  # as the guide does: numba's cache loads by module name
    spec.loader.exec_module(mod)
    return mod


def test_the_guide_shows_the_example_file_as_it_is():
    guide = (REPO / "docs" / "guide.md").read_text()
    assert (REPO / "examples" / "big_first_buy.py").read_text() in guide


def test_the_worked_strategy_trades_and_sees_no_future(module, tmp_path):
    from memelab.datasets.synth import synthesize
    from memelab.engine import backtest, check_lookahead

    lake = synthesize(tmp_path / "lake", tokens=60, wallets=200, days=1, seed=3)
    res = backtest(lake, strategy=module, params={"min_sol": 1.0})
    assert res.metrics["trades"] > 0 and res.strategy == "big_first_buy"
    cut = int(res.orders["ts"].iloc[1]) + 1  # two decisions before the cut to compare
    report = check_lookahead(lake.load_events(), module, {"min_sol": 1.0}, cut=cut)
    assert report.passed, report.first_difference
    assert report.orders_checked >= 2 and report.events_perturbed > 0
