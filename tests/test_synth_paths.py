"""Path statistics (what follows a move), the family-wise verdict, and calibrate --real LAKE."""

from __future__ import annotations

import json

import numpy as np
import pytest
from memelab.datasets.synth import SynthConfig, pathstats, scenario_config, synthesize
from memelab.datasets.synth import paths_nb as K
from memelab.datasets.synth.calibrate import calibration_report


def _one_path(t, lp, lp0=0.0):
    t, lp = np.asarray(t, float), np.asarray(lp, float)
    return pathstats.measure(
        np.array([0, len(t)]), t, lp, np.array([lp0]), np.array([12.0])
    )  # fmt: skip


def test_path_statistics_of_a_hand_built_session_rise_then_reversal():
    # entry at log price 0; +0.2 at 5 s, back to 0 at 40 s, -0.8 at 100 s; a trade after a
    # 700 s silence lies past the session's end (10 min without a trade)
    s = _one_path([5.0, 40.0, 100.0, 800.0], [0.2, 0.0, -0.8, 3.0])
    sc = s.scalars[0]
    assert sc[K.O_TRADES] == 3 and sc[K.O_END] == 700.0
    assert sc[K.O_LAST] == 100.0 and sc[K.O_MEDIAN_T] == 40.0
    assert sc[K.O_PEAK_GAIN] == pytest.approx(0.2)
    assert sc[K.O_TROUGH] == pytest.approx(-1.0)
    assert sc[K.O_PEAK_TO_HALF] == pytest.approx(95.0)  # peak at 5 s, <= half at 100 s
    rise10, fall10 = K.MOVE_NAMES.index("rise10"), K.MOVE_NAMES.index("fall10")
    # first 10% rise within 30 s: the grid point 30 s (0.2 over the entry's 0)
    assert s.fwd[0, rise10] == pytest.approx([-0.2, -0.2, -1.0, -1.0])
    # first 10% fall: 40 s (0 against 0.2 at 10 s)
    assert s.fwd[0, fall10] == pytest.approx([0.0, -0.8, -0.8, -0.8])
    # a 25% rise never happened
    assert np.isnan(s.fwd[0, K.MOVE_NAMES.index("rise25")]).all()
    # successive returns from the entry: [0, 60] then [60, 120]
    assert s.ac[0, 1] == pytest.approx([0.0, -0.8])


def test_a_session_without_trades_counts_as_no_trade_and_has_no_moves():
    s = _one_path([], [])
    assert s.scalars[0, K.O_TRADES] == 0 and s.scalars[0, K.O_END] == K.GAP_S
    assert np.isnan(s.fwd).all()
    assert pathstats.compare_paths(s, s)["path_no_trade_share"]["real"]["value"] == 1.0


def test_holm_rejects_step_down_and_stops_at_the_first_survivor():
    verdict = pathstats.holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": None})
    assert verdict == {"a": False, "c": True, "b": True}
    # one small p-value among many is not rejected where a per-test 5% rule would reject it
    many = {f"s{i}": 0.5 for i in range(30)} | {"x": 0.02}
    assert pathstats.holm(many)["x"] is True


def test_path_stat_list_is_fixed():
    # the list was fixed before tuning: changing it changes what "calibrated" means
    assert len(pathstats.PATH_STATS) == 8 + 16 + 4
    assert pathstats.PATH_STATS[0] == "path_dump_age_s"


@pytest.fixture(scope="module")
def small_lakes(tmp_path_factory):
    root = tmp_path_factory.mktemp("paths")
    a = synthesize(root / "a", tokens=300, wallets=800, days=1, seed=2)
    b = synthesize(root / "b", tokens=300, wallets=800, days=1, seed=2, scenario="planted")
    return a, b


def test_synthetic_sessions_start_at_the_creators_dump_and_skip_its_trades(small_lakes):
    lake = small_lakes[0]
    s = pathstats.lake_paths(lake, json.loads((lake.root / "synth.json").read_text())["horizon_ns"])
    dumps = lake.sql(
        """
        select count(distinct s.mint_id) as n from swaps s join launches l using (mint_id)
        where s.trader = l.creator and s.side = -1 and s.venue = 'pumpfun'
        """
    )["n"].iloc[0]
    assert 20 <= s.n <= dumps  # sessions only where the creator sold (minus the lake's end)
    # the calibrated creator dumps within seconds (log-normal, median 19 s)
    assert 5.0 < np.median(s.dump_age_s) < 60.0


def test_calibrate_against_a_lake_as_the_real_side(small_lakes):
    a, b = small_lakes
    same = calibration_report(a, a.root)
    assert same["scenario"] == "calibrated"
    assert all(d.get("within_noise") in (True, None) for d in same["paths"].values())
    assert all(d["ks"] == 0.0 for d in same["distributions"].values())
    other = calibration_report(a, b.root)
    assert "wallet_expected_roi" in other["distributions"]
    assert other["paths"]["path_dump_age_s"]["stat"] > 0.3  # planted dumps after minutes
    assert other["paths"]["path_dump_age_s"]["within_noise"] is False


def test_scenarios_are_named_in_the_config_and_synth_json(tmp_path):
    lake = synthesize(tmp_path / "n", tokens=20, wallets=100, days=1, seed=1, scenario="null")
    assert json.loads((lake.root / "synth.json").read_text())["scenario"] == "null"
    for table in ("swaps", "launches", "tokens_truth", "wallets_truth"):
        assert lake.manifest(table)["sources"] == ["synthetic:null"]
    assert scenario_config("planted").scenario == "planted"
    assert scenario_config("null").null_flow == 1.0
    with pytest.raises(ValueError, match="scenario"):
        SynthConfig().replace(scenario="bogus").validate()
    with pytest.raises(ValueError, match="scenario"):
        synthesize(tmp_path / "x", tokens=5, wallets=60, config=SynthConfig(), scenario="null")
