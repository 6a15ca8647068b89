"""Wallet research against a synthetic market's planted truth (alpha wallets, sybil clusters)."""

from __future__ import annotations

import pytest
from memelab.datasets.synth import synthesize
from memelab.research.wallets.evaluate import evaluate_on_truth


@pytest.fixture(scope="module")
def truth_figures(tmp_path_factory):
    lake = synthesize(tmp_path_factory.mktemp("synth") / "lake", tokens=300, wallets=500, days=1,
                      seed=11)  # fmt: skip
    return evaluate_on_truth(lake, min_resolved=8)


def test_scores_rank_planted_alpha_wallets_above_the_rest(truth_figures):
    assert truth_figures["eligible_alpha"] >= 5
    assert truth_figures["auc_alpha_vs_rest"] >= 0.9
    assert truth_figures["auc_alpha_vs_rest_beta35"] >= 0.9


def test_planted_sybil_clusters_are_recovered(truth_figures):
    assert truth_figures["planted_clusters"] >= 5
    assert truth_figures["ari"] >= 0.8
