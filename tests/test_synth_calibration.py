"""The default generator against real data: KS statistics must stay where calibration put them.

Runs `memelab data calibrate` on the reference lake (10,000 tokens, 20,000 wallets, 2 days,
seed 7; see docs/synthetic_market.md) and needs ../shared/data (skipped when absent). Seed 7
was not among the seeds the knob search ran on (1, 2, 9, 10), so this is not a replay of the
tuning run; docs/synthetic_market.md lists the two later choices that looked at all ten seeds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from memelab.datasets.synth import synthesize

# Upper bounds on each KS statistic: the 0.15 target. A change that drifts from reality fails.
KS_LIMITS = {
    "time_to_graduation_min": 0.15,
    "graduated_mcap_x_floor": 0.15,
    "wallet_expected_roi": 0.15,
    "wallet_win_loss_ratio": 0.15,
    "wallet_trades_per_token": 0.15,
    "early_traders_per_token": 0.15,
    "curve_max_progress_pct": 0.15,
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calibration(tmp_path_factory, shared_data):
    from memelab.cli.main import app
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("calibration")
    synthesize(root / "lake", tokens=10_000, wallets=20_000, days=2, seed=7, scenario="planted")
    args = ["data", "calibrate", "--lake", str(root / "lake"), "--real", str(shared_data)]
    result = CliRunner().invoke(app, [*args, "--out", str(root / "out"), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output), root / "out"


def test_calibrate_reports_every_distribution_with_quantiles_and_ks(calibration):
    report, _ = calibration
    assert set(report["distributions"]) == set(KS_LIMITS)
    for d in report["distributions"].values():
        assert d["real"]["n"] >= 75 and d["synthetic"]["n"] >= 100
        assert d["real"]["q05"] <= d["real"]["q50"] <= d["real"]["q95"]
        assert 0.0 <= d["ks"] <= 1.0 and d["definition"]


@pytest.mark.parametrize("name", sorted(KS_LIMITS))
def test_default_generator_stays_close_to_real_data(calibration, name):
    report, _ = calibration
    assert report["distributions"][name]["ks"] <= KS_LIMITS[name]


def test_calibrate_writes_json_and_a_self_contained_html_report(calibration):
    report, out = calibration
    assert json.loads((out / "calibration.json").read_text()) == report
    html = (out / "calibration.html").read_text()
    assert "plotly" in html and 'src="https://cdn.plot.ly' not in html  # inline, offline
    assert all(name in html for name in KS_LIMITS)


def test_ks_noise_level_is_the_5pct_critical_value_of_two_samples_of_one_distribution():
    from memelab.datasets.synth.calibrate import ks_noise95
    from scipy.stats import ks_2samp

    assert ks_noise95(3_392, 30) == pytest.approx(1.358 * (1 / 3_392 + 1 / 30) ** 0.5)
    assert ks_noise95(3_392, 200) < ks_noise95(3_392, 30) and ks_noise95(0, 5) is None
    rng = np.random.default_rng(0)
    over = [
        ks_2samp(rng.lognormal(size=3_000), rng.lognormal(size=150)).statistic
        > ks_noise95(3_000, 150)
        for _ in range(1_000)
    ]
    assert 0.02 <= np.mean(over) <= 0.08  # a perfect generator exceeds it ~5% of the time


def test_pool_floor_is_the_price_after_every_curve_token_is_sold_back():
    from memelab.datasets.synth.calibrate import pool_floor_mcap_sol
    from memelab.datasets.synth.config import CURVE_K, CURVE_VSOL0, CURVE_VTOK_END

    # graduation: ~85.005 SOL and ~206.9M tokens in the pool; 793.1M tokens sold back into it
    x = CURVE_K / CURVE_VTOK_END - CURVE_VSOL0
    y = x * CURVE_VTOK_END / (CURVE_K / CURVE_VTOK_END)
    assert x == pytest.approx(85.005, abs=1e-3) and y == pytest.approx(206.9e6, rel=1e-3)
    new_y = y + 793.1e6
    assert pool_floor_mcap_sol() == pytest.approx(x * y / new_y / new_y * 1e9, rel=1e-12)
    assert pool_floor_mcap_sol() == pytest.approx(17.59, abs=0.01)
