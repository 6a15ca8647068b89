"""WalletScorer: exact Beta-binomial numbers, causal counting, window, factors, empirical Bayes."""

from __future__ import annotations

import numpy as np
import pytest
from _wallet_events import S, make_events
from memelab.research.wallets.scoring import (
    WalletScorer,
    eb_summary,
    fit_beta_prior,
    qvalues_from_pep,
    summarize_wallets,
    tiers,
)

W = 7  # the wallet under test


def _record(n: int, win: bool, spacing: float = 10.0, t0: float = 0.0) -> list[tuple]:
    """``n`` buys by W on fresh mints, each resolved one second later (win +30% / loss -30%)."""
    rows = []
    for i in range(n):
        t = t0 + spacing * i
        rows.append((t, i, W, 1, 1.0))
        rows.append((t + 1, i, 99, 1 if win else -1, 1.3 if win else 0.7))
    return rows


def _score_of_last_buy(rows: list[tuple], **params) -> tuple[float, int]:
    ev = make_events(rows)
    scorer = WalletScorer(n_mints=int(ev["mint"].max()) + 1, n_wallets=100, vwap_n=1, **params)
    per_buy = scorer.update(ev)
    last = per_buy[per_buy.wallet_id == W].iloc[-1]
    return last.score, last.n_outcomes


def test_a_new_wallet_scores_the_prior_mean_0_375():
    score, n = _score_of_last_buy([(0, 0, W, 1, 1.0)])
    assert score == 3 / 8 and n == 0


def test_ten_wins_in_ten_scores_13_over_18():
    rows = _record(10, win=True) + [(200, 10, W, 1, 1.0)]
    score, n = _score_of_last_buy(rows)
    assert n == 10 and score == pytest.approx(13 / 18, abs=1e-15)


def test_zero_wins_in_ten_scores_3_over_18():
    rows = _record(10, win=False) + [(200, 10, W, 1, 1.0)]
    score, n = _score_of_last_buy(rows)
    assert n == 10 and score == pytest.approx(3 / 18, abs=1e-15)


def test_outcomes_older_than_the_window_drop_out():
    rows = _record(2, win=True)  # resolved at t=1 and t=11
    inside, n_in = _score_of_last_buy(rows + [(60, 5, W, 1, 1.0)], window_s=55)
    assert n_in == 1 and inside == pytest.approx(4 / 9)  # t=1 expired (60 - 55 = 5 >= 1)
    gone, n_gone = _score_of_last_buy(rows + [(100, 5, W, 1, 1.0)], window_s=55)
    assert n_gone == 0 and gone == 3 / 8
    kept, n_all = _score_of_last_buy(rows + [(10_000, 5, W, 1, 1.0)], window_s=0)  # all history
    assert n_all == 2 and kept == pytest.approx(5 / 10)


def test_an_outcome_not_yet_resolved_is_not_counted():
    # W's first buy on mint 0 is still pending at t=5 (nothing moved), so it cannot count.
    rows = [(0, 0, W, 1, 1.0), (5, 1, W, 1, 1.0), (6, 0, 99, 1, 1.3), (7, 2, W, 1, 1.0)]
    ev = make_events(rows)
    per_buy = WalletScorer(3, 100, vwap_n=1).update(ev)
    mine = per_buy[per_buy.wallet_id == W]
    assert mine.n_outcomes.tolist() == [0, 0, 1]
    assert mine.score.tolist()[:2] == [3 / 8, 3 / 8]
    assert mine.score.tolist()[2] == pytest.approx(4 / 9)


def test_a_time_out_counts_as_a_loss_only_after_the_deadline():
    rows = [(0, 0, W, 1, 1.0), (900, 1, W, 1, 1.0), (901, 2, W, 1, 1.0)]
    per_buy = WalletScorer(3, 100, vwap_n=1, window_s=0).update(make_events(rows))
    assert per_buy.n_outcomes.tolist() == [0, 0, 1]
    assert per_buy.score.tolist()[2] == pytest.approx(3 / 9)


def test_recency_boost_runs_from_1_3_when_just_active_to_1_0_after_the_horizon():
    rows = [(0, 0, W, 1, 1.0), (1800, 1, W, 1, 1.0), (1800, 2, W, 1, 1.0), (9000, 3, W, 1, 1.0)]
    per_buy = WalletScorer(4, 100).update(make_events(rows))
    assert per_buy.recency.tolist() == pytest.approx([1.0, 1.15, 1.3, 1.0])


def test_size_factor_runs_from_1_0_at_the_norm_to_1_5_at_three_times_it():
    rows = [
        (0, 0, W, 1, 1.0, 1.0),
        (1, 1, W, 1, 1.0, 2.0),
        (2, 2, W, 1, 1.0, 0.5),
        (3, 3, W, 1, 1.0, 50),
    ]
    per_buy = WalletScorer(4, 100, size_ewm_alpha=0.0).update(make_events(rows))
    assert per_buy["size"].tolist() == pytest.approx([1.0, 1.25, 1.0, 1.5])


def test_scores_before_a_cut_are_unchanged_by_perturbing_events_after_it():
    rng = np.random.default_rng(11)
    n = 600
    t = np.sort(rng.uniform(0, 4000, n))
    rows = [(t[i], int(rng.integers(4)), int(rng.integers(15)), int(rng.choice([-1, 1])),
             float(np.exp(rng.normal(0, 0.15)))) for i in range(n)]  # fmt: skip
    ev = make_events(rows)
    cut = 2000 * S
    pert = ev.copy()
    after = pert["ts"] > cut
    pert["price"][after] = 1.0 / pert["price"][after]
    pert["tokens"][after] = pert["sol"][after] / pert["price"][after]
    pert["trader"][after] = (pert["trader"][after] + 3) % 15
    a = WalletScorer(4, 15, window_s=600).update(ev)
    b = WalletScorer(4, 15, window_s=600).update(pert)
    before = ev["ts"][a.event.to_numpy()] <= cut
    assert before.sum() > 100 and (a.n_outcomes[before] > 0).any()
    assert a[before].equals(b[before])


