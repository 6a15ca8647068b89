"""``memelab promote``: the gates refuse a strategy swept on a noise market and pass a planted
edge, with real outputs of ``memelab backtest``, ``validate`` and ``sprt``; live mode refuses
forced, unpromoted or stale manifests."""

from __future__ import annotations

import json

import pytest
from memelab.cli.main import app
from memelab.live.manifest import (
    PromotionError,
    check_manifest_for_live,
    check_manifest_for_paper,
    code_hash,
    load_manifest,
)
from sweep_markets import make_market
from test_sweep_distributed import events_to_lake
from typer.testing import CliRunner

runner = CliRunner()
GRID = ["--grid", "min_return=0.02,0.05,0.1", "--grid", "min_trades=3,6"]
# p0: a win rate that loses money after fees here; p1: a useful edge.
SPRT = ["--p0", "0.3", "--p1", "0.5", "--sims", "200"]


def _invoke(*args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def _workbench(tmp, pump: bool):
    lake = events_to_lake(make_market(5, n_mints=120, trades=60, pump=pump), tmp / "lake")
    bt, wf, sp = tmp / "bt", tmp / "wf", tmp / "sprt"
    _invoke("backtest", "--lake", lake.root, "--out", bt)
    _invoke("validate", "--lake", lake.root, *GRID, "--walk-forward", "40m/20m", "--out", wf)
    _invoke("sprt", "--outcomes", bt / "trades.parquet", *SPRT, "--out", sp)
    return lake, bt, wf, sp


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    return _workbench(tmp_path_factory.mktemp("noise"), pump=False)


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    return _workbench(tmp_path_factory.mktemp("edge"), pump=True)


def test_promote_refuses_noise_market_naming_each_failed_gate_and_threshold(noise, tmp_path):
    _, bt, wf, sp = noise
    out = tmp_path / "m.json"
    res = runner.invoke(app, ["promote", str(bt), "--validate", str(wf), "--sprt", str(sp),
                              "--name", "noise", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 2
    gates = json.loads((wf / "validation.json").read_text())["gates"]
    assert not gates["dsr"]["passed"] and not gates["pbo"]["passed"]
    assert f"DSR = {gates['dsr']['dsr']} (needs >= 0.95)" in res.output
    assert f"PBO = {gates['pbo']['pbo']} (needs <= 0.5)" in res.output
    assert not out.exists()


def test_promote_passes_planted_edge_and_records_the_evidence(edge, tmp_path, monkeypatch):
    lake, bt, wf, sp = edge
    monkeypatch.chdir(tmp_path)
    res = _invoke("promote", bt, "--validate", wf, "--sprt", sp, "--name", "edge1")
    path = tmp_path / "promoted" / "edge1.json"
    assert res.output.strip() == "promoted/edge1.json"
    m = load_manifest(path)
    run = json.loads((bt / "run.json").read_text())
    wf_doc = json.loads((wf / "validation.json").read_text())
    assert m["strategy"] == "momentum" and m["params"] == run["params"]
    assert m["engine_config"] == run["config"]
    assert m["data"]["time_range"] == run["time_range"] and m["data"]["events"] == run["events"]
    lake_manifest = json.loads((lake.root / "_manifest" / "swaps.json").read_text())
    assert m["data"]["lake_hash"] == lake_manifest["content_hash"]
    assert m["backtest"]["metrics"] == json.loads((bt / "metrics.json").read_text())
    assert m["gates"]["DSR"]["value"] == wf_doc["gates"]["dsr"]["dsr"] >= 0.95
    assert m["gates"]["PBO"]["value"] == wf_doc["gates"]["pbo"]["pbo"] <= 0.5
    assert m["sprt"]["decision"] == "accept_h1" and m["gates"]["SPRT"]["passed"]
    assert m["forced"] is False and m["model"] is None
    assert m["code"]["hash"] == code_hash() and m["created_at"].endswith("+00:00")
    check_manifest_for_live(m)  # the running code is the promoting code
    with pytest.raises(PromotionError, match="promoted from code"):
        check_manifest_for_live(m, current_code="0" * 64)
    # a second promotion under the same name does not overwrite the first
    res = runner.invoke(app, ["promote", str(bt), "--validate", str(wf), "--sprt", str(sp),
                              "--name", "edge1"])  # fmt: skip
    assert res.exit_code == 2 and "exists" in res.output


def test_sprt_that_did_not_accept_blocks_an_otherwise_passing_strategy(edge, tmp_path):
    _, bt, wf, _ = edge
    sp = tmp_path / "sp"
    _invoke("sprt", "--outcomes", bt / "trades.parquet", "--p0", "0.6", "--p1", "0.7",
            "--sims", "200", "--out", sp)  # fmt: skip
    res = runner.invoke(app, ["promote", str(bt), "--validate", str(wf), "--sprt", str(sp),
                              "--name", "x", "--out", str(tmp_path / "x.json")])  # fmt: skip
    assert res.exit_code == 2
    assert "SPRT = accept_h0 (needs decision accept_h1)" in res.output
    assert "DSR" not in res.output


def test_validate_and_sprt_are_required_unless_forced_and_forced_is_paper_only(edge, tmp_path):
    _, bt, _, _ = edge
    res = runner.invoke(app, ["promote", str(bt), "--name", "f", "--out", str(tmp_path / "f.json")])
    assert res.exit_code == 2 and "--validate and --sprt required" in res.output
    _invoke("promote", bt, "--name", "f", "--force", "--out", tmp_path / "f.json")
    m = load_manifest(tmp_path / "f.json")
    assert m["forced"] is True and m["walk_forward"] is None
    check_manifest_for_paper(m)
    with pytest.raises(PromotionError, match="forced past its gates"):
        check_manifest_for_live(m)


def test_forced_noise_manifest_is_refused_live_naming_the_failed_gates(noise, tmp_path):
    _, bt, wf, sp = noise
    _invoke("promote", bt, "--validate", wf, "--sprt", sp, "--name", "n", "--force",
            "--out", tmp_path / "n.json")  # fmt: skip
    m = load_manifest(tmp_path / "n.json")
    assert m["forced"] and m["failed_gates"]
    with pytest.raises(PromotionError, match="DSR"):
        check_manifest_for_live(m)


def test_live_refuses_a_missing_or_tampered_manifest(edge, tmp_path):
    with pytest.raises(PromotionError, match="needs a promoted manifest"):
        check_manifest_for_live(None)
    with pytest.raises(PromotionError, match="not found"):
        load_manifest(tmp_path / "nope.json")
    _, bt, wf, sp = edge
    _invoke("promote", bt, "--validate", wf, "--sprt", sp, "--name", "t", "--out",
            tmp_path / "t.json")  # fmt: skip
    m = load_manifest(tmp_path / "t.json")
    m["gates"]["PBO"]["passed"] = False
    with pytest.raises(PromotionError, match="gates not all passed"):
        check_manifest_for_live(m)


def test_promote_refuses_a_walk_forward_of_another_strategy(edge, tmp_path):
    _, bt, wf, sp = edge
    doc = json.loads((wf / "validation.json").read_text())
    doc["meta"]["strategy"] = "copytrade"
    other = tmp_path / "wf"
    other.mkdir()
    (other / "validation.json").write_text(json.dumps(doc))
    res = runner.invoke(app, ["promote", str(bt), "--validate", str(other), "--sprt", str(sp),
                              "--name", "o", "--out", str(tmp_path / "o.json")])  # fmt: skip
    assert res.exit_code == 2 and "of strategy 'copytrade'" in res.output
