"""Bad input is refused with a clear message before any work, never half-done or silently bent."""

from __future__ import annotations

import json

import numpy as np
import pytest
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    from memelab.datasets.synth import synthesize

    root = tmp_path_factory.mktemp("bad_input") / "lake"
    synthesize(root, tokens=30, wallets=120, days=1, seed=5)
    return root


def _bt(lake, out, *args):
    return runner.invoke(app, ["backtest", "--lake", str(lake), "--out", str(out), *args])


def test_backtest_refuses_a_window_after_the_lake_and_writes_nothing(lake, tmp_path):
    res = _bt(lake, tmp_path / "bt", "--from", "2030-01-01")
    assert res.exit_code == 2 and "no events in the window" in res.output
    assert "spans" in res.output and not (tmp_path / "bt").exists()


def test_backtest_refuses_from_after_to(lake, tmp_path):
    res = _bt(lake, tmp_path / "bt", "--from", "2025-01-02", "--to", "2025-01-01")
    assert res.exit_code == 2 and "is not before --to" in res.output


def test_engine_value_of_the_wrong_type_names_the_key_without_a_python_error(lake, tmp_path):
    res = _bt(lake, tmp_path / "bt", "--engine", "latency_s=fast")
    assert res.exit_code == 2
    assert "latency_s='fast': expected a number" in res.output
    assert "TypeError" not in res.output and "not supported" not in res.output


def test_an_integer_parameter_refuses_a_fraction_instead_of_truncating(lake, tmp_path):
    res = _bt(lake, tmp_path / "bt", "--param", "min_trades=2.5")
    assert res.exit_code == 2 and "min_trades is an integer parameter" in res.output
    assert _bt(lake, tmp_path / "ok", "--param", "min_trades=2", "--json").exit_code == 0


def test_python_backtest_refuses_a_fractional_integer_param_and_reports_an_empty_window_as_zero():
    from memelab.engine import backtest
    from memelab.strategies import get_strategy

    momentum = get_strategy("momentum")
    ev = np.zeros(0, dtype=__import__("memelab.datasets.schemas").datasets.schemas.EVENT_DTYPE)
    with pytest.raises(ValueError, match="must be an integer"):
        backtest(ev, momentum, {"min_trades": 2.5})
    res = backtest(ev, momentum)
    assert res.metrics["events"] == 0 and res.metrics["total_return"] == 0.0
    assert res.metrics["pnl_sol"] == 0.0


def test_sweep_checks_select_before_any_work_and_writes_no_folder(lake, tmp_path):
    out = tmp_path / "sw"
    res = runner.invoke(
        app,
        ["sweep", "--lake", str(lake), "--grid", "min_return=0.1,0.2", "--select", "foo",
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 2 and "--select 'foo': not a metric" in res.output
    assert "combinations" not in res.output  # refused before the sweep ran
    assert not out.exists() and not list(tmp_path.glob(".sw.partial-*"))


def test_sweep_grid_refuses_an_empty_value_between_commas():
    from memelab.research.sweeps.params import ParamError, parse_grid_arg

    with pytest.raises(ParamError, match="empty value between commas"):
        parse_grid_arg("min_return=0.1,,0.2")
    with pytest.raises(ParamError, match="empty value"):
        parse_grid_arg("min_return=0.1,0.2,")
    assert parse_grid_arg("min_return=0.1, 0.2") == ("min_return", [0.1, 0.2])


def test_staged_output_leaves_the_old_outputs_when_the_work_fails(tmp_path):
    from memelab.datasets.jsonio import staged_output_dir

    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "best.json").write_text("old")
    with pytest.raises(RuntimeError), staged_output_dir(out) as stage:
        (stage / "best.json").write_text("half")
        raise RuntimeError("boom")
    assert (out / "best.json").read_text() == "old"
    with staged_output_dir(out) as stage:
        (stage / "best.json").write_text("new")
    assert (out / "best.json").read_text() == "new" and (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_sprt_outcomes_accept_true_false_and_refuse_other_words(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("win\n" + "\n".join(["true", "False", "1", "0"] * 10) + "\n")
    res = runner.invoke(app, ["sprt", "--outcomes", str(good), "--sims", "100", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n_total"] == 40
    bad = tmp_path / "bad.csv"
    bad.write_text("win\ntrue\nyes\n")
    res = runner.invoke(app, ["sprt", "--outcomes", str(bad), "--sims", "100"])
    assert res.exit_code == 2 and "row[1]" in res.output


def test_backfill_with_a_malformed_url_does_not_suggest_resuming(tmp_path):
    res = runner.invoke(
        app, ["data", "backfill", "--rpc", "htp:/nohost", "--program", "pumpfun",
              "--lake", str(tmp_path / "lake")],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "not an http(s) URL" in res.output and "resume" not in res.output
