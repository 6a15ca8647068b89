"""Two-arm GSPRT: LLR formula, decisions, batching, error rates, pairing, post-stopping estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from memelab.research.sprt import sequential_nb as nb
from memelab.research.sprt.twoarm import TwoArmSPRT, design_asn, pair_by_signal, pair_in_order
from memelab.research.sprt.wald import SPRTError

WIN = TwoArmSPRT()  # delta1 = 0.08: the default p1 - p0
PNL = TwoArmSPRT(delta1=0.01)  # +0.01 SOL per trade
RHO = 0.6  # share of the per-trade randomness both arms see on the same signal


def correlated_pairs(rng, n, p_control, p_treatment, rho):
    """Independent of the compiled simulator: numpy draws of paired win differences."""
    u1, u2, v = rng.random(n), rng.random(n), rng.random(n)
    ut = np.where(v < rho, u1, u2)
    return (ut < p_treatment).astype(float) - (u1 < p_control).astype(float)


def reference_llr(x, delta0, delta1):
    """Brownian LLR from cumulative sums (not Welford), unbiased variance with its floor."""
    k = np.arange(1, x.size + 1)
    mean = np.cumsum(x) / k
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (np.cumsum(x * x) - k * mean**2) / (k - 1)
    var = np.maximum(var, ((delta1 - delta0) / 2) ** 2)
    llr = k * (delta1 - delta0) * (mean - (delta0 + delta1) / 2) / var
    llr[k < 2] = 0.0
    return llr


@pytest.fixture(scope="module")
def win_mc():
    """Compiled Monte Carlo (20,000 tests each) of the win-difference test, paired and not."""
    out = {}
    for rho in (0.0, RHO):
        for pt in (0.32, 0.40):
            d, used, _, _ = WIN.simulate(nb.MODEL_BERNOULLI_PAIR, [0.32, pt, rho], seed=21)
            out[rho, pt] = (d, used)
    return out


def test_llr_is_the_brownian_formula_on_the_empirical_mean_and_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(0.03, 0.5, 300)
    np.testing.assert_allclose(WIN.llr_path(x), reference_llr(x, 0.0, 0.08), rtol=1e-9, atol=1e-12)


def test_decision_comes_at_the_first_crossing_after_min_n():
    test = TwoArmSPRT(delta1=0.3)
    x = np.tile([1.0, 0.0, 1.0, 1.0, -1.0, 1.0], 20)  # a strong treatment
    ref = reference_llr(x, 0.0, 0.3)
    assert ref[3] >= test.upper  # it would have crossed at the 4th unit without min_n = 30
    st = test.update(x)
    first = int(np.flatnonzero((ref >= test.upper) & (np.arange(1, x.size + 1) >= 30))[0]) + 1
    assert (st.decision, st.n) == ("accept_h1", first)
    assert st.llr == pytest.approx(ref[first - 1], rel=1e-9)
    assert st.n_seen == x.size


def test_no_difference_with_ties_and_swaps_accepts_h0():
    x = np.tile([0.0, 0.0, 1.0, -1.0, 0.0], 40)  # mean 0: H0 (delta0 = 0) fits
    st = WIN.update(x)
    assert st.decision == "accept_h0"
    assert st.n >= WIN.min_n
    assert st.llr <= WIN.lower


def test_identical_scores_decide_at_min_n_instead_of_dividing_by_zero():
    fee_saving = PNL.update(np.full(100, 0.02))  # the same +0.02 SOL on every pair
    assert (fee_saving.decision, fee_saving.n) == ("accept_h1", PNL.min_n)
    # floor ((0.01 - 0) / 2)^2: LLR = 30 * 0.01 * (0.02 - 0.005) / 0.000025
    assert fee_saving.llr == pytest.approx(30 * 0.01 * 0.015 / 0.000025)
    all_ties = WIN.update(np.zeros(100))
    assert (all_ties.decision, all_ties.n) == ("accept_h0", WIN.min_n)


def test_update_is_identical_whatever_the_batching():
    rng = np.random.default_rng(4)
    for _ in range(10):
        x = correlated_pairs(rng, 300, 0.32, 0.36, RHO)
        whole = WIN.update(x)
        assert WIN.update(x) == whole
        state = None
        for part in np.split(x, np.sort(rng.choice(np.arange(1, 300), 5, replace=False))):
            state = WIN.update(part, state)
        assert state == whole


def test_invalid_parameters_and_scores_are_rejected_by_name():
    with pytest.raises(SPRTError, match="delta0 < delta1"):
        TwoArmSPRT(delta0=0.1, delta1=0.0)
    with pytest.raises(SPRTError, match="min_n"):
        TwoArmSPRT(min_n=1)
    with pytest.raises(SPRTError, match=r"scores\[1\]"):
        WIN.update([0.0, float("inf")])


def test_paired_win_test_holds_its_error_rates_under_no_and_planted_difference(win_mc):
    for rho in (0.0, RHO):
        d0, _ = win_mc[rho, 0.32]
        d1, _ = win_mc[rho, 0.40]
        assert d0.size >= 20_000
        assert np.mean(d0 == nb.DECISION_H1) <= WIN.alpha + 0.01
        assert np.mean(d1 == nb.DECISION_H0) <= WIN.beta + 0.02


def test_pnl_test_holds_its_error_rates_under_no_and_planted_difference():
    for mu_t, bad, limit in ((0.0, nb.DECISION_H1, 0.06), (0.01, nb.DECISION_H0, 0.22)):
        d, *_ = PNL.simulate(nb.MODEL_NORMAL_PAIR, [0.0, mu_t, 0.05, RHO], n_seq=20_000, seed=3)
        assert np.mean(d == bad) <= limit


def test_mean_units_of_independent_runs_match_the_monte_carlo_asn(win_mc):
    rng = np.random.default_rng(99)
    for pt in (0.32, 0.40):
        used = [WIN.update(correlated_pairs(rng, 4000, 0.32, pt, RHO)).n for _ in range(1000)]
        assert np.mean(used) == pytest.approx(np.mean(win_mc[RHO, pt][1]), rel=0.10)


def test_pairing_on_shared_signals_stops_earlier_than_unpaired_comparison(win_mc):
    for pt in (0.32, 0.40):
        paired, unpaired = np.mean(win_mc[RHO, pt][1]), np.mean(win_mc[0.0, pt][1])
        assert paired < 0.75 * unpaired


def test_bootstrap_curves_put_error_rates_near_nominal_at_the_hypotheses():
    rng = np.random.default_rng(1)
    observed = correlated_pairs(rng, 400, 0.32, 0.36, RHO)
    mc = WIN.monte_carlo_bootstrap([0.0, 0.08], observed, n_seq=4000, seed=2)
    assert mc.p_h1[0] <= 0.05 + 0.02 and mc.oc[1] <= 0.20 + 0.03
    wald = WIN.wald_oc_asn([0.0, 0.08], sigma=float(np.std(observed, ddof=1)))
    assert wald.oc[0] == pytest.approx(0.95) and wald.oc[1] == pytest.approx(0.20)


def test_estimate_after_stopping_is_roughly_median_unbiased_and_covers_the_truth():
    rng = np.random.default_rng(7)
    above = covered = 0
    runs = 40
    for r in range(runs):
        x = correlated_pairs(rng, 3000, 0.32, 0.40, RHO)
        est = WIN.estimate(x, n_seq=200, seed=r)
        assert est.method == "stopping_time_ordering_shifted_bootstrap_mc"
        above += est.point > 0.08
        covered += est.lo <= 0.08 <= est.hi
    assert 0.25 <= above / runs <= 0.75
    assert covered / runs >= 0.85


def trades(ids, wins, pnl, ts):
    return pd.DataFrame(
        {"signal_id": np.array(ids, dtype=np.int64), "win": np.array(wins, dtype=bool),
         "pnl_sol": np.array(pnl, dtype=float), "entry_ts": np.array(ts, dtype=np.int64)}
    )  # fmt: skip


def test_pairing_by_signal_joins_shared_signals_and_reports_the_unmatched():
    control = trades([5, 1, 9, 3], [1, 0, 0, 1], [0.2, -0.1, -0.3, 0.4], [50, 10, 90, 30])
    treatment = trades([3, 1, 7, 5], [1, 1, 0, 0], [0.5, 0.1, -0.2, -0.1], [30, 10, 70, 50])
    p = pair_by_signal(control, treatment, "win")
    assert p.units["key"].tolist() == [1, 3, 5]
    assert p.units["score"].tolist() == [1.0, 0.0, -1.0]
    assert (p.unmatched_control, p.unmatched_treatment) == ([9], [7])
    pnl = pair_by_signal(control, treatment, "pnl")
    np.testing.assert_allclose(pnl.scores, [0.2, 0.1, -0.3])
    assert pnl.summary()["unmatched_control"] == 1


def test_unpaired_design_pairs_trades_in_entry_order_and_reports_the_surplus():
    control = trades([5, 1, 9], [1, 0, 0], [0.2, -0.1, -0.3], [50, 10, 90])
    treatment = trades([2, 8], [1, 1], [0.5, 0.1], [20, 80])
    p = pair_in_order(control, treatment, "win")
    assert p.units["control"].tolist() == [0, 1]  # signals 1 then 5
    assert p.units["score"].tolist() == [1.0, 0.0]
    assert p.unmatched_control == [9] and p.unmatched_treatment == []


def test_pairing_rejects_duplicate_signals_and_missing_columns():
    dup = trades([1, 1], [1, 0], [0.1, -0.1], [1, 2])
    with pytest.raises(SPRTError, match="signal_id 1 appears more than once"):
        pair_by_signal(dup, dup, "win")
    with pytest.raises(SPRTError, match="no column 'pnl_sol'"):
        pair_by_signal(dup.drop(columns="pnl_sol").iloc[:1], dup.iloc[:1], "pnl")


def test_paired_units_are_ordered_by_when_both_outcomes_are_known():
    control = trades([1, 2, 3], [1, 0, 0], [0.1, -0.1, -0.1], [10, 20, 30])
    treatment = trades([1, 2, 3], [0, 0, 1], [-0.1, -0.1, 0.2], [10, 20, 30])
    control["exit_ts"] = [500, 100, 200]  # signal 1 resolves last in the control run
    treatment["exit_ts"] = [110, 300, 150]
    p = pair_by_signal(control, treatment, "win")
    assert p.units["key"].tolist() == [3, 2, 1]  # resolved at 200, 300, 500


def test_design_asn_draws_the_same_effect_with_and_without_pairing():
    rng = np.random.default_rng(12)
    shared = rng.normal(0.0, 1.0, 500)
    control = shared + rng.normal(0.0, 0.3, 500)
    treatment = shared + 0.2 + rng.normal(0.0, 0.3, 500)
    test = TwoArmSPRT(delta1=0.2)
    paired = design_asn(test, control, treatment, True, n_seq=1000, seed=1)
    unpaired = design_asn(test, control, treatment, False, n_seq=1000, seed=1)
    assert paired["score_sd"] == pytest.approx(np.std(treatment - control))
    assert unpaired["score_sd"] == pytest.approx(np.sqrt(2) * np.std(shared), rel=0.1)
    assert paired["asn"] < unpaired["asn"] / 4
    assert paired["p_accept_h1"] > 0.75 and unpaired["p_accept_h1"] > 0.75


def test_a_missing_outcome_in_a_run_is_an_error_naming_the_arm_and_row():
    control = trades([1, 2, 3], [1, 0, 0], [0.1, -0.1, -0.1], [10, 20, 30])
    treatment = control.copy()
    treatment["win"] = pd.array([True, None, False], dtype="boolean")
    with pytest.raises(SPRTError, match=r"treatment.win row\[1\]"):
        pair_by_signal(control, treatment, "win")
    treatment["pnl_sol"] = [0.1, float("nan"), 0.2]
    with pytest.raises(SPRTError, match=r"treatment.pnl_sol row\[1\]"):
        pair_in_order(control, treatment, "pnl")
