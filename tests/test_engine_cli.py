"""CLI: backtest writes its files and prints metrics; check lookahead; demo on a synthetic lake."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from memelab.cli.main import app
from memelab.strategies import momentum
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    from memelab.datasets.synth import synthesize

    root = tmp_path_factory.mktemp("engine_cli") / "lake"
    synthesize(root, tokens=40, wallets=150, days=1, seed=3)
    return root


def test_backtest_writes_trades_equity_metrics_report_and_run(lake, tmp_path):
    out = tmp_path / "bt"
    res = runner.invoke(
        app,
        ["backtest", "--lake", str(lake), "--strategy", "momentum", "--param", "min_return=0.05",
         "--param", "min_buy_sol=1", "--engine", "latency_s=0.8", "--out", str(out), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    printed = json.loads(res.output)
    for name in ("trades.parquet", "equity.parquet", "metrics.json", "report.html", "run.json"):
        assert (out / name).is_file(), name
    trades = pd.read_parquet(out / "trades.parquet")
    required = ["signal_id", "mint", "entry_ts", "exit_ts", "entry_sol", "exit_sol", "pnl_sol",
                "return_pct", "win", "exit_reason"]  # fmt: skip
    assert set(required) <= set(trades.columns)
    assert len(trades) == printed["metrics"]["trades"] > 0
    assert trades["mint"].str.len().min() >= 32  # full base58 addresses
    assert (trades["pnl_sol"] == trades["exit_sol"] - trades["entry_sol"]).all()
    run = json.loads((out / "run.json").read_text())
    assert run["params"]["min_return"] == 0.05 and run["config"]["latency_s"] == 0.8
    assert run["strategy"] == "momentum" and run["source"] == str(lake)
    from memelab.engine import EngineConfig

    assert EngineConfig.from_dict(run["config"]) == EngineConfig(latency_s=0.8)  # reproducible
    html = (out / "report.html").read_text()
    assert 'src="https://cdn.plot.ly' not in html and len(html) > 1_000_000  # plotly.js inline
    equity = pd.read_parquet(out / "equity.parquet")
    metrics = json.loads((out / "metrics.json").read_text())
    assert equity["equity"].iloc[-1] == pytest.approx(metrics["final_equity"])


def test_backtest_names_an_unknown_parameter(lake, tmp_path):
    res = runner.invoke(
        app, ["backtest", "--lake", str(lake), "--param", "nope=1", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "nope" in res.output and "min_return" in res.output


def test_check_lookahead_passes_for_momentum(lake):
    res = runner.invoke(app, ["check", "lookahead", "--lake", str(lake), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["passed"] is True


def test_demo_backtests_an_existing_lake_and_prints_the_report_path(lake, tmp_path):
    from memelab.datasets.lake import Lake

    res = runner.invoke(app, ["demo", "--lake", str(lake), "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    rows = Lake(lake).manifest("swaps")["rows"]
    assert re.search(rf"swaps\s+{rows:,} rows", res.output)  # the lake summary comes first
    assert str(tmp_path / "demo" / "report.html") in res.output
    assert (tmp_path / "demo" / "report.html").is_file()


def test_event_cache_replays_identically_and_is_invalidated_by_new_rows(lake, tmp_path):
    import shutil

    from memelab.datasets.event_cache import CACHE_DIR, iter_cached_events
    from memelab.datasets.lake import Lake
    from memelab.engine import backtest

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    store = Lake(copy)
    plain = backtest(store, momentum)
    first = backtest(store, momentum, event_cache=True)  # builds the cache
    entries = sorted((copy / CACHE_DIR).glob("date=*.npy"))
    assert entries
    built = [p.stat().st_mtime_ns for p in entries]
    again = backtest(store, momentum, event_cache=True)  # reads it, without rebuilding
    assert [p.stat().st_mtime_ns for p in entries] == built
    for res in (first, again):
        assert res.raw.trades.tobytes() == plain.raw.trades.tobytes()
        assert res.raw.fills.tobytes() == plain.raw.fills.tobytes()
    # a new row in the partition changes its manifest hash: the cache entry is rebuilt
    table = store.read("swaps").slice(0, 1)
    table = table.set_column(table.column_names.index("signature"), "signature",
                             pa.array(["cache-invalidation-test"]))  # fmt: skip
    store.write("swaps", table, source="test")
    cached = np.concatenate([chunk.copy() for chunk in iter_cached_events(store)])
    assert len(cached) == len(store.load_events()) == plain.metrics["events"] + 1


def test_signal_ids_are_the_same_in_a_later_window_of_the_same_lake(lake):
    from memelab.datasets.lake import Lake
    from memelab.engine import backtest

    params = {"min_return": 0.05, "min_buy_sol": 1.0}
    store = Lake(lake)
    whole = backtest(store, momentum, params=params)
    entries = whole.raw.orders[whole.raw.orders["side"] > 0]
    assert len(entries) >= 4
    cut = int(entries["ts"][len(entries) // 2])  # a window starting at a mid-run signal
    later = backtest(store, momentum, params=params, start=cut)
    events = store.load_events()
    later_entries = later.raw.orders[later.raw.orders["side"] > 0]
    ids = later_entries["signal_id"]
    assert len(ids) > 0 and ids.min() > len(events[events["ts"] < cut]) - 1
    # ids index the whole lake, not the window: they point at the triggering events
    assert np.array_equal(events["ts"][ids], later_entries["ts"])
    assert np.array_equal(events["mint"][ids], later_entries["mint"])


def test_streamed_row_groups_equal_lake_iter_events_also_after_an_overlapping_append(
    lake, tmp_path
):
    import shutil

    from memelab.datasets.lake import Lake
    from memelab.datasets.stream import stream_events

    def same(a, b):
        return all(
            np.array_equal(a[f], b[f], equal_nan=a.dtype[f].kind == "f") for f in a.dtype.names
        )

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    store = Lake(copy)
    events = store.load_events()
    lo, hi = int(events["ts"][len(events) // 3]), int(events["ts"][2 * len(events) // 3])
    for window in ((None, None), (lo, hi)):
        streamed = np.concatenate([c.copy() for c in stream_events(store, *window)])
        assert same(streamed, store.load_events(*window))
    # an append whose rows fall inside the partition's time range: streaming must fall back
    early = store.read("swaps").slice(5, 3)
    early = early.set_column(early.column_names.index("signature"), "signature",
                             pa.array(["late-1", "late-2", "late-3"]))  # fmt: skip
    store.write("swaps", early, source="test")
    streamed = np.concatenate([c.copy() for c in stream_events(store)])
    assert len(streamed) == len(events) + 3
    assert same(streamed, store.load_events())
