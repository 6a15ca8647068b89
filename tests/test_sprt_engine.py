"""Paired vs unpaired SPRT on two real backtests over a small synthetic lake (bench at small size)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    from memelab.datasets.synth import synthesize

    spec = importlib.util.spec_from_file_location("sprt_paired", REPO / "bench" / "sprt_paired.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    root = tmp_path_factory.mktemp("sprt_engine")
    synthesize(root / "lake", tokens=200, wallets=1000, days=1, seed=3, scenario="planted")
    return bench.run_experiment(root / "lake", root / "runs", sims=1000), root


def test_paired_design_stops_earlier_on_average_than_unpaired_on_a_planted_better_variant(
    experiment,
):
    result, _ = experiment
    # the planted variant (fee-free execution) keeps more SOL on the same signals
    assert result["metrics"]["pnl"]["effect_on_matched"] > 0
    assert result["metrics"]["win"]["effect_on_matched"] > 0
    for metric in ("win", "pnl"):
        m = result["metrics"][metric]
        assert m["matched_units"] >= 50
        assert m["arm_correlation"] > 0.5  # what the pair shares is what pairing removes
        paired, unpaired = m["paired"], m["unpaired"]
        assert paired["score_sd"] < unpaired["score_sd"]
        assert paired["p_truncated"] == unpaired["p_truncated"] == 0.0
        assert paired["asn"] + 3 * paired["asn_se"] < unpaired["asn"] - 3 * unpaired["asn_se"]
    json.dumps(result)  # the bench prints it: it must be plain JSON


def test_backtest_run_dirs_feed_the_cli_and_report_unmatched_signals(experiment):
    from memelab.cli.main import app
    from typer.testing import CliRunner

    result, root = experiment
    res = CliRunner().invoke(app, ["sprt", "--control", str(root / "runs" / "control"),
                                   "--treatment", str(root / "runs" / "treatment"), "--paired",
                                   "--json", "--sims", "200"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    win = result["metrics"]["win"]
    assert doc["pairing"]["units"] == win["matched_units"]
    assert doc["pairing"]["unmatched_control"] == win["unmatched_control"]
    assert doc["pairing"]["unmatched_treatment"] == win["unmatched_treatment"]
    assert (doc["decision"], doc["n"]) == (
        win["paired"]["on_actual_order"]["decision"],
        win["paired"]["on_actual_order"]["n"],
    )
