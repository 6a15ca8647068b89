"""First-run friction: version, the strategies listing, the sample trades file, lake paths from
notebooks/, and the calibration bench saying what it is about to build."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"memelab {version('memelab')}"


def test_strategies_lists_every_strategy_with_params_defaults_sweeps_and_needs():
    from memelab.cli.strategies import NEEDS_COLUMNS
    from memelab.strategies import BUILTIN, NEEDS, get_strategy

    # every need the registry names has its column in the listing
    assert {n.replace("_", " ") for needs in NEEDS.values() for n in needs} <= set(NEEDS_COLUMNS)
    res = runner.invoke(app, ["strategies", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["name"] for r in rows] == list(BUILTIN)
    for r in rows:
        mod = get_strategy(r["name"])
        assert [p["name"] for p in r["params"]] == list(mod.PARAMS_DTYPE.names)
        for p in r["params"]:
            assert p["default"] == mod.DEFAULTS[p["name"]]
            assert p["sweep"] == list(mod.SWEEP.get(p["name"], []))
        assert set(r["needs"]) == set(NEEDS_COLUMNS) == {
            "several pools", "several mints", "wallet identities", "create events", "model inputs"
        }  # fmt: skip
        wanted = {n.replace("_", " ") for n in NEEDS[r["name"]]}
        assert {col for col, yes in r["needs"].items() if yes} == wanted, r["name"]
    by = {r["name"]: r for r in rows}
    assert by["copytrade"]["needs"]["wallet identities"] is True
    assert by["momentum"]["needs"]["wallet identities"] is False
    assert by["sniper"]["needs"]["create events"] is True
    assert by["ml"]["needs"]["model inputs"] is True
    text = runner.invoke(app, ["strategies"]).output
    assert "min_return" in text and "0.05, 0.1, 0.2, 0.3" in text


def test_the_sample_trades_file_ingests_whole(tmp_path):
    res = runner.invoke(
        app, ["data", "ingest", str(REPO / "examples" / "trades.csv"), "--lake",
              str(tmp_path / "lake"), "--map", "generic", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    total = json.loads(res.output)["total"]
    assert total["rows_read"] == total["ingested"] == 40 and total["quarantined"] == 0


def test_a_relative_lake_path_is_found_from_the_notebooks_folder(tmp_path):
    from memelab.datasets.lake import LakeError
    from memelab.datasets.paths import resolve_lake_dir

    (tmp_path / "lake" / "_manifest").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    assert resolve_lake_dir("lake", tmp_path / "notebooks") == (tmp_path / "lake").resolve()
    with pytest.raises(LakeError, match="no lake 'nolake' found"):
        resolve_lake_dir("nolake", tmp_path / "notebooks")


def test_calibration_bench_states_its_size_before_building():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import calibration
    finally:
        sys.path.pop(0)
    text = calibration.size_warning([1, 2, 3], 10_000, 20_000, 2, 2)
    assert text.startswith("building 3 reference lake(s) of 10,000 tokens x 20,000 wallets")
    assert "~7.1 M swaps each" in text and "--tokens 1000" in text
