"""Overfitting gates checked against hand enumeration and the papers' worked numbers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from memelab.research.validation.gates import (
    ValidationError,
    Window,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe_ratio,
    purged_kfold_splits,
    walk_forward_splits,
    walk_forward_windows,
)
from scipy.stats import norm, rankdata


# ------------------------------------------------------------------ walk-forward
def test_rolling_walk_forward_purges_train_tail_and_embargoes_test_start():
    w = walk_forward_windows(0, 100, train=30, test=10, purge=2, embargo=3)
    assert w[0] == Window(0, 0, 28, 33, 43)
    assert w[1] == Window(1, 10, 38, 43, 53)
    # last fold's test ends at or before the end
    assert w[-1].test_end <= 100 and w[-1].test_end + 10 > 100
    assert len(w) == 6


def test_expanding_walk_forward_keeps_the_start_and_grows_train():
    w = walk_forward_windows(0, 60, train=20, test=10, step=10, expanding=True)
    assert [(x.train_start, x.train_end, x.test_start, x.test_end) for x in w] == [
        (0, 20, 20, 30),
        (0, 30, 30, 40),
        (0, 40, 40, 50),
        (0, 50, 50, 60),
    ]


def test_walk_forward_splits_never_let_train_reach_into_test():
    ts = np.sort(np.random.default_rng(1).integers(0, 1000, 400))
    for tr, te in walk_forward_splits(ts, train=200, test=100, purge=15, embargo=5):
        assert ts[tr].max() < ts[te].min() - 20 + 1
        assert len(te) > 0


def test_walk_forward_rejects_bad_params_by_name():
    with pytest.raises(ValidationError, match="purge"):
        walk_forward_windows(0, 100, train=10, test=5, purge=10)
    with pytest.raises(ValidationError, match="test"):
        walk_forward_windows(0, 100, train=10, test=0)
    with pytest.raises(ValidationError, match=r"ts\[2\]"):
        walk_forward_splits(np.array([1, 2, 1]), train=1, test=1)


# ------------------------------------------------------------------ purged k-fold
def _brute_purged_kfold(ts, end, k, embargo):
    n = len(ts)
    folds = np.array_split(np.arange(n), k)
    out = []
    for fold in folds:
        lo, hi = ts[fold[0]], max(end[i] for i in fold)
        train = []
        for i in range(n):
            if i in set(fold.tolist()):
                continue
            if ts[i] <= hi and end[i] >= lo:  # label interval overlaps the test
                continue
            if hi < ts[i] <= hi + embargo:
                continue
            train.append(i)
        out.append((train, fold.tolist()))
    return out


def test_purged_kfold_matches_brute_force_with_label_horizons_and_embargo():
    rng = np.random.default_rng(7)
    ts = np.sort(rng.integers(0, 500, 60))
    end = ts + rng.integers(0, 40, 60)
    got = purged_kfold_splits(ts, 4, label_end=end, embargo=25)
    want = _brute_purged_kfold(ts, end, 4, 25)
    for (tr, te), (wtr, wte) in zip(got, want, strict=True):
        assert tr.tolist() == wtr and te.tolist() == wte


def test_purged_kfold_drops_observation_whose_label_spans_into_test():
    ts = np.arange(10) * 10
    end = ts.copy()
    end[4] = 55  # observation 4's outcome resolves inside fold 2 (rows 5..9, t 50..90)
    (_, _), (tr, te) = purged_kfold_splits(ts, 2, label_end=end)
    assert te.tolist() == [5, 6, 7, 8, 9]
    assert tr.tolist() == [0, 1, 2, 3]


# ------------------------------------------------------------------ deflated Sharpe
def test_expected_max_sharpe_and_dsr_match_bailey_lopez_de_prado_worked_example():
    # The paper's example: annualised SR 2.5 over 1250 daily returns, 100 trials with annualised
    # variance of Sharpe 1/2, skew -3, kurtosis 10 -> SR0 ~ 0.1132 per day and DSR ~ 0.9004.
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = probabilistic_sharpe_ratio(2.5 / math.sqrt(250), sr0, 1250, skew=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=5e-4)


def test_expected_max_sharpe_grows_with_trials_and_is_the_mean_for_one_trial():
    assert expected_max_sharpe(1, 0.01) == 0.0
    vals = [expected_max_sharpe(n, 0.01) for n in (2, 10, 100, 1000)]
    assert vals == sorted(vals)
    z = (1 - 0.5772156649015329) * norm.ppf(1 - 1 / 10) + 0.5772156649015329 * norm.ppf(
        1 - 1 / (10 * math.e)
    )
    assert vals[1] == pytest.approx(0.1 * z, rel=1e-12)


def test_psr_of_normal_returns_is_the_normal_cdf_of_the_sharpe_z_score():
    # skew 0, kurtosis 3: denominator 1 + SR^2 / 2
    sr, n = 0.1, 500
    want = norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 + sr * sr / 2))
    assert probabilistic_sharpe_ratio(sr, 0.0, n) == pytest.approx(want, rel=1e-12)


def test_deflated_sharpe_uses_sample_moments_and_trial_count():
    rng = np.random.default_rng(3)
    r = rng.standard_t(5, 400) * 0.01 + 0.002
    trials = rng.normal(0, 0.05, 200)
    got = deflated_sharpe_ratio(r, trial_sharpes=trials)
    c = r - r.mean()
    skew = np.mean(c**3) / np.mean(c**2) ** 1.5
    kurt = np.mean(c**4) / np.mean(c**2) ** 2
    sr = r.mean() / r.std(ddof=1)
    sr0 = expected_max_sharpe(200, trials.var(ddof=1))
    z = (sr - sr0) * math.sqrt(399) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr * sr)
    assert got.n_trials == 200 and got.sr0 == pytest.approx(sr0, rel=1e-12)
    assert got.dsr == pytest.approx(norm.cdf(z), rel=1e-10)


# ------------------------------------------------------------------ PBO by CSCV
def _brute_cscv(m, s):
    """Independent CSCV: slice rows per split, numpy Sharpe, scipy ranks."""
    t, n = m.shape
    blocks = np.array_split(np.arange(t), s)
    logits, is_best, oos_best = [], [], []
    for combo in itertools.combinations(range(s), s // 2):
        rows_is = np.concatenate([blocks[b] for b in combo])
        rows_oos = np.concatenate([blocks[b] for b in range(s) if b not in combo])
        sh_is = m[rows_is].mean(0) / m[rows_is].std(0, ddof=1)
        sh_oos = m[rows_oos].mean(0) / m[rows_oos].std(0, ddof=1)
        star = int(np.argmax(sh_is))
        w = rankdata(sh_oos)[star] / (n + 1)
        logits.append(math.log(w / (1 - w)))
        is_best.append(sh_is[star])
        oos_best.append(sh_oos[star])
    logits = np.array(logits)
    return np.mean(logits <= 0), logits, np.array(is_best), np.array(oos_best)


@pytest.mark.parametrize("s", [4, 6, 8])
def test_pbo_matches_brute_force_enumeration_of_all_splits(s):
    m = np.random.default_rng(s).normal(0.0, 1.0, (37, 9))
    pbo, logits, is_best, oos_best = _brute_cscv(m, s)
    got = pbo_cscv(m, n_blocks=s)
    assert got.n_splits == math.comb(s, s // 2)
    assert got.pbo == pbo
    np.testing.assert_allclose(got.logits, logits, rtol=1e-12)
    np.testing.assert_allclose(got.perf_is, is_best, rtol=1e-9)
    np.testing.assert_allclose(got.perf_oos, oos_best, rtol=1e-9)
    slope = np.polyfit(is_best, oos_best, 1)[0]
    assert got.degradation_slope == pytest.approx(slope, rel=1e-8)
    assert got.prob_oos_loss == np.mean(oos_best < 0)


def test_pbo_of_pure_noise_is_near_one_half_and_of_a_planted_edge_is_near_zero():
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 1, (320, 40))
    res = pbo_cscv(noise, n_blocks=16)
    assert res.n_splits == 12870
    assert 0.3 < res.pbo < 0.8
    edge = noise.copy()
    edge[:, 17] += 0.6
    res_edge = pbo_cscv(edge, n_blocks=16)
    assert res_edge.pbo < 0.05
    assert np.all(res_edge.best == 17)
    assert res_edge.prob_oos_loss == 0.0


def test_pbo_rejects_bad_inputs_by_name():
    with pytest.raises(ValidationError, match="n_blocks"):
        pbo_cscv(np.zeros((20, 3)), n_blocks=5)
    with pytest.raises(ValidationError, match="row 2, column 1"):
        m = np.zeros((20, 3))
        m[2, 1] = np.nan
        pbo_cscv(m, n_blocks=4)
