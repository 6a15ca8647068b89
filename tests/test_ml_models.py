"""Models: honest signal (planted pattern vs no structure), determinism, ONNX parity, registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _ml_markets import null_market, planted_market
from memelab.research.features.build import build_dataset
from memelab.research.models.inference import Predictor
from memelab.research.models.registry import read_entry
from memelab.research.models.train import train_model

FAST = {"epochs": 6, "patience": 2}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    ds = build_dataset(planted_market(), horizon_s=60.0, sample_gap_s=5.0)
    root = tmp_path_factory.mktemp("planted")
    res = {
        kind: train_model(ds, kind, root / kind, "cpu", 0, FAST if kind == "transformer" else None)
        for kind in ("logreg", "gbm", "transformer")
    }
    return ds, root, res


@pytest.fixture(scope="module")
def null(tmp_path_factory):
    ds = build_dataset(null_market(), horizon_s=60.0, sample_gap_s=5.0)
    root = tmp_path_factory.mktemp("null")
    res = {
        kind: train_model(ds, kind, root / kind, "cpu", 0, FAST if kind == "transformer" else None)
        for kind in ("logreg", "gbm", "transformer")
    }
    return ds, root, res


def test_all_three_models_beat_a_constant_predictor_out_of_sample_on_a_planted_pattern(planted):
    _, _, res = planted
    for kind, r in res.items():
        assert r["n_test"] >= 2000, kind
        assert r["test_auc"] > 0.6, (kind, r["test_auc"])
        assert r["test_log_loss"] < r["test_log_loss_constant"] - 0.01, (kind, r)


def test_on_a_market_without_structure_test_auc_is_half_within_0_03(null):
    ds, root, res = null
    for kind, r in res.items():
        e = read_entry(root / kind)
        test = e["metrics"]["test"]
        assert test["positives"] >= 1000 and test["n"] - test["positives"] >= 1000, kind
        assert abs(r["test_auc"] - 0.5) <= 0.03, (kind, r["test_auc"])


def test_same_seed_same_device_gives_identical_metrics(planted, tmp_path):
    from memelab.research.models import transformer as tfm

    ds, root, res = planted
    for kind in ("logreg", "transformer"):
        params = FAST if kind == "transformer" else None
        again = train_model(ds, kind, tmp_path / kind, "cpu", 0, params)
        a, b = read_entry(root / kind)["metrics"], read_entry(tmp_path / kind)["metrics"]
        assert a == b, kind
        assert again["test_auc"] == res[kind]["test_auc"]
    # the seed does matter: another seed, another training path
    tensors = root / "transformer" / "tensors.npz"
    _, s0 = tfm.train(tensors, None, "cpu", 0, {"epochs": 1})
    _, s1 = tfm.train(tensors, None, "cpu", 1, {"epochs": 1})
    assert s0["history"][0]["valid_loss"] != s1["history"][0]["valid_loss"]
    assert (
        s0["history"][0]["valid_loss"]
        == read_entry(root / "transformer")["history"][0]["valid_loss"]
    )


def test_onnxruntime_matches_torch_within_1e_5_with_identical_decisions(planted):
    import torch
    from memelab.research.models.transformer import SeqModel

    ds, root, _ = planted
    d = root / "transformer"
    pred = Predictor(d)
    sub = np.arange(0, len(ds), 7)[:3000]
    p_ort = pred.predict(ds.x[sub], ds.seq[sub])
    model = SeqModel(ds.x.shape[1], ds.seq.shape[1], ds.seq.shape[2])
    model.load_state_dict(torch.load(d / "model.pt"))
    model.eval()
    with torch.no_grad():
        p_torch = model(torch.from_numpy(ds.x[sub]), torch.from_numpy(ds.seq[sub]))[0].numpy()
    assert np.max(np.abs(p_ort - p_torch)) <= 1e-5
    for thr in (0.5, 0.55, 0.6, 0.65):
        assert np.array_equal(p_ort >= thr, p_torch.astype(np.float64) >= thr)
    assert read_entry(d)["onnx_max_abs_diff"] <= 1e-5


def test_a_prediction_does_not_depend_on_the_rows_predicted_with_it(planted):
    ds, root, _ = planted
    sub = np.arange(0, 60)
    for kind in ("logreg", "gbm", "transformer"):
        pred = Predictor(root / kind)
        seq = ds.seq[sub] if kind == "transformer" else None
        batched = pred.predict(ds.x[sub], seq)
        one = np.array([
            pred.predict(ds.x[[i]], ds.seq[[i]] if seq is not None else None)[0] for i in sub
        ])  # fmt: skip
        assert np.array_equal(batched, one), kind


def test_deployed_logreg_equals_scikit_learns_own_probabilities(planted):
    from memelab.research.models.baselines import fit_logreg
    from memelab.research.models.splits import time_split

    ds, root, _ = planted
    sp = time_split(ds.ts, 60 * 10**9)
    model, _ = fit_logreg(ds.x[sp.train], ds.y[sp.train], ds.x[sp.valid], ds.y[sp.valid], 0)
    mine = Predictor(root / "logreg").predict(ds.x[sp.test])
    assert np.allclose(mine, model.predict_proba(ds.x[sp.test])[:, 1], atol=1e-10)


def test_registry_entry_records_spec_lake_ranges_params_seed_metrics_and_code(planted):
    ds, root, _ = planted
    e = read_entry(root / "gbm")
    assert e["feature_spec"]["version"] >= 1 and len(e["feature_spec"]["features"]) >= 28
    assert len(e["dataset"]["lake"]["swaps_hash"]) == 64 and e["dataset"]["lake"]["time_range"]
    r = e["ranges"]
    assert r["train_range"][1] <= r["valid_range"][0] < r["valid_range"][1] <= r["test_range"][0]
    assert r["backtest_from"] == r["valid_range"][1] + r["embargo_ns"]
    assert e["seed"] == 0 and e["params"]["rounds"] >= 1
    test = e["metrics"]["test"]
    for key in ("auc", "log_loss", "brier", "calibration", "precision_at", "roc"):
        assert test[key] is not None, key
    assert sum(b["n"] for b in test["calibration"]) == test["n"]
    assert len(e["code_version"]) >= 40 or e["code_version"] == "unknown"
    assert set(e["importance"]) == set(ds.meta["feature_names"])


def test_report_shows_roc_calibration_and_importances_self_contained(planted, tmp_path):
    from memelab.research.models.report import write_report

    _, root, _ = planted
    path = write_report([root / k for k in ("logreg", "gbm", "transformer")], tmp_path / "r.html")
    html = path.read_text()
    for text in ("ROC (test period)", "Calibration (test period)", "Feature importances",
                 "Training history", "imb_sol_60s"):  # fmt: skip
        assert text in html, text
    assert html.count("<script") >= 3 and '<script src="http' not in html


def test_trainer_runs_from_a_tensor_file_importing_only_torch_and_numpy(planted, tmp_path):
    ds, root, _ = planted
    src = Path(__file__).resolve().parents[1] / "research" / "models" / "transformer.py"
    code = "\n".join(
        [
            "import json, runpy, sys",
            "sys.argv = ['transformer.py', sys.argv[1], sys.argv[2], '--device', 'cpu',"
            " '--epochs', '1']",
            f"runpy.run_path({str(src)!r}, run_name='__main__')",
        ]
    )
    code = (
        "try:\n    "
        + code.replace("\n", "\n    ")
        + "\nexcept SystemExit:\n    pass\n"
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        + "('memelab', 'sklearn', 'pandas', 'numba', 'onnx', 'onnxruntime', 'pyarrow'))\n"
        + "print('FORBIDDEN', json.dumps(bad))\n"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code, str(root / "transformer" / "tensors.npz"), str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "FORBIDDEN []" in out.stdout, out.stdout
    summary = json.loads(out.stdout.splitlines()[0])
    assert summary["device"] == "cpu" and (tmp_path / "model.pt").exists()


def test_walk_forward_retrains_per_fold_and_tests_each_on_data_after_its_own(planted, tmp_path):
    from memelab.research.models.walkforward import walk_forward_train

    ds, _, _ = planted
    folds = walk_forward_train(ds, "logreg", tmp_path, train_s=4 * 3600, test_s=2 * 3600,
                               device="cpu")  # fmt: skip
    assert len(folds) >= 3
    for f in folds:
        e = read_entry(tmp_path / f"fold_{f['fold']}")
        r = e["ranges"]
        assert r["valid_range"][1] + r["embargo_ns"] <= r["test_range"][0] == f["test_range"][0]
        assert r["backtest_from"] <= f["test_range"][0]
        assert f["test_auc"] > 0.55, f
    tests = [tuple(f["test_range"]) for f in folds]
    assert all(a[1] <= b[0] for a, b in zip(tests, tests[1:], strict=False))
