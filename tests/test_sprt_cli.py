"""``memelab sprt`` on files written by the test: the --json contract, sprt.json, report.html."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()
FAST = ["--sims", "200"]


def invoke(*args):
    return runner.invoke(app, ["sprt", *args, *FAST])


def write_run(path, signal_ids, wins, pnl, exit_ts):
    path.mkdir(parents=True)
    n = len(signal_ids)
    pd.DataFrame(
        {
            "signal_id": np.asarray(signal_ids, dtype=np.int64),
            "mint": [f"Mint{i}pump" for i in signal_ids],
            "entry_ts": np.asarray(exit_ts, dtype=np.int64) - 1000,
            "exit_ts": np.asarray(exit_ts, dtype=np.int64),
            "entry_sol": np.full(n, 0.5),
            "exit_sol": 0.5 + np.asarray(pnl, dtype=float),
            "pnl_sol": np.asarray(pnl, dtype=float),
            "return_pct": np.asarray(pnl, dtype=float) / 0.5 * 100,
            "win": np.asarray(wins, dtype=bool),
            "exit_reason": ["tp"] * n,
        }
    ).to_parquet(path / "trades.parquet")
    return path


def test_outcomes_csv_json_reports_the_decision_at_the_crossing_sample(tmp_path):
    csv = tmp_path / "o.csv"
    csv.write_text("win\n" + "\n".join(["1"] * 13 + ["0"] * 5) + "\n")
    out = tmp_path / "out"
    res = invoke("--outcomes", str(csv), "--json", "--out", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["decision"] == "accept_h1" and doc["n"] == 13 and doc["n_total"] == 18
    assert doc["llr"] == pytest.approx(13 * math.log(1.25))
    saved = json.loads((out / "sprt.json").read_text())
    assert saved["params"]["p0"] == 0.32 and saved["params"]["alpha"] == 0.05
    assert saved["boundaries"]["upper"] == pytest.approx(math.log(16))
    assert len(saved["llr_path"]) == 18 and saved["decision"] == "accept_h1" and saved["n"] == 13
    assert saved["estimate"]["lo"] < saved["estimate"]["point"] < saved["estimate"]["hi"]
    page = (out / "report.html").read_text()
    assert page.count("Log-likelihood ratio against") == 1 and "OC: P(accept H0)" in page
    assert page.count("plotly.js v") == 1  # plotly.js embedded once, not per figure
    assert page.count("Plotly.newPlot") == 3  # LLR path, arms, OC/ASN


def test_outcomes_parameters_change_the_boundaries_and_the_decision(tmp_path):
    csv = tmp_path / "o.csv"
    csv.write_text("win\n" + "\n".join(["0"] * 13) + "\n")
    res = invoke("--outcomes", str(csv), "--p0", "0.3", "--p1", "0.5", "--alpha", "0.1",
                 "--beta", "0.1", "--json")  # fmt: skip
    doc = json.loads(res.stdout)
    # B = ln(0.1/0.9) = -2.197; each loss ln(0.5/0.7) = -0.336: crossing at the 7th loss
    assert doc["boundaries"]["lower"] == pytest.approx(math.log(0.1 / 0.9))
    assert (doc["decision"], doc["n"]) == ("accept_h0", 7)


def test_trades_parquet_outcomes_are_read_in_exit_order(tmp_path):
    # by exit time: 13 wins first, then the losses; in file order the losses would come first
    wins = [0] * 13 + [1] * 13
    exit_ts = list(range(100, 113)) + list(range(13))
    run = write_run(tmp_path / "run", list(range(26)), wins, [0.1] * 26, exit_ts)
    res = invoke("--outcomes", str(run / "trades.parquet"), "--json")
    doc = json.loads(res.stdout)
    assert (doc["decision"], doc["n"]) == ("accept_h1", 13)


def test_bad_outcome_row_fails_with_file_and_row(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("win\n1\n0\nmaybe\n1\n")
    res = invoke("--outcomes", str(csv), "--json")
    assert res.exit_code == 2
    assert "bad.csv" in res.output and "[2]" in res.output
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"win": pd.array([True, None, False], dtype="boolean"),
                  "exit_ts": [30, 20, 10]}).to_parquet(pq)  # fmt: skip
    res = invoke("--outcomes", str(pq))
    assert res.exit_code == 2 and "t.parquet" in res.output and "[1]" in res.output  # file row
    missing = invoke("--outcomes", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_mode_options_must_be_consistent(tmp_path):
    assert invoke().exit_code == 2
    res = invoke("--control", str(tmp_path))
    assert res.exit_code == 2 and "--treatment" in res.output


def test_paired_runs_join_on_signal_id_and_report_unmatched_signals(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    shared = rng.random(n)
    own = rng.random(n)
    c_win = shared < 0.32
    t_win = np.where(rng.random(n) < 0.7, shared, own) < 0.45  # better treatment
    ids = np.arange(n) * 3
    control = write_run(tmp_path / "c", np.r_[ids, [5000, 5001]], np.r_[c_win, [1, 0]],
                        np.r_[np.where(c_win, 0.1, -0.05), [0.1, -0.1]], np.arange(n + 2) * 10)  # fmt: skip
    treatment = write_run(tmp_path / "t", np.r_[ids, [7000]], np.r_[t_win, [1]],
                          np.r_[np.where(t_win, 0.1, -0.05), [0.2]], np.arange(n + 1) * 10 + 3)  # fmt: skip
    out = tmp_path / "ab"
    res = invoke("--control", str(control), "--treatment", str(treatment), "--paired",
                 "--out", str(out), "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["pairing"] == {"mode": "paired", "metric": "win", "units": n,
                              "unmatched_control": 2, "unmatched_treatment": 1}  # fmt: skip
    assert doc["decision"] in ("accept_h1", "accept_h0", "continue")
    saved = json.loads((out / "sprt.json").read_text())
    assert saved["pairing"]["unmatched_control_ids"] == [5000, 5001]
    assert saved["pairing"]["unmatched_treatment_ids"] == [7000]
    assert saved["params"]["delta1"] == pytest.approx(0.08) and saved["params"]["mode"] == "paired"
    diffs = t_win.astype(float) - c_win.astype(float)
    assert saved["n"] == doc["n"] and len(saved["llr_path"]) == n
    np.testing.assert_allclose(saved["series"]["treatment"][-1], t_win.mean())
    assert saved["mean_score"] == pytest.approx(diffs[: doc["n"]].mean())
    assert "cumulative win rate" in (out / "report.html").read_text().lower()


def test_unpaired_pnl_runs_default_to_one_hundredth_sol_effect(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    c_pnl = rng.normal(0.0, 0.05, n)
    t_pnl = rng.normal(0.03, 0.05, n)
    control = write_run(tmp_path / "c", np.arange(n), c_pnl > 0, c_pnl, np.arange(n))
    treatment = write_run(tmp_path / "t", np.arange(n) + 1, t_pnl > 0, t_pnl, np.arange(n))
    res = invoke("--control", str(control), "--treatment", str(treatment), "--metric", "pnl",
                 "--json")  # fmt: skip
    doc = json.loads(res.stdout)
    assert doc["pairing"]["mode"] == "unpaired" and doc["pairing"]["metric"] == "pnl"
    assert doc["decision"] == "accept_h1"  # a +0.03 SOL effect against H1 = +0.01
    assert doc["estimate"]["lo"] > 0.0
