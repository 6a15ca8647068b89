"""``memelab sweep`` and ``memelab validate`` write what they promise, and refuse bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from memelab.cli.main import app
from sweep_markets import make_market
from test_sweep_distributed import events_to_lake
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    # 4 hours of market: mints launched a minute apart for 4 h.
    return events_to_lake(
        make_market(5, n_mints=240, trades=60), tmp_path_factory.mktemp("cli") / "lake"
    )


def test_sweep_writes_results_best_and_report(lake, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "sweep", "--lake", str(lake.root), "--grid", "window_s=10,30", "--grid",
            "min_return=0.02,0.05,0.1", "--grid", "min_trades=3,6",
            "--constraint", "min_trades < window_s / 2", "--top-trades", "2", "--out", str(out),
            "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "results.parquet")
    # window 10 with min_trades 6 is excluded by the constraint: 2*3*2 - 3 = 9 rows
    assert len(table) == 9
    assert not ((table["window_s"] == 10) & (table["min_trades"] == 6)).any()
    best = json.loads((out / "best.json").read_text())
    top = table.loc[table["bucket_sharpe"].idxmax()]
    assert best["combo"] == int(top["combo"])
    assert best["params"]["min_trades"] == int(top["min_trades"])
    assert set(best["gates"]) >= {"dsr", "pbo", "passed"}
    html = (out / "report.html").read_text()
    assert html.count("<script") >= 2 and "Overfitting gates" in html
    assert np.load(out / "bucket_returns.npy").shape == (64, 9)
    top = pd.read_parquet(out / "top_trades.parquet")
    assert top.groupby("combo").size().max() <= 2
    assert set(top["combo"]) <= set(table["combo"])
    summary = json.loads(res.output)
    assert summary["combos"] == 9 and summary["best"]["combo"] == best["combo"]


def test_validate_runs_walk_forward_folds(lake, tmp_path):
    out = tmp_path / "wf"
    res = runner.invoke(
        app,
        [
            "validate", "--lake", str(lake.root), "--grid", "min_return=0.02,0.05,0.1",
            "--walk-forward", "60m/40m", "--embargo", "1m", "--out", str(out), "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    folds = pd.read_parquet(out / "folds.parquet")
    # ~241 min of data; tests end at 60 + 1 + 40 (k + 1) min: 101, 141, 181, 221 fit, 261 not
    assert len(folds) == 4
    gap = (folds["test_start"] - folds["train_end"]).dt.total_seconds()
    assert (gap == 60).all()
    doc = json.loads((out / "validation.json").read_text())
    assert doc["folds"] == 4 and "oos_total_return" in doc["gates"]


def test_sweep_names_the_bad_grid_parameter(lake, tmp_path):
    res = runner.invoke(
        app, ["sweep", "--lake", str(lake.root), "--grid", "speed=1,2", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "unknown parameter 'speed'" in res.output
