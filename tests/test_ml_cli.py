"""``memelab features build``, ``memelab train`` and ``memelab models ...`` on a small synthetic lake."""

from __future__ import annotations

import json

import pytest
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    from memelab.datasets.synth.generate import synthesize

    path = tmp_path_factory.mktemp("mllake") / "lake"
    synthesize(path, tokens=60, wallets=400, days=1, seed=5)
    return path


def _ok(args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_features_build_then_train_list_show_compare_report_and_similar(lake, tmp_path):
    out = json.loads(_ok(["features", "build", "--lake", lake, "--out", tmp_path / "ds", "--json"]))
    assert out["samples"] > 1000 and out["features"] >= 28
    lr = json.loads(_ok(["train", "--dataset", tmp_path / "ds", "--model", "logreg",
                         "--out", tmp_path / "m" / "logreg", "--json"]))  # fmt: skip
    for key in ("test_auc", "valid_auc", "n_train", "n_test", "device", "seconds"):
        assert key in lr, key
    assert lr["device"] == "cpu" and lr["n_test"] > 100 and 0.0 <= lr["test_auc"] <= 1.0
    tf = json.loads(_ok(["train", "--lake", lake, "--model", "transformer", "--device", "cpu",
                         "--epochs", "2", "--out", tmp_path / "m" / "tf", "--json"]))  # fmt: skip
    assert tf["model"] == "transformer" and tf["device"] == "cpu"
    listed = json.loads(_ok(["models", "list", tmp_path / "m", "--json"]))
    assert sorted(r["kind"] for r in listed) == ["logreg", "transformer"]
    shown = json.loads(_ok(["models", "show", tmp_path / "m" / "logreg"]))
    assert shown["metrics"]["test"]["auc"] == lr["test_auc"]
    rows = json.loads(_ok(["models", "compare", tmp_path / "m" / "logreg", tmp_path / "m" / "tf",
                           "--report", tmp_path / "cmp.html"]))  # fmt: skip
    assert [r["kind"] for r in rows] == ["logreg", "transformer"]
    assert all(r["same_test_set"] for r in rows)  # same lake, same split
    assert "Calibration (test period)" in (tmp_path / "cmp.html").read_text()
    sim = json.loads(_ok(["models", "similar", "--model", tmp_path / "m" / "tf", "--lake", lake,
                          "--mint", "40", "-k", "3"]))  # fmt: skip
    assert sim["mint"] == 40 and len(sim["neighbours"]) <= 3
    for n in sim["neighbours"]:
        assert n["mint"] != 40 and -1.0 <= n["similarity"] <= 1.0 + 1e-9
    # the similar-setups API answers the same thing
    from memelab.datasets.lake import Lake
    from memelab.research.models.similar import similar_launches

    api = similar_launches(tmp_path / "m" / "tf", Lake(lake), 40, 3)
    assert [n["mint"] for n in api["neighbours"]] == [n["mint"] for n in sim["neighbours"]]
    assert (
        all(n["resolved_ts"] <= api["as_of"] for n in api["neighbours"])
        if api["neighbours"] and "resolved_ts" in api["neighbours"][0]
        else True
    )


def test_a_backtest_stage_for_a_window_inside_the_training_data_is_refused(lake, tmp_path):
    from memelab.datasets.lake import Lake
    from memelab.research.models.registry import read_entry
    from memelab.research.models.stage import ModelInputStage

    _ok(["train", "--lake", lake, "--model", "logreg", "--out", tmp_path / "lr"])
    r = read_entry(tmp_path / "lr")["ranges"]
    with pytest.raises(ValueError, match="refusing to backtest"):
        ModelInputStage.from_lake(tmp_path / "lr", Lake(lake), r["valid_range"][0])
    stage = ModelInputStage.from_lake(tmp_path / "lr", Lake(lake), r["backtest_from"], 600.0)
    assert stage.names == ("ml_prob",)


def test_train_says_what_is_wrong_with_bad_arguments(lake, tmp_path):
    res = runner.invoke(app, ["train", "--lake", str(lake), "--model", "svm", "--out", "x"])
    assert res.exit_code == 2 and "--model must be one of" in res.output
    res = runner.invoke(app, ["train", "--lake", str(tmp_path / "nope"), "--model", "gbm",
                              "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "no lake there" in res.output
    res = runner.invoke(app, ["models", "show", str(tmp_path)])
    assert res.exit_code == 2 and "no model there" in res.output
