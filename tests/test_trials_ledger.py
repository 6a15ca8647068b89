"""The trials ledger: every sweep and validation on a lake adds its configurations, and the DSR
counts all trials ever run on that lake and strategy."""

from __future__ import annotations

import json

import pytest
from memelab.cli.main import app
from sweep_markets import make_market
from test_sweep_distributed import events_to_lake
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return events_to_lake(
        make_market(5, n_mints=240, trades=60), tmp_path_factory.mktemp("trials") / "lake"
    )


def _sweep(lake, out, grid="min_return=0.02,0.05,0.1"):
    res = runner.invoke(app, ["sweep", "--lake", str(lake.root), "--grid", grid, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return res.output, json.loads((out / "best.json").read_text())


def test_a_second_sweep_is_deflated_by_the_trials_of_the_first(lake, tmp_path):
    from memelab.research.validation.trials import trials_so_far

    text1, best1 = _sweep(lake, tmp_path / "a")
    assert "3 combinations in this run, 3 trials on this lake and strategy so far" in text1
    text2, best2 = _sweep(lake, tmp_path / "b")
    assert "3 combinations in this run, 6 trials on this lake and strategy so far" in text2
    assert best1["gates"]["dsr"]["n_trials"] == 3 and best2["gates"]["dsr"]["n_trials"] == 6
    # same returns, more trials: a higher bar for the same Sharpe
    assert best2["gates"]["dsr"]["sharpe"] == best1["gates"]["dsr"]["sharpe"]
    assert best2["gates"]["dsr"]["sr0"] > best1["gates"]["dsr"]["sr0"]
    assert best2["gates"]["dsr"]["dsr"] <= best1["gates"]["dsr"]["dsr"]
    assert trials_so_far(lake.root, "momentum") == 6
    assert trials_so_far(lake.root, "copytrade") == 0  # keyed by strategy
    ledger = json.loads((lake.root / "_trials.json").read_text())
    assert [r["kind"] for r in ledger["momentum"]["runs"]] == ["sweep", "sweep"]
    page = (tmp_path / "b" / "report.html").read_text()
    assert "best of 6 unskilled trials" in page or "6 unskilled trials" in page


def test_validation_runs_count_too_and_the_gates_print_each_threshold(lake, tmp_path):
    from memelab.research.validation.trials import trials_so_far

    before = trials_so_far(lake.root, "momentum")
    res = runner.invoke(
        app,
        ["validate", "--lake", str(lake.root), "--grid", "min_return=0.02,0.05", "--walk-forward",
         "1h/1h", "--buckets-per-fold", "8", "--out", str(tmp_path / "wf")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert trials_so_far(lake.root, "momentum") == before + 2
    assert f"{before + 2} trials on this lake and strategy so far" in res.output
    assert "(pass if >= 0.95)" in res.output and "(pass if < 0.5)" in res.output
    assert ("-> PASS" in res.output) != ("-> FAIL (" in res.output)
    page = (tmp_path / "wf" / "report.html").read_text()
    assert "time (UTC)" in page and "fold (test window)" in page  # a time axis, labelled


def test_gate_lines_name_the_failed_gate_with_rounded_values():
    from memelab.research.validation.gates import format_gates

    gates = {
        "n_trials": 24, "n_trials_total": 72,
        "dsr": {"dsr": 0.9999999935923991, "sharpe": 0.41234, "sr0": 0.2981, "n_trials": 72,
                "passed": True},
        "pbo": {"pbo": 0.98, "n_blocks": 16, "n_splits": 12870, "passed": False},
    }  # fmt: skip
    lines = format_gates(gates)
    assert (
        lines[0] == "gates: 24 combinations in this run, 72 trials on this lake and strategy so far"
    )
    assert "DSR   1.000  (pass if >= 0.95)  pass" in lines[1] and "best of 72" in lines[1]
    assert "PBO   0.980  (pass if < 0.5)  FAIL" in lines[2]
    assert lines[-1] == "-> FAIL (PBO)"
    assert "0.9999999935923991" not in "\n".join(lines)


def test_record_trials_refuses_a_negative_count_and_a_corrupt_ledger(tmp_path):
    from memelab.research.validation.trials import record_trials, trials_so_far

    assert record_trials(tmp_path, "momentum", 5, "sweep") == 5
    with pytest.raises(ValueError, match="n must be >= 0"):
        record_trials(tmp_path, "momentum", -1, "sweep")
    (tmp_path / "_trials.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable trials ledger"):
        trials_so_far(tmp_path, "momentum")