def test_streaming_in_chunks_equals_one_pass():
    rows = _record(6, win=True) + _record(6, win=False, t0=100) + [(300, 10, W, 1, 1.0)]
    ev = make_events(rows)
    one = WalletScorer(11, 100, vwap_n=1).update(ev)
    chunked = WalletScorer(11, 100, vwap_n=1)
    parts = [chunked.update(ev[:7]), chunked.update(ev[7:15]), chunked.update(ev[15:])]
    import pandas as pd

    assert pd.concat(parts, ignore_index=True).equals(one)


def test_bad_scorer_parameters_are_named():
    with pytest.raises(KeyError, match="prior_gamma"):
        WalletScorer(1, 1, prior_gamma=2)
    with pytest.raises(ValueError, match="prior_alpha"):
        WalletScorer(1, 1, prior_alpha=0)


def test_empirical_bayes_prior_recovers_the_population_beta():
    rng = np.random.default_rng(5)
    p = rng.beta(6, 14, size=3000)
    n = rng.integers(20, 80, size=3000)
    wins = rng.binomial(n, p)
    prior = fit_beta_prior(wins, n)
    assert prior.method == "mle"
    assert prior.mean == pytest.approx(0.3, abs=0.01)
    assert prior.alpha + prior.beta == pytest.approx(20, rel=0.25)


def test_credible_interval_and_pep_are_the_beta_posterior_ones():
    from scipy.stats import beta

    prior = fit_beta_prior(np.array([1, 2, 3, 4]), np.array([10, 10, 10, 10]), min_n=1)
    post = eb_summary(np.array([9]), np.array([10]), prior, threshold=0.5)
    a1, b1 = prior.alpha + 9, prior.beta + 1
    assert post.score[0] == pytest.approx(a1 / (a1 + b1))
    assert post.low[0] == pytest.approx(beta.ppf(0.025, a1, b1))
    assert post.high[0] == pytest.approx(beta.ppf(0.975, a1, b1))
    assert post.pep[0] == pytest.approx(beta.cdf(0.5, a1, b1))


def test_qvalues_are_running_means_of_sorted_peps():
    q = qvalues_from_pep(np.array([0.1, 0.3, 0.02]))
    assert q.tolist() == pytest.approx([0.06, 0.14, 0.02])


def test_tiers_need_evidence_past_the_55pct_and_30pct_bars():
    # 40/50 is credibly above 55%; 6/10 is above it but could be luck; 5/50 credibly below 30%
    out = tiers(np.array([40, 6, 20, 5, 1]), np.array([50, 10, 50, 50, 3]))
    assert out["tier"].tolist() == ["top", "mid", "mid", "low", "mid"]
    assert (out["q_top"] <= 0.1).sum() == 1 and (out["q_low"] <= 0.1).sum() == 1


def test_summary_counts_only_resolved_labels_and_marks_top_wallets_at_the_fdr():
    import pandas as pd

    rows = []
    for w, (n_win, n_loss) in enumerate([(30, 0), (3, 27), (10, 20), (9, 21), (11, 19), (0, 0)]):
        rows += [(w, 1, True)] * n_win + [(w, 0, False)] * n_loss
    rows.append((5, -3, False))  # wallet 5: one unresolved buy only
    labels = pd.DataFrame(rows, columns=["wallet_id", "status", "win"])
    out, prior = summarize_wallets(labels, prior=(3, 5), fdr=0.05)
    assert prior.method == "fixed"
    w0 = out.set_index("wallet_id").loc[0]
    assert (w0.buys, w0.resolved, w0.wins) == (30, 30, 30)
    assert w0.score == pytest.approx(33 / 38)
    w5 = out.set_index("wallet_id").loc[5]
    assert (w5.buys, w5.resolved) == (1, 0) and w5.score == pytest.approx(3 / 8)
    assert out.loc[out.top, "wallet_id"].tolist() == [0]


def test_engine_lookahead_perturbation_leaves_scores_before_the_cut_unchanged():
    from _wallet_events import alpha_market
    from memelab.engine.lookahead import perturb_after

    ev = alpha_market(seed=4, n_mints=10)
    cut = int(ev["ts"][len(ev) // 2])
    a = WalletScorer(10, 60).update(ev)
    b = WalletScorer(10, 60).update(perturb_after(ev, cut, seed=1))
    a_before = a[ev["ts"][a.event.to_numpy()] <= cut].reset_index(drop=True)
    b_before = b[ev["ts"][b.event.to_numpy()] <= cut].reset_index(drop=True)
    assert (a_before.n_outcomes >= 3).sum() > 10
    assert a_before.equals(b_before)
    assert len(a) != len(b) or not a.equals(b)  # the perturbation does reach later buys


def test_a_fitted_prior_replaces_beta_3_5_in_the_streaming_scorer():
    from memelab.research.wallets.scoring import BetaPrior

    rows = _record(10, win=True) + [(200, 10, W, 1, 1.0)]
    ev = make_events(rows)
    scorer = WalletScorer.from_prior(11, 100, BetaPrior(6.0, 14.0, "mle", 50), vwap_n=1)
    last = scorer.update(ev).iloc[-1]
    assert last.score == pytest.approx(16 / 30)
