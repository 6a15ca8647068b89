"""Wald's Bernoulli SPRT: exact design values, decisions, batching, error rates, ASN, estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from memelab.research.sprt.wald import BernoulliSPRT, SPRTError, SPRTState

DEFAULT = BernoulliSPRT()


@pytest.fixture(scope="module")
def mc_at_p0_p1():
    """One compiled Monte Carlo at the two hypotheses, shared by the tests below."""
    return DEFAULT.monte_carlo([DEFAULT.p0, DEFAULT.p1], n_seq=20_000, seed=11)


def test_default_boundaries_and_increments_are_walds_exact_values():
    assert (DEFAULT.p0, DEFAULT.p1, DEFAULT.alpha, DEFAULT.beta) == (0.32, 0.40, 0.05, 0.20)
    assert DEFAULT.upper == pytest.approx(math.log(16), rel=1e-15)
    assert DEFAULT.lower == pytest.approx(math.log(0.2 / 0.95), rel=1e-15)
    assert DEFAULT.step_win == pytest.approx(math.log(1.25), rel=1e-15)
    assert DEFAULT.step_loss == pytest.approx(math.log(0.6 / 0.68), rel=1e-12)


def test_thirteen_straight_wins_accept_h1_at_sample_13_and_twelve_do_not():
    # 12 ln 1.25 = 2.678 < ln 16 = 2.773 <= 13 ln 1.25 = 2.901
    assert DEFAULT.update([1] * 12) == SPRTState("continue", 12, 12 * DEFAULT.step_win, 12, 12, 12)
    st = DEFAULT.update([1] * 13)
    assert (st.decision, st.n, st.wins) == ("accept_h1", 13, 13)
    assert st.llr == pytest.approx(13 * math.log(1.25))


def test_thirteen_straight_losses_accept_h0_at_sample_13():
    # 12 ln(0.6/0.68) = -1.502 > ln(0.2/0.95) = -1.558 >= 13 ln(0.6/0.68) = -1.627
    assert DEFAULT.update([0] * 12).decision == "continue"
    st = DEFAULT.update([0] * 13)
    assert (st.decision, st.n, st.wins) == ("accept_h0", 13, 0)
    assert st.llr == pytest.approx(13 * math.log(0.6 / 0.68))


def test_three_losses_then_wins_cross_the_upper_boundary_at_sample_18():
    # -3(0.1252) + 14(0.2231) = 2.748 < 2.773; + 15(0.2231) = 2.972
    assert DEFAULT.update([0, 0, 0] + [1] * 14).decision == "continue"
    st = DEFAULT.update([0, 0, 0] + [1] * 15 + [0, 1])
    assert (st.decision, st.n, st.wins, st.n_seen, st.wins_seen) == ("accept_h1", 18, 15, 20, 16)


def test_two_wins_then_losses_cross_the_lower_boundary_at_sample_19():
    # 2(0.2231) - 16(0.1252) = -1.5563 > -1.5581 (continue); - 17(0.1252) = -1.6815
    assert DEFAULT.update([1, 1] + [0] * 16).decision == "continue"
    st = DEFAULT.update([1, 1] + [0] * 17)
    assert (st.decision, st.n, st.wins) == ("accept_h0", 19, 2)


def test_decision_is_frozen_at_the_crossing_while_later_outcomes_are_only_counted():
    st = DEFAULT.update([1] * 13 + [0] * 200)
    assert (st.decision, st.n, st.wins, st.n_seen, st.wins_seen) == ("accept_h1", 13, 13, 213, 13)
    assert st.llr == DEFAULT.update([1] * 13).llr


def test_update_is_idempotent_and_identical_whatever_the_batching():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = (rng.random(400) < rng.uniform(0.3, 0.42)).astype(np.int8)
        whole = DEFAULT.update(x)
        assert DEFAULT.update(x) == whole
        cuts = np.sort(rng.choice(np.arange(1, 400), size=7, replace=False))
        state = None
        for part in np.split(x, cuts):
            state = DEFAULT.update(part, state)
        assert state == whole  # dataclass equality: floats bit for bit


def test_llr_path_is_the_count_formula_at_every_sample():
    x = np.array([1, 0, 0, 1, 1, 0, 1])
    wins = np.cumsum(x)
    n = np.arange(1, x.size + 1)
    expected = wins * math.log(1.25) + (n - wins) * math.log(0.6 / 0.68)
    np.testing.assert_allclose(DEFAULT.llr_path(x), expected, rtol=1e-12)


def test_outcomes_other_than_win_or_loss_are_rejected_with_their_position():
    with pytest.raises(SPRTError, match=r"outcomes\[2\] = 2"):
        DEFAULT.update([1, 0, 2, 1])
    with pytest.raises(SPRTError, match=r"outcomes\[1\]"):
        DEFAULT.update([1.0, float("nan")])
    assert DEFAULT.update([True, False]).n_seen == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p0": 0.4, "p1": 0.32}, "p0 < p1"),
        ({"p1": 1.0}, "p1 must be in"),
        ({"alpha": 0.0}, "alpha must be in"),
        ({"alpha": 0.6, "beta": 0.5}, "alpha \\+ beta"),
    ],
)
def test_invalid_design_parameters_are_rejected_by_name(kwargs, match):
    with pytest.raises(SPRTError, match=match):
        BernoulliSPRT(**kwargs)


def test_wald_approximation_gives_nominal_error_rates_at_the_hypotheses():
    w = DEFAULT.wald_oc_asn([DEFAULT.p0, DEFAULT.p1, 0.2, 0.6])
    assert w.oc[0] == pytest.approx(0.95, abs=1e-9)  # accept H0 at p0: 1 - alpha
    assert w.oc[1] == pytest.approx(0.20, abs=1e-9)  # accept H0 at p1: beta
    assert w.oc[2] > 0.999 and w.oc[3] < 0.001
    a, b = DEFAULT.upper, DEFAULT.lower
    mean_z0 = 0.32 * math.log(1.25) + 0.68 * math.log(0.6 / 0.68)
    assert w.asn[0] == pytest.approx((0.95 * b + 0.05 * a) / mean_z0, rel=1e-9)


def test_monte_carlo_error_rates_stay_within_alpha_and_beta(mc_at_p0_p1):
    mc = mc_at_p0_p1
    assert mc.n_seq >= 20_000
    assert mc.p_h1[0] <= DEFAULT.alpha + 0.01  # true p = p0: wrongly accept H1
    assert mc.oc[1] <= DEFAULT.beta + 0.02  # true p = p1: wrongly accept H0
    assert mc.p_continue.max() == 0.0
    # Wald's ASN ignores the overshoot over the boundaries, so it is below the simulated one
    wald = DEFAULT.wald_oc_asn([DEFAULT.p0, DEFAULT.p1])
    assert np.all(wald.asn < mc.asn)


def test_mean_sample_number_of_independent_sequential_runs_matches_monte_carlo_asn(mc_at_p0_p1):
    rng = np.random.default_rng(2024)  # a different generator from the compiled one
    for i, p in enumerate([DEFAULT.p0, DEFAULT.p1]):
        used = []
        for _ in range(1500):
            x = (rng.random(3000) < p).astype(np.int8)
            st = DEFAULT.update(x)
            assert st.decision != "continue"
            used.append(st.n)
        assert np.mean(used) == pytest.approx(mc_at_p0_p1.asn[i], rel=0.10)


def test_monte_carlo_is_reproducible_from_its_seed():
    a = DEFAULT.monte_carlo([0.36], n_seq=500, seed=5)
    b = DEFAULT.monte_carlo([0.36], n_seq=500, seed=5)
    c = DEFAULT.monte_carlo([0.36], n_seq=500, seed=6)
    assert a.asn[0] == b.asn[0] and a.oc[0] == b.oc[0]
    assert a.asn[0] != c.asn[0]


def test_estimate_after_thirteen_straight_wins_has_the_analytic_lower_bound():
    # The earliest possible H1 stop is 13 straight wins, so P_p(outcome >= observed) = p^13:
    # the 95% lower bound solves p^13 = 0.025 and the "P >= obs" half of the median p^13 = 0.5.
    est = DEFAULT.estimate([1] * 13, n_seq=20_000, seed=1)
    assert est.method == "stopping_time_ordering_mc"
    assert est.lo == pytest.approx(0.025 ** (1 / 13), abs=0.01)
    assert est.hi == pytest.approx(1.0, abs=1e-5)
    assert est.naive == 1.0
    assert 0.025 ** (1 / 13) < est.point < 1.0


def test_estimate_of_a_late_h0_stop_brackets_p0_and_is_reproducible():
    rng = np.random.default_rng(8)
    x = (rng.random(2000) < 0.30).astype(np.int8)
    st = DEFAULT.update(x)
    assert st.decision == "accept_h0"
    est = DEFAULT.estimate(x, n_seq=2000, seed=3)
    assert est.lo < est.point < est.hi
    assert est.lo < 0.30 < est.hi
    assert DEFAULT.estimate(x, n_seq=2000, seed=3) == est


def test_estimate_before_any_decision_is_the_plain_proportion_with_wilson_interval():
    est = DEFAULT.estimate([1, 0, 1, 0, 0])
    assert est.method == "fixed_sample_wilson"
    assert est.point == est.naive == pytest.approx(0.4)
    assert 0.0 < est.lo < 0.4 < est.hi < 1.0


def test_curve_simulations_shrink_for_designs_far_too_fine_for_their_data():
    from memelab.research.sprt.analysis import simulation_size

    # the default design (ASN ~ 100-170) gets every requested test
    assert simulation_size(np.full(27, 170.0), 20_000, 50) == (20_000, 10_000)
    # an ASN of a million units: truncated at 10x the data (>= 10,000), fewer tests per point
    n_seq, max_n = simulation_size(np.full(27, 1e6), 20_000, 2_000, 30)
    assert max_n == 20_000
    assert n_seq == 150_000_000 // (27 * 20_000)
    assert simulation_size(np.full(27, np.inf), 20_000, 10**7)[1] == 100_000


def test_report_prints_the_monte_carlo_asn_the_independent_runs_were_checked_against(mc_at_p0_p1):
    from memelab.research.sprt.analysis import analyse_outcomes
    from memelab.research.sprt.report import render_report

    record = analyse_outcomes([1, 0, 0, 1, 0], n_seq=20_000, seed=11)
    design = record["design"]
    assert (design["asn_h0_mc"], design["asn_h1_mc"]) == tuple(mc_at_p0_p1.asn)
    assert (design["alpha_mc"], design["beta_mc"]) == (mc_at_p0_p1.p_h1[0], mc_at_p0_p1.oc[1])
    assert f"Monte Carlo {design['asn_h0_mc']:.4g} / {design['asn_h1_mc']:.4g}" in render_report(
        record
    )
