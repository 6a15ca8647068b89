"""The planted structure of the default demo market is recoverable from the trades alone."""

from __future__ import annotations

import numpy as np
import pytest
from memelab.datasets.synth import synthesize
from memelab.datasets.synth.checks import alpha_auc, buy_outcomes_nb, cobuy_clusters_ari

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory):
    # the demo size, on the planted scenario (the strong labelled edges these figures measure)
    return synthesize(tmp_path_factory.mktemp("demo") / "lake", scenario="planted")


def test_alpha_wallets_win_rate_separates_them_with_auc_at_least_0_9(demo_lake):
    auc, n_alpha, n_other = alpha_auc(demo_lake, min_resolved=20)
    assert n_alpha >= 10 and n_other >= 100
    assert auc >= 0.9


def test_sybil_clusters_are_recovered_from_co_buys_with_adjusted_rand_at_least_0_8(demo_lake):
    assert cobuy_clusters_ari(demo_lake) >= 0.8


def test_outcome_rule_wins_at_plus_20pct_before_minus_8pct_within_15_minutes():
    s = 1_000_000_000
    # one mint; a buy at vwap 1.0, then trades that lift the 20-trade vwap past +20%
    ts = np.array([0, 1, 2, 3], dtype=np.int64) * s
    side = np.array([1, 1, 1, -1], dtype=np.int8)
    sol = np.array([1.0, 3.0, 30.0, 1.0])
    tokens = np.array([1.0, 1.0, 1.0, 1.0])
    out = buy_outcomes_nb(np.zeros(4, np.int32), ts, side, sol, tokens)
    assert out[0] == 1 and out[3] == -1
    # a drop of more than 8% first is a loss, even if the price rises later
    sol2 = np.array([1.0, 0.5, 30.0, 1.0])
    out2 = buy_outcomes_nb(np.zeros(4, np.int32), ts, side, sol2, tokens)
    assert out2[0] == 0
